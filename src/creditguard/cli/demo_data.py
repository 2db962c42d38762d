"""The sample portfolio that ``creditguard demo`` loads: a few hundred buyers, two years of trade.

Deliberately modest and plain: the standard library and ``random.Random(seed)``, so that the same
seed and the same ``today`` always give the same ledger. It produces *inputs* — the very schemas
the API accepts — and ``creditguard.cli.demo`` posts them through the services, so every figure
the demo shows comes from the real posting rules. The synthetic generator proper (vectorised, a
million customers, for benchmarks) is separate, later work; this module is only the demo's sample.

What it models, roughly as a Chinese B2B supplier sees its receivables:

- buyers named city + trade name + industry + 有限公司, across provinces and industries; a few
  parent groups (集团) with subsidiaries; a few export buyers invoiced in USD or EUR;
- payment terms: net 30/60/90, eom 30, 2/10 net 30, and 30% at once / 70% at 60 days;
- invoices over the two years before ``today``, amounts log-normal around a buyer's typical size;
- payment behaviour per buyer: most pay around the due date, some late; a risky minority pays
  late, in part or not at all; a few buyers default, stop being supplied and are written off;
- cash discounts taken (booked as credit notes on the invoice), a few returns and disputes.

Payments settle one invoice each, with an explicit allocation, and never more than is open.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from creditguard.core.money import Money
from creditguard.core.terms import discount_amount, instalment_schedule, parse_terms
from creditguard.customers.schemas import ContactIn, CustomerIn
from creditguard.ledger.schemas import (
    AllocationIn,
    CreditNoteIn,
    DisputeIn,
    InvoiceIn,
    PaymentIn,
    WriteOffIn,
)

HISTORY_DAYS = 730  # invoices are spread over the two years before today


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _table(text: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a whitespace-separated table; '_' stands for a space inside a cell."""
    return tuple(
        tuple(c.replace("_", " ") for c in line.split()) for line in text.splitlines() if line
    )


# city, province (the customer's region), phone area code
CITIES = _table("""
上海 Shanghai 21
北京 Beijing 10
深圳 Guangdong 755
广州 Guangdong 20
东莞 Guangdong 769
佛山 Guangdong 757
杭州 Zhejiang 571
宁波 Zhejiang 574
温州 Zhejiang 577
苏州 Jiangsu 512
南京 Jiangsu 25
无锡 Jiangsu 510
青岛 Shandong 532
济南 Shandong 531
天津 Tianjin 22
武汉 Hubei 27
成都 Sichuan 28
重庆 Chongqing 23
西安 Shaanxi 29
长沙 Hunan 731
郑州 Henan 371
合肥 Anhui 551
厦门 Fujian 592
福州 Fujian 591
""")
# word in the name, industry
INDUSTRIES = _table("""
机电 machinery
电子 electronics
化工 chemicals
纺织 textiles
建材 building_materials
食品 food
医疗器械 medical_devices
汽车配件 auto_parts
物流 logistics
包装 packaging
五金 hardware
塑料制品 plastics
家具 furniture
新能源 renewable_energy
钢材 steel
""")
# country, currency, legal form
EXPORT_MARKETS = _table("""
US USD Inc.
US USD LLC
DE EUR GmbH
NL EUR B.V.
FR EUR SAS
IT EUR S.r.l.
""")
TRADE_NAMES = _words("""
华东 恒信 鼎盛 宏达 金桥 瑞丰 永泰 新锐 博远 中联 汇通 精诚
天润 盛世 安达 通力 联创 德信 嘉禾 卓越 远航 同舟 荣昌 华泰
""")
SUFFIXES = ("有限公司", "科技有限公司", "贸易有限公司", "股份有限公司")
SUFFIX_WEIGHTS = (70, 12, 12, 6)
EXPORT_WORDS = _words("Pacific Atlantic Summit Harbor Evergreen Northstar Keystone Meridian")
EXPORT_TRADES = _words("Trading Industries Supply Components Distribution Imports")
EXPORT_CONTACTS = ("Anna Schmidt", "John Miller", "Sophie Martin", "Luca Rossi", "Emma de Vries")

TERMS = ("net 30", "net 60", "net 90", "eom 30", "2/10 net 30", "30% 0, 70% 60")
TERMS_WEIGHTS = (35, 18, 8, 15, 12, 12)
EXPORT_TERMS = ("net 60", "net 90", "30% 0, 70% 60")
EXPORT_TERMS_WEIGHTS = (50, 30, 20)

# How buyers pay: most around the due date; a risky minority late, partly or never; a few fail.
BEHAVIOURS = ("prompt", "slow", "risky", "defaulted")
BEHAVIOUR_WEIGHTS = (56, 26, 13, 5)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
GIVEN_NAMES = _words("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 建华 晓东 海燕")
CONTACT_ROLES = ("财务经理", "应付会计", "采购经理", "总经理")
SALESPEOPLE = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊")
TAX_ID_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # unified social credit code alphabet
DISPUTE_REASONS = (
    "质量问题 quality claim",
    "数量短缺 short delivery",
    "价格差异 price difference",
    "交货延迟 late delivery",
)


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Everything ``creditguard demo`` posts, in the order it posts it."""

    customers: list[CustomerIn]  # parent groups before their subsidiaries
    blocked: list[str]  # codes of the buyers that defaulted: blocked once created
    invoices: list[InvoiceIn]  # by issue date
    credit_notes: list[CreditNoteIn]  # returns and cash discounts, each on its invoice
    payments: list[PaymentIn]  # by value date, each settling (part of) one invoice
    write_offs: list[WriteOffIn]  # defaulted buyers' debts more than a year overdue
    disputes: list[DisputeIn]  # on invoices still open


@dataclass(frozen=True, slots=True)
class _Buyer:
    data: CustomerIn
    behaviour: str
    weight: float  # relative share of the invoices
    typical_minor: int  # typical invoice amount, minor units of its currency
    stopped_on: date | None  # a defaulted buyer is not supplied after this date


@dataclass(slots=True)
class _Invoice:
    buyer: _Buyer
    ref: str
    issued_on: date
    minor: int
    remaining: int  # what the planned credit notes and payments leave open
    due_on: date


@dataclass(frozen=True, slots=True)
class _Receipt:
    """Money planned against one invoice: cash (a payment) or a credit note (with a reason)."""

    on: date
    invoice_ref: str
    customer_ref: str
    amount: Money
    method: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class _Book:
    """The receipts planned so far; they are numbered in date order at the end."""

    today: date
    payments: list[_Receipt] = field(default_factory=list)
    credits: list[_Receipt] = field(default_factory=list)

    def pay(self, invoice: _Invoice, on: date, minor: int, method: str) -> None:
        receipt = self._take(invoice, on, minor, method=method)
        if receipt is not None:
            self.payments.append(receipt)

    def credit(self, invoice: _Invoice, on: date, minor: int, reason: str) -> None:
        receipt = self._take(invoice, on, minor, reason=reason)
        if receipt is not None:
            self.credits.append(receipt)

    def _take(
        self,
        invoice: _Invoice,
        on: date,
        minor: int,
        *,
        method: str | None = None,
        reason: str | None = None,
    ) -> _Receipt | None:
        """Plan up to ``minor`` against ``invoice`` on ``on``: never more than is open, never
        after today (what is not paid by today is simply still open)."""
        amount = min(minor, invoice.remaining)
        if amount <= 0 or on > self.today:
            return None
        invoice.remaining -= amount
        money = Money(amount, invoice.buyer.data.currency)
        on = max(on, invoice.issued_on)
        return _Receipt(on, invoice.ref, invoice.buyer.data.code, money, method, reason)


def generate(*, seed: int, customers: int, invoices: int, today: date) -> Portfolio:
    """The demo portfolio for ``seed``: ``customers`` buyers, ``invoices`` invoices to ``today``."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets: reproducible on purpose
    buyers = _buyers(rng, customers, today)
    planned = _invoices(rng, buyers, invoices, today)
    book = _Book(today)
    for invoice in planned:
        _settle(rng, book, invoice)
    write_offs = _write_offs(rng, planned, today)
    return Portfolio(
        customers=[b.data for b in buyers],
        blocked=[b.data.code for b in buyers if b.behaviour == "defaulted"],
        invoices=[_invoice_in(i) for i in planned],
        credit_notes=_credit_notes(book.credits),
        payments=_payments(book.payments),
        write_offs=write_offs,
        disputes=_disputes(rng, planned, {w.invoice_ref for w in write_offs}, today),
    )


# --- buyers ---


def _buyers(rng: random.Random, count: int, today: date) -> list[_Buyer]:
    groups = [_group(rng, n) for n in range(1, count // 25 + 1)]
    operating = count - len(groups)
    exporters = max(1, round(operating * 0.06)) if operating > 2 else 0
    buyers = list(groups)
    for n in range(1, operating + 1):
        code = f"C{n:05d}"
        if n <= exporters:
            buyers.append(_buyer(rng, _exporter(rng, code), today))
            continue
        parent = rng.choice(groups) if groups and rng.random() < 0.15 else None
        buyers.append(_buyer(rng, _domestic(rng, code, parent), today))
    return buyers


def _group(rng: random.Random, n: int) -> _Buyer:
    _, province, area = rng.choice(CITIES)
    trade = TRADE_NAMES[(n - 1) % len(TRADE_NAMES)]
    if n > len(TRADE_NAMES):  # more groups than trade names: tell them apart by their city
        trade = CITIES[(n - 1) // len(TRADE_NAMES) % len(CITIES)][0] + trade
    data = CustomerIn(
        code=f"G{n:03d}",
        name=f"{trade}集团有限公司",
        region=province,
        industry="holding",
        payment_terms="net 60",
        salesperson=rng.choice(SALESPEOPLE),
        tax_id=_tax_id(rng),
        contacts=_contacts(rng, f"g{n:03d}", area),
    )
    # Holding companies are not invoiced themselves: their subsidiaries are.
    return _Buyer(data, "prompt", 0.0, 0, None)


def _domestic(rng: random.Random, code: str, parent: _Buyer | None) -> CustomerIn:
    city, province, area = rng.choice(CITIES)
    word, industry = rng.choice(INDUSTRIES)
    trade = parent.data.name.removesuffix("集团有限公司") if parent else rng.choice(TRADE_NAMES)
    suffix = rng.choices(SUFFIXES, SUFFIX_WEIGHTS)[0]
    return CustomerIn(
        code=code,
        name=f"{city}{trade}{word}{suffix}",
        parent_code=parent.data.code if parent else None,
        industry=industry,
        region=province,
        payment_terms=rng.choices(TERMS, TERMS_WEIGHTS)[0],
        salesperson=rng.choice(SALESPEOPLE),
        tax_id=_tax_id(rng),
        contacts=_contacts(rng, code.lower(), area),
    )


def _exporter(rng: random.Random, code: str) -> CustomerIn:
    country, currency, form = rng.choice(EXPORT_MARKETS)
    contact = ContactIn(
        name=rng.choice(EXPORT_CONTACTS),
        role="Accounts payable",
        email=f"ap@{code.lower()}.example.com",
        is_primary=True,
    )
    return CustomerIn(
        code=code,
        name=f"{rng.choice(EXPORT_WORDS)} {rng.choice(EXPORT_TRADES)} {form}",
        industry=rng.choice(INDUSTRIES)[1],
        country=country,
        currency=currency,
        payment_terms=rng.choices(EXPORT_TERMS, EXPORT_TERMS_WEIGHTS)[0],
        salesperson=rng.choice(SALESPEOPLE),
        contacts=[contact],
    )


def _buyer(rng: random.Random, data: CustomerIn, today: date) -> _Buyer:
    behaviour = rng.choices(BEHAVIOURS, BEHAVIOUR_WEIGHTS)[0]
    # A typical invoice of about 30,000 yuan (12,000 USD or EUR for export), log-normal.
    median = 30_000 if data.currency == "CNY" else 12_000
    typical_minor = round(rng.lognormvariate(math.log(median), 0.9) * 100)
    stopped = today - timedelta(days=rng.randint(200, 600)) if behaviour == "defaulted" else None
    return _Buyer(data, behaviour, rng.lognormvariate(0, 1.0), typical_minor, stopped)


def _tax_id(rng: random.Random) -> str:
    return "91" + "".join(rng.choice(TAX_ID_CHARS) for _ in range(16))


def _contacts(rng: random.Random, mailbox: str, area: str) -> list[ContactIn]:
    return [
        ContactIn(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
            role=rng.choice(CONTACT_ROLES),
            email=f"finance{n + 1}@{mailbox}.example.cn",
            phone=f"+86 {area} {rng.randint(5000_0000, 8999_9999)}",
            is_primary=n == 0,
        )
        for n in range(rng.choice((1, 1, 2)))
    ]


# --- invoices and what becomes of them ---


def _invoices(rng: random.Random, buyers: list[_Buyer], count: int, today: date) -> list[_Invoice]:
    billable = [b for b in buyers if b.weight > 0]
    if not billable or count <= 0:
        return []
    drawn: list[tuple[date, str, _Buyer, int]] = []
    for buyer in rng.choices(billable, [b.weight for b in billable], k=count):
        latest = min(today - timedelta(days=1), buyer.stopped_on or today)
        span = HISTORY_DAYS - (today - latest).days
        issued = latest - timedelta(days=rng.randint(0, max(span, 0)))
        minor = max(10_000, round(buyer.typical_minor * rng.lognormvariate(0, 0.6)))
        drawn.append((issued, buyer.data.code, buyer, minor))
    drawn.sort(key=lambda d: (d[0], d[1]))
    return [
        _Invoice(buyer, f"INV-{issued.year}-{n:06d}", issued, minor, minor, issued)
        for n, (issued, _, buyer, minor) in enumerate(drawn, start=1)
    ]


def _invoice_in(invoice: _Invoice) -> InvoiceIn:
    buyer = invoice.buyer.data
    return InvoiceIn(
        external_ref=invoice.ref,
        customer_ref=buyer.code,
        issued_on=invoice.issued_on,
        currency=buyer.currency,
        amount=Money(invoice.minor, buyer.currency).decimal_string(),
        order_ref=f"SO-{invoice.ref[-6:]}",
    )


def _delay(rng: random.Random, behaviour: str) -> int:
    """Days from a due date to the payment (negative: paid early)."""
    if behaviour == "prompt":
        return round(rng.gauss(-1, 6))
    if behaviour == "risky":
        return 30 + round(rng.expovariate(1 / 60))
    return 10 + round(rng.expovariate(1 / 25))  # slow, and defaulted buyers before they failed


def _settle(rng: random.Random, book: _Book, invoice: _Invoice) -> None:
    """Plan the credit notes and payments of one invoice (only those dated up to today)."""
    buyer = invoice.buyer
    currency = buyer.data.currency
    terms = parse_terms(buyer.data.payment_terms)
    # The same schedule the ledger computes when it posts the invoice (no business calendar).
    schedule = instalment_schedule(terms, invoice.issued_on, Money(invoice.minor, currency))
    invoice.due_on = max(part.due_on for part in schedule)
    returned = rng.random() < 0.02
    if returned:
        on = invoice.issued_on + timedelta(days=rng.randint(3, 30))
        book.credit(
            invoice, on, round(invoice.minor * rng.uniform(0.05, 0.2)), "退货 goods returned"
        )
    stopped = buyer.stopped_on
    if stopped is not None and invoice.issued_on > stopped - timedelta(days=120):
        return  # a defaulted buyer never pays its last months' invoices
    method = "bill" if currency == "CNY" and rng.random() < 0.2 else "bank_transfer"
    discount = terms.discount
    if discount and not returned and buyer.behaviour == "prompt" and rng.random() < 0.7:
        # 2/10 net 30 taken: pays 98% within ten days; the 2% is booked as a credit note.
        on = invoice.issued_on + timedelta(days=rng.randint(2, discount.within_days))
        taken = discount_amount(terms, Money(invoice.minor, currency)).minor
        book.credit(invoice, on, taken, "现金折扣 cash discount")
        book.pay(invoice, on, invoice.remaining, method)
        return
    for part in schedule:
        on = part.due_on + timedelta(days=_delay(rng, buyer.behaviour))
        if buyer.behaviour == "risky":
            _pay_risky(rng, book, invoice, on, part.amount.minor, method)
        else:
            book.pay(invoice, on, part.amount.minor, method)


def _pay_risky(
    rng: random.Random, book: _Book, invoice: _Invoice, on: date, minor: int, method: str
) -> None:
    draw = rng.random()
    if draw < 0.1:
        return  # never paid
    if draw < 0.35:  # paid in part; the rest perhaps, much later
        first = round(minor * rng.uniform(0.3, 0.8))
        book.pay(invoice, on, first, method)
        if rng.random() < 0.5:
            book.pay(invoice, on + timedelta(days=rng.randint(20, 90)), minor - first, method)
        return
    book.pay(invoice, on, minor, method)


def _dated(receipts: list[_Receipt]) -> list[_Receipt]:
    return sorted(receipts, key=lambda r: (r.on, r.invoice_ref))


def _payments(receipts: list[_Receipt]) -> list[PaymentIn]:
    payments = []
    for n, r in enumerate(_dated(receipts), start=1):
        amount = r.amount.decimal_string()
        payments.append(
            PaymentIn(
                external_ref=f"RCPT-{n:06d}",
                customer_ref=r.customer_ref,
                received_on=r.on,
                currency=r.amount.currency,
                amount=amount,
                method=r.method,
                allocations=[AllocationIn(invoice_ref=r.invoice_ref, amount=amount)],
            )
        )
    return payments


def _credit_notes(receipts: list[_Receipt]) -> list[CreditNoteIn]:
    return [
        CreditNoteIn(
            external_ref=f"CN-{n:05d}",
            customer_ref=r.customer_ref,
            issued_on=r.on,
            currency=r.amount.currency,
            amount=r.amount.decimal_string(),
            reason=r.reason or "credit",
            invoice_ref=r.invoice_ref,
        )
        for n, r in enumerate(_dated(receipts), start=1)
    ]


def _write_offs(rng: random.Random, planned: list[_Invoice], today: date) -> list[WriteOffIn]:
    """Most of a defaulted buyer's debts more than a year past due are written off."""
    write_offs: list[WriteOffIn] = []
    cutoff = today - timedelta(days=365)
    for invoice in planned:
        if invoice.buyer.behaviour != "defaulted" or invoice.remaining <= 0:
            continue
        if invoice.due_on >= cutoff or rng.random() >= 0.8:
            continue
        write_offs.append(
            WriteOffIn(
                external_ref=f"WO-{len(write_offs) + 1:04d}",
                invoice_ref=invoice.ref,
                written_off_on=min(today, invoice.due_on + timedelta(days=rng.randint(365, 455))),
                reason="买方破产清算 buyer insolvent",
            )
        )
        invoice.remaining = 0
    return write_offs


def _disputes(
    rng: random.Random, planned: list[_Invoice], written_off: set[str], today: date
) -> list[DisputeIn]:
    """A few buyers contest part of an invoice that is still open."""
    disputes: list[DisputeIn] = []
    for invoice in planned:
        if invoice.remaining <= 0 or invoice.ref in written_off or rng.random() >= 0.04:
            continue
        minor = max(1, round(invoice.remaining * rng.uniform(0.2, 1.0)))
        currency = invoice.buyer.data.currency
        disputes.append(
            DisputeIn(
                invoice_ref=invoice.ref,
                amount=Money(minor, currency).decimal_string(),
                reason=rng.choice(DISPUTE_REASONS),
                opened_on=min(today, invoice.issued_on + timedelta(days=rng.randint(7, 45))),
            )
        )
    return disputes
