"""Posting invoices, one or a batch: all or nothing, open items and balances in the same commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.business_days import BusinessCalendar
from creditguard.core.errors import InvalidInput, Problem
from creditguard.core.money import Money, check_currency, to_decimal
from creditguard.core.permissions import Actor
from creditguard.core.terms import (
    PaymentTerms,
    discount_deadline,
    instalment_schedule,
    parse_terms,
)
from creditguard.customers import repository as customers
from creditguard.customers.repository import PostingDefaults
from creditguard.identity import repository as identity
from creditguard.ledger import repository as repo
from creditguard.ledger.schemas import InvoiceIn
from creditguard.ledger.service._posting import Deltas, duplicate_refs
from creditguard.models import Instalment, Invoice, InvoiceLine
from creditguard.reference.calendars import calendar_for


@dataclass(frozen=True, slots=True)
class _Checked:
    """An invoice that passed validation, with everything needed to write it."""

    data: InvoiceIn
    customer: PostingDefaults
    amount: Money
    terms: PaymentTerms
    schedule: tuple[tuple[date, Money], ...]
    lines: tuple[tuple[InvoiceLineValues, Money], ...]


@dataclass(frozen=True, slots=True)
class PostedBatch:
    ids: list[int]
    totals: dict[str, str]  # control totals per currency, decimal strings


@dataclass(frozen=True, slots=True)
class InvoiceLineValues:
    description: str
    quantity: Decimal
    unit_price: Decimal


def post_invoices(
    session: Session,
    actor: Actor,
    batch: Sequence[InvoiceIn],
    clock: Clock,
    calendar: BusinessCalendar | None = None,
    *,
    company_calendar: bool = True,
) -> PostedBatch:
    """Validate every invoice, report every problem, and post all of them or none.

    Due dates from terms roll forward to a business day of the company's country (China's
    public holidays and make-up working days included) unless ``company_calendar`` is off.
    """
    if calendar is None and company_calendar and batch:
        calendar = _calendar(session, actor, batch)
    prefix = "invoices[{}]." if len(batch) > 1 else ""
    found = customers.posting_defaults(session, actor.company_id, {i.customer_ref for i in batch})
    refs = [item.external_ref for item in batch]
    problems = duplicate_refs(session, actor, Invoice, refs, kind="invoice", at=prefix)
    checked: list[_Checked] = []
    for index, item in enumerate(batch):
        try:
            checked.append(_check(item, found, calendar, prefix.format(index)))
        except InvalidInput as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInput(problems)
    customers.lock(session, actor.company_id, (c.customer.id for c in checked))
    ids = _write(session, actor, checked, clock)
    totals: dict[str, int] = defaultdict(int)
    for c in checked:
        totals[c.amount.currency] += c.amount.minor
    return PostedBatch(ids, {k: Money(v, k).decimal_string() for k, v in sorted(totals.items())})


def _calendar(session: Session, actor: Actor, batch: Sequence[InvoiceIn]) -> BusinessCalendar:
    first = min(item.issued_on.year for item in batch)
    last = max(item.issued_on.year for item in batch)
    return company_calendar(session, actor, first, last)


def company_calendar(session: Session, actor: Actor, first: int, last: int) -> BusinessCalendar:
    """The business days of the company's country for invoices issued from ``first`` to
    ``last`` (years; one more year for due dates that roll into January)."""
    company = identity.get_company(session, actor.company_id)
    country = company.country if company is not None else "CN"
    try:
        return calendar_for(country, range(first, last + 2))
    except InvalidInput:  # a country the holidays package does not know: weekends only
        return BusinessCalendar()


def _check(
    item: InvoiceIn, found: dict[str, PostingDefaults], calendar: BusinessCalendar | None, at: str
) -> _Checked:
    problems: list[Problem] = []
    customer = found.get(item.customer_ref)
    if customer is None:
        problems.append(
            Problem(f"{at}customer_ref", item.customer_ref, "not_found", {"kind": "customer"})
        )
    amount = _money(item.amount, item.currency, f"{at}amount", problems)
    terms_text = item.payment_terms or (customer.payment_terms if customer else "net 30")
    terms = _guard(lambda: _parse_terms(terms_text, f"{at}payment_terms"), problems)
    lines = _lines(item, at, problems)
    if problems or customer is None or amount is None or terms is None:
        raise InvalidInput(problems)
    schedule = _schedule(item, amount, terms, calendar, at)
    _check_lines(lines, amount, at)
    return _Checked(item, customer, amount, terms, schedule, lines)


@lru_cache(maxsize=1024)
def terms_of(text: str) -> PaymentTerms:
    """Parsed terms, cached: a batch usually repeats a handful of terms thousands of times."""
    return parse_terms(text)


def _parse_terms(text: str, field: str) -> PaymentTerms:
    try:
        return terms_of(text)
    except InvalidInput:
        return parse_terms(text, field)  # raises again, naming the row's own field


def _guard(action: Any, problems: list[Problem]) -> Any:
    try:
        return action()
    except InvalidInput as error:
        problems.extend(error.problems)
        return None


def _money(text: str, currency: str, field: str, problems: list[Problem]) -> Money | None:
    try:
        check_currency(currency, field.replace("amount", "currency"))
        money = Money.parse(text, currency, field)
    except InvalidInput as error:
        problems.extend(error.problems)
        return None
    if money.minor <= 0:
        problems.append(Problem(field, text, "not_positive"))
        return None
    return money


def _lines(
    item: InvoiceIn, at: str, problems: list[Problem]
) -> tuple[tuple[InvoiceLineValues, Money], ...]:
    lines: list[tuple[InvoiceLineValues, Money]] = []
    for n, line in enumerate(item.lines):
        field = f"{at}lines[{n}]."
        try:
            check_currency(item.currency, f"{at}currency")
            money = Money.parse(line.amount, item.currency, f"{field}amount")
            values = InvoiceLineValues(
                line.description,
                to_decimal(line.quantity, f"{field}quantity"),
                to_decimal(line.unit_price, f"{field}unit_price"),
            )
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        lines.append((values, money))
    return tuple(lines)


def _check_lines(lines: Sequence[tuple[InvoiceLineValues, Money]], amount: Money, at: str) -> None:
    if not lines:
        return
    total = Money(sum(m.minor for _, m in lines), amount.currency)
    if total != amount:
        raise InvalidInput(
            [
                Problem(
                    f"{at}lines",
                    total.decimal_string(),
                    "lines_do_not_add_up",
                    {"lines": total.decimal_string(), "amount": amount.decimal_string()},
                )
            ]
        )


def _schedule(
    item: InvoiceIn, amount: Money, terms: PaymentTerms, calendar: BusinessCalendar | None, at: str
) -> tuple[tuple[date, Money], ...]:
    if item.instalments:
        return _explicit_schedule(item, amount, at)
    if item.due_on is not None:
        if item.due_on < item.issued_on:
            raise InvalidInput(
                [
                    Problem(
                        f"{at}due_on",
                        item.due_on.isoformat(),
                        "date_order",
                        {"other": f"issued_on {item.issued_on.isoformat()}"},
                    )
                ]
            )
        return ((item.due_on, amount),)
    parts = instalment_schedule(terms, item.issued_on, amount, calendar)
    return tuple((p.due_on, p.amount) for p in parts)


def _explicit_schedule(item: InvoiceIn, amount: Money, at: str) -> tuple[tuple[date, Money], ...]:
    problems: list[Problem] = []
    parts: list[tuple[date, Money]] = []
    for n, part in enumerate(item.instalments or []):
        field = f"{at}instalments[{n}]."
        money = _money(part.amount, item.currency, f"{field}amount", problems)
        if part.due_on < item.issued_on:
            problems.append(
                Problem(
                    f"{field}due_on",
                    part.due_on.isoformat(),
                    "date_order",
                    {"other": f"issued_on {item.issued_on.isoformat()}"},
                )
            )
        if money is not None:
            parts.append((part.due_on, money))
    total = sum(m.minor for _, m in parts)
    if not problems and total != amount.minor:
        shown = Money(total, amount.currency).decimal_string()
        problems.append(
            Problem(
                f"{at}instalments",
                shown,
                "lines_do_not_add_up",
                {"lines": shown, "amount": amount.decimal_string()},
            )
        )
    if problems:
        raise InvalidInput(problems)
    return tuple(sorted(parts, key=lambda p: p[0]))


def _write(session: Session, actor: Actor, checked: Sequence[_Checked], clock: Clock) -> list[int]:
    now = clock.now()
    ids = repo.insert_entries(
        session, Invoice, actor.company_id, [_invoice_row(actor, c, now) for c in checked]
    )
    instalments: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    deltas = Deltas()
    for invoice_id, c in zip(ids, checked, strict=True):
        for seq, (due_on, money) in enumerate(c.schedule, start=1):
            instalments.append(
                {
                    "company_id": actor.company_id,
                    "invoice_id": invoice_id,
                    "customer_id": c.customer.id,
                    "seq": seq,
                    "due_on": due_on,
                    "currency": money.currency,
                    "amount_minor": money.minor,
                    "open_minor": money.minor,
                }
            )
        for line_no, (values, money) in enumerate(c.lines, start=1):
            lines.append(
                {
                    "company_id": actor.company_id,
                    "invoice_id": invoice_id,
                    "line_no": line_no,
                    "description": values.description,
                    "quantity": values.quantity,
                    "unit_price": values.unit_price,
                    "amount_minor": money.minor,
                }
            )
        deltas.add(c.customer.id, c.amount.currency, invoiced=c.amount.minor, open=c.amount.minor)
    repo.insert_rows(session, Instalment, instalments)
    repo.insert_rows(session, InvoiceLine, lines)
    deltas.write(session, actor.company_id)
    return ids


def _invoice_row(actor: Actor, c: _Checked, now: Any) -> dict[str, Any]:
    discount = c.terms.discount
    return {
        "company_id": actor.company_id,
        "customer_id": c.customer.id,
        "external_ref": c.data.external_ref,
        "issued_on": c.data.issued_on,
        "due_on": max(d for d, _ in c.schedule),
        "currency": c.amount.currency,
        "amount_minor": c.amount.minor,
        "payment_terms": c.terms.code(),
        "discount_rate": None if discount is None else discount.rate,
        "discount_until": discount_deadline(c.terms, c.data.issued_on),
        "order_ref": c.data.order_ref,
        "salesperson": c.data.salesperson or c.customer.salesperson,
        "description": c.data.description,
        "open_minor": c.amount.minor,
        "disputed_minor": 0,
        "status": "open",
        "created_at": now,
        "updated_at": now,
    }
