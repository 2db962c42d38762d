"""One customer's aging from its own rows (two statements, summed and written in Python): the
same JSON, byte for byte, as the implementation it replaced (Polars sums, conversion and text)
for every customer of a generated ledger — several currencies, salespeople of the invoice and
of the customer, groups, grades, disputes opened and resolved, write-offs, reversal chains —
for every grouping, both bases and several dates; each customer's row the portfolio's row for
it; broken variants (reversals ignored, the invoice's salesperson dropped, a wrong writing of
amounts) disagree."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypeVar

import polars as pl
import pytest
from sqlalchemy import BigInteger, Date, Select, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from creditguard.analytics import one_customer as one
from creditguard.analytics import repository as repo
from creditguard.analytics import service as analytics
from creditguard.clock import FixedClock
from creditguard.core.aging import Buckets, parse_buckets
from creditguard.core.errors import DomainError, NotFound, not_found
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database, direct
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import (
    DisputeIn,
    DisputeResolveIn,
    InvoiceIn,
    PaymentIn,
    ReversalIn,
    WriteOffIn,
)
from creditguard.models import Application, Customer, Dispute, Instalment, Invoice
from creditguard.rating import service as rating
from creditguard.rating.schemas import OverrideIn
from tests import builders as b

T = TypeVar("T")
DATES = (
    date(2026, 2, 1),
    date(2026, 6, 30),
    date(2026, 8, 20),
    date(2026, 10, 2),
    date(2027, 3, 1),
)
BUCKETS = (Buckets(), parse_buckets("45,120", "invoice"), parse_buckets("7,14,21", "due"))
PEOPLE = (  # code, parent, industry, region, salesperson, usual currency
    ("G1", None, "holding", "上海", None, "CNY"),
    ("C1", "G1", "machinery", "上海", "王", "CNY"),
    ("C2", "G1", "textiles", None, None, "USD"),
    ("C3", None, "textiles", "Zhejiang", "李", "JPY"),
    ("C4", None, None, None, None, "HKD"),
    ("C5", None, "machinery", "Jiangsu", "王", "CNY"),  # nothing invoiced: an empty report
)


def attempt(db: Database, action: Callable[..., T], *args: object) -> T | None:
    """Post one entry; the ledger may refuse it (already settled, written off, disputed)."""
    try:
        with db.write() as session:
            return action(session, *args)
    except DomainError:
        return None


def mixed_ledger(db: Database, seed: int) -> Actor:
    """A year of invoices in four currencies (some with their own salesperson, some in two
    instalments), payments, write-offs, disputes (some resolved), invoice reversals (some put
    back: chains) and ratings (one overridden)."""
    rng = random.Random(seed)
    actor = b.company(db)
    with db.write() as session:
        for code, parent, industry, region, salesperson, currency in PEOPLE:
            data = CustomerIn(
                code=code, name=f"{code} 有限公司", parent_code=parent, industry=industry,
                region=region, salesperson=salesperson, currency=currency,
                payment_terms=rng.choice(["net 30", "eom 30", "50% 0, 50% 60"]),
            )  # fmt: skip
            customers.create(session, actor, data, b.clock())
    _invoices_and_payments(db, actor, rng)
    _adjustments(db, actor, rng)
    _disputed_then_paid(db, actor)
    _ratings(db, actor)
    return actor


CURRENCY = {code: c for code, *_, c in PEOPLE}


def _amount(rng: random.Random, currency: str) -> str:
    if currency == "JPY":  # no minor unit
        return str(rng.randint(10_000, 900_000))
    return f"{rng.randint(100, 9000)}.{rng.randrange(100):02d}"


def _invoice(rng: random.Random, n: int) -> InvoiceIn:
    """Every fourth in CNY whatever the customer's currency; half with their own salesperson."""
    code = rng.choice(["G1", "C1", "C2", "C3", "C4"])
    currency = CURRENCY[code] if n % 4 else "CNY"
    return InvoiceIn(
        external_ref=f"I{n}",
        customer_ref=code,
        issued_on=date(2026, 1, 5) + timedelta(days=rng.randrange(300)),
        currency=currency,
        amount=_amount(rng, currency),
        salesperson=rng.choice([None, None, "赵", "王"]),
    )


def _invoices_and_payments(db: Database, actor: Actor, rng: random.Random) -> None:
    with db.write() as session:
        invoices = [_invoice(rng, n) for n in range(40)]
        ledger.post_invoices(session, actor, invoices, b.clock())
    for n in range(16):
        code = rng.choice(["G1", "C1", "C2", "C3"])
        paid = CURRENCY[code] if n % 3 else "CNY"
        amount = str(rng.randint(5_000, 90_000)) if paid == "JPY" else f"{rng.randint(50, 4000)}.00"
        on = date(2026, 1, 5) + timedelta(days=rng.randrange(320))
        attempt(db, _pay, actor, code, paid, amount, on)


def _pay(session: Session, actor: Actor, code: str, currency: str, amount: str, on: date) -> int:
    data = PaymentIn(
        external_ref=f"P-{code}-{on.isoformat()}-{amount}",
        customer_ref=code,
        received_on=on,
        currency=currency,
        amount=amount,
    )
    return ledger.post_payment(session, actor, data, b.clock()).id


def _adjustments(db: Database, actor: Actor, rng: random.Random) -> None:
    refs = [f"I{n}" for n in range(40)]
    for n, ref in enumerate(rng.sample(refs, 4)):
        off = WriteOffIn(
            external_ref=f"W{n}", invoice_ref=ref, written_off_on=date(2026, 9, 1 + n),
            amount="10.00", reason="无法收回",
        )  # fmt: skip
        attempt(db, ledger.post_write_off, actor, off, b.clock())
    for n, ref in enumerate(rng.sample(refs, 8)):
        amount = "99999.00" if n == 0 else f"{rng.randint(1, 80)}.00"  # one above the invoice
        dispute = DisputeIn(
            invoice_ref=ref, amount=amount, reason="短装", opened_on=date(2026, 5, 1 + n)
        )
        attempt(db, ledger.open_dispute, actor, dispute, b.clock())
    with db.read() as session:
        disputes = list(session.scalars(select(Dispute.id).order_by(Dispute.id)))
        invoice_ids = list(session.scalars(select(Invoice.id).order_by(Invoice.id)))
    for dispute_id in disputes[::3]:
        done = DisputeResolveIn(outcome="resolved", resolved_on=date(2026, 8, 1), resolution="ok")
        attempt(db, ledger.resolve_dispute, actor, dispute_id, done, b.clock())
    for n, target in enumerate(rng.sample(invoice_ids, 8)):
        day = date(2026, 6, 1) + timedelta(days=rng.randrange(80))
        undo = ReversalIn(target_kind="invoice", target_id=target, reversed_on=day, reason="错开")
        first = attempt(db, ledger.reverse, actor, undo, b.clock())
        if first is not None and n < 4:  # put it back 40 days later: a chain of two links
            redo = ReversalIn(
                target_kind="reversal", target_id=first.id, reversed_on=day + timedelta(days=40),
                reason="恢复",
            )  # fmt: skip
            attempt(db, ledger.reverse, actor, redo, b.clock())


def _disputed_then_paid(db: Database, actor: Actor) -> None:
    """Invoices paid in part on 2026-08-15, the payment reversed on 2026-09-10, and disputed in
    full from 2026-08-05: on 2026-08-20 more is in dispute than is open (the cap)."""
    for code, currency in (("C1", "CNY"), ("C2", "USD")):
        ref = f"D-{code}"
        b.invoice(db, actor, ref=ref, customer=code, amount="1000.00", issued_on=date(2026, 8, 1),
                  currency=currency)  # fmt: skip
        paid = b.payment(db, actor, ref=f"P-{ref}", customer=code, amount="500.00",
                         received_on=date(2026, 8, 15), to={ref: "500.00"}, currency=currency)  # fmt: skip
        undo = ReversalIn(
            target_kind="payment", target_id=paid, reversed_on=date(2026, 9, 10), reason="退票"
        )
        with db.write() as session:
            ledger.reverse(session, actor, undo, b.clock())
            whole = DisputeIn(
                invoice_ref=ref, amount="1000.00", reason="全部争议", opened_on=date(2026, 8, 5)
            )
            ledger.open_dispute(session, actor, whole, b.clock())


def _ratings(db: Database, actor: Actor) -> None:
    ids = codes_to_ids(db)
    with db.write() as session:
        rating.rate_customer(session, actor, ids["C1"], b.clock(), as_of=date(2026, 6, 1))
        rating.rate_customer(session, actor, ids["C3"], b.clock(), as_of=date(2026, 9, 1))
        rating.override(
            session,
            actor,
            ids["C1"],
            OverrideIn(grade="D", reason="保函 guarantee"),
            FixedClock(datetime(2026, 8, 10, 4, tzinfo=UTC)),
        )


def codes_to_ids(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {r[0]: r[1] for r in session.execute(select(Customer.code, Customer.id))}


# --- the implementation replaced: its sums (Polars frames), report_of and Polars text ---

# Its queries (formerly in analytics.repository).


def _one_customer_open() -> Select[*tuple[Any, ...]]:
    """:func:`open_items` of one customer, built once with parameters so that each request
    only binds them (the compiled form is cached): company, customer, as_of."""
    company = bindparam("company", type_=BigInteger)
    customer = bindparam("customer", type_=BigInteger)
    as_of = bindparam("as_of", type_=Date)
    own = select(Invoice.id).where(Invoice.company_id == company, Invoice.customer_id == customer)
    applied = (
        select(Application.instalment_id, func.sum(Application.amount_minor).label("applied"))
        .where(
            Application.company_id == company,
            Application.invoice_id.in_(own),
            Application.applied_on <= as_of,
        )
        .group_by(Application.instalment_id)
        .subquery()
    )
    open_minor = Instalment.amount_minor - func.coalesce(applied.c.applied, 0)
    return (
        select(
            Instalment.invoice_id,
            Instalment.due_on,
            Invoice.issued_on,
            Instalment.currency,
            open_minor,
            Invoice.salesperson,
        )
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .outerjoin(applied, applied.c.instalment_id == Instalment.id)
        .where(
            Instalment.company_id == company,
            Instalment.customer_id == customer,
            Invoice.issued_on <= as_of,
            open_minor != 0,
        )
    )


_ONE_OPEN: Final = _one_customer_open()
_ONE_DISPUTED: Final = (
    select(Dispute.invoice_id, func.sum(Dispute.amount_minor))
    .where(
        Dispute.company_id == bindparam("company"),
        Dispute.customer_id == bindparam("customer"),
        Dispute.opened_on <= bindparam("as_of", type_=Date),
        or_(Dispute.resolved_on.is_(None), Dispute.resolved_on > bindparam("as_of", type_=Date)),
    )
    .group_by(Dispute.invoice_id)
)


def customer_open_items(
    session: Session, company_id: int, as_of: date, customer_id: int
) -> list[tuple[Any, ...]]:
    """One customer's :func:`open_items` as plain rows (invoice_id, due_on, issued_on,
    currency, open_minor, salesperson), read by index: a handful of rows, no frame."""
    binds = {"company": company_id, "customer": customer_id, "as_of": as_of}
    return [tuple(row) for row in session.execute(_ONE_OPEN, binds)]


def customer_disputed(
    session: Session, company_id: int, as_of: date, customer_id: int
) -> dict[int, int]:
    """One customer's :func:`disputed`: invoice id -> amount in dispute on ``as_of``."""
    binds = {"company": company_id, "customer": customer_id, "as_of": as_of}
    return {r[0]: int(r[1]) for r in session.execute(_ONE_DISPUTED, binds)}


def customer_attributes(session: Session, company_id: int, customer_id: int) -> dict[str, Any]:
    """One customer's :func:`customers` row as a dict (empty when there is no such customer)."""
    row = session.execute(_ONE_PERSON, {"company": company_id, "customer": customer_id}).first()
    return {} if row is None else dict(zip(repo.CUSTOMERS, row, strict=True))


_ONE_PERSON: Final = repo._people().where(
    Customer.company_id == bindparam("company"), Customer.id == bindparam("customer")
)


def old_one_customer(
    session: Session, company_id: int, as_of: date, customer_id: int, grouping: tuple[str, Buckets]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    by, buckets = grouping
    person = customer_attributes(session, company_id, customer_id)
    if not person:
        raise not_found("customer", customer_id, "customer_id")
    if by == "grade":
        graded = repo.grades_on(session, company_id, as_of, customer_id)["grade"].to_list()
        person = person | {"grade": graded[0] if graded else None}
    dead = analytics.dead_invoices(repo.reversals(session, company_id, customer_id), as_of)
    cells: dict[tuple[str, str, int], int] = defaultdict(int)
    invoices: dict[int, tuple[str, str, int]] = {}
    for (
        invoice_id,
        due_on,
        issued_on,
        currency,
        open_minor,
        salesperson,
    ) in customer_open_items(session, company_id, as_of, customer_id):
        if invoice_id in dead:
            continue
        fields = person | {
            "salesperson": salesperson or person.get("customer_salesperson"),
            "currency": currency,
        }
        key = fields.get(by) or "—"
        cells[(key, currency, buckets.index(buckets.days(as_of, due_on, issued_on)))] += open_minor
        before = invoices.get(invoice_id, (key, currency, 0))[2]
        invoices[invoice_id] = (key, currency, before + open_minor)
    held: dict[tuple[str, str], int] = defaultdict(int)
    for invoice_id, disputed in customer_disputed(session, company_id, as_of, customer_id).items():
        if invoice_id in invoices:
            key, currency, open_minor = invoices[invoice_id]
            held[(key, currency)] += min(open_minor, disputed)
    cell_schema = {"key": pl.String, "currency": pl.String, "bucket": pl.Int64}
    return (
        pl.DataFrame(
            [(*k, v) for k, v in cells.items()],
            schema=cell_schema | {"open_minor": pl.Int64},
            orient="row",
        ),
        pl.DataFrame(
            [(*k, v) for k, v in held.items()],
            schema={"key": pl.String, "currency": pl.String, "held": pl.Int64},
            orient="row",
        ),
    )


def polars_json(report: analytics.AgingReport) -> dict[str, Any]:
    """``as_json`` as it was: rows and totals written by Polars."""
    labels = report.buckets.labels()

    def cells(row: analytics.AgingRow, currency: str) -> dict[str, str]:
        amounts = dict(zip(labels, row.buckets, strict=True))
        shown = {k: Money(v, currency).decimal_string() for k, v in amounts.items()}
        return shown | {"total": Money(row.total, currency).decimal_string()}

    totals = report.totals()
    return {
        "as_of": report.as_of.isoformat(),
        "currency": report.currency,
        "basis": report.buckets.basis,
        "by": report.by,
        "buckets": list(labels),
        "totals": cells(totals, report.currency)
        | {"disputed": Money(totals.disputed, report.currency).decimal_string()},
        "rows": report.text_rows(labels).to_dicts(),
        "original_currency": {
            currency: cells(analytics.AgingRow(currency, amounts, 0), currency)
            for currency, amounts in sorted(report.original.items())
        },
    }


def old_json(
    session: Session, actor: Actor, as_of: date, by: str, buckets: Buckets, customer_id: int
) -> str:
    base = repo.base_currency(session, actor.company_id)
    sums = old_one_customer(session, actor.company_id, as_of, customer_id, (by, buckets))
    report = analytics.report_of(session, as_of, base, by, buckets, sums)
    return json.dumps(polars_json(report), ensure_ascii=False)


def new_json(
    session: Session, actor: Actor, as_of: date, by: str, buckets: Buckets, customer_id: int
) -> str:
    report = analytics.aging(session, actor, as_of, by=by, buckets=buckets, customer_id=customer_id)
    return json.dumps(report.as_json(), ensure_ascii=False)


@pytest.mark.parametrize("seed", [7, 8])
def test_every_customer_grouping_basis_and_date_as_before_byte_for_byte(
    db: Database, seed: int
) -> None:
    actor = mixed_ledger(db, seed)
    ids = codes_to_ids(db)
    seen: dict[str, set[Any]] = defaultdict(set)
    for as_of in DATES:
        for by in analytics.GROUPINGS:
            for buckets in BUCKETS:
                with db.read() as session:
                    for customer_id in ids.values():
                        got = new_json(session, actor, as_of, by, buckets, customer_id)
                        assert got == old_json(session, actor, as_of, by, buckets, customer_id), (
                            as_of, by, buckets, customer_id,
                        )  # fmt: skip
                        shown = json.loads(got)
                        seen["keys"].update(r["key"] for r in shown["rows"])
                        seen["currencies"].update(shown["original_currency"])
                        seen["disputed"].add(shown["totals"]["disputed"] != "0.00")
                        seen["rows"].add(len(shown["rows"]))
    # The sample reaches what it is meant to: every kind of key, currency, dispute, empty report.
    assert {"王", "赵", "李", "—", "G1", "D", "machinery", "上海", "USD", "JPY"} <= seen["keys"]
    assert seen["currencies"] == {"CNY", "USD", "JPY", "HKD"}
    assert seen["disputed"] == {True, False}
    assert {0, 1, 2} <= seen["rows"]


@pytest.mark.parametrize("seed", [7])
def test_each_customers_row_is_the_portfolios_row_for_it(db: Database, seed: int) -> None:
    actor = mixed_ledger(db, seed)
    ids = codes_to_ids(db)
    for as_of in DATES:
        for buckets in BUCKETS:
            with db.read() as session:
                whole = analytics.aging(session, actor, as_of, buckets=buckets).as_json()
                alone = [
                    row
                    for customer_id in ids.values()
                    for row in analytics.aging(
                        session, actor, as_of, buckets=buckets, customer_id=customer_id
                    ).as_json()["rows"]
                ]
            assert sorted(alone, key=lambda r: r["key"]) == whole["rows"], (as_of, buckets)
            assert whole["rows"], as_of


@pytest.mark.parametrize("seed", [7])
def test_broken_variants_disagree(db: Database, seed: int) -> None:
    """Reversals ignored, or the invoice's own salesperson dropped: another answer."""
    actor = mixed_ledger(db, seed)
    ids = codes_to_ids(db)
    grouping = ("salesperson", Buckets())

    def answers(
        session: Session, as_of: date, broken: Callable[[one.Ledger], one.Ledger]
    ) -> dict[int, Any]:
        found = {}
        for customer_id in ids.values():
            ledger_ = one.read(session, actor.company_id, as_of, customer_id)
            assert ledger_ is not None
            ledger_ = broken(ledger_)
            sums = one.sums(ledger_, analytics.dead_invoices(ledger_.links, as_of), as_of, grouping)
            found[customer_id] = dict(sums[0])
        return found

    def unreversed(found: one.Ledger) -> one.Ledger:
        return replace(found, links=[])

    def unsold(found: one.Ledger) -> one.Ledger:
        return replace(found, items=[(*i[:5], None, i[6]) for i in found.items])

    as_of = date(2026, 8, 20)
    with db.read() as session:
        right = answers(session, as_of, lambda found: found)
        assert answers(session, as_of, unreversed) != right
        assert answers(session, as_of, unsold) != right


AMOUNTS = (0, 1, -1, 5, -5, 99, -99, 100, -100, 1_234_567, -1_234_567, 10**17, -(10**17))


@pytest.mark.parametrize("currency", ["CNY", "JPY"])
def test_a_few_rows_are_written_as_polars_writes_them(currency: str) -> None:
    """The cell-by-cell JSON of a few rows (one customer's) is the column-wise one, for
    amounts around zero, negative, large, and a currency without decimals; a broken writing
    differs."""
    width = len(Buckets().bounds())
    rows = [
        (f"K{n}", *(AMOUNTS[(n + i) % len(AMOUNTS)] for i in range(width)), AMOUNTS[n])
        for n in range(len(AMOUNTS))
    ]
    schema = {"key": pl.String} | {f"b{i}": pl.Int64 for i in range(width)}
    table = pl.DataFrame(rows, schema=schema | {"disputed": pl.Int64}, orient="row")
    original = {"USD": tuple(AMOUNTS[:width]), currency: tuple(AMOUNTS[-width:])}
    report = analytics.AgingReport(
        date(2026, 11, 20), currency, "customer", Buckets(), table, original
    )
    assert table.height < analytics.FEW_ROWS
    shown = report.as_json()
    assert json.dumps(shown) == json.dumps(polars_json(report))
    assert shown["rows"][2]["not due"] == ("-0.01" if currency == "CNY" else "-1")
    broken = [
        {k: v if k == "key" else _wrong_text(v) for k, v in row.items()} for row in shown["rows"]
    ]
    assert broken != polars_json(report)["rows"]


def _wrong_text(text: str) -> str:
    """Two usual slips: the sign taken from the whole part (-0.05 written 0.05), and two
    decimals for a currency without (-1 yen written -1.00)."""
    if "." not in text:
        return f"{text}.00"
    return text.removeprefix("-") if text.startswith("-0.") else text


def test_another_companys_customer_and_an_unknown_one_are_not_found(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    other = b.company(db, code="OTHER")
    stranger = b.customer(db, other, code="X1")
    b.invoice(db, other, ref="X-I1", customer="X1", amount="10.00", issued_on=date(2026, 9, 1))
    for absent in (stranger, 10**9):
        for by in ("customer", "grade"):
            with db.read() as session, pytest.raises(NotFound) as refused:
                analytics.aging(
                    session, actor, date(2026, 11, 20), by=by, buckets=Buckets(), customer_id=absent
                )
            assert [(p.field, p.value, p.code) for p in refused.value.problems] == [
                ("customer_id", absent, "not_found")
            ]


def test_both_statements_go_straight_to_the_driver_on_postgresql() -> None:
    dialect = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
    for statement in (
        one.person_statement(graded=False),
        one.person_statement(graded=True),
        one.items_statement(),
    ):
        assert direct.compiled(statement, dialect) is not None


def test_an_empty_attribute_is_the_same_row_alone_and_in_the_portfolio(db: Database) -> None:
    """An empty industry or salesperson is a value (its own row ""), a missing one is "—",
    alone as in the portfolio (before: alone, "" became "—")."""
    actor = b.company(db)
    with db.write() as session:
        for code, industry, salesperson in (("E1", "", ""), ("E2", None, None), ("E3", "x", "")):
            data = CustomerIn(
                code=code,
                name=f"{code} 有限公司",
                payment_terms="net 30",
                currency="CNY",
                industry=industry,
                salesperson=salesperson,
            )
            customers.create(session, actor, data, b.clock())
    for n, code in enumerate(("E1", "E2", "E3")):
        b.invoice(db, actor, ref=f"I-{code}", customer=code, amount=f"{n + 1}0.00",
                  issued_on=date(2026, 10, 1))  # fmt: skip
    ids = codes_to_ids(db)
    as_of = date(2026, 11, 22)
    for by in ("industry", "salesperson", "region"):
        with db.read() as session:
            whole = analytics.aging(session, actor, as_of, by=by, buckets=Buckets()).as_json()
            alone = [
                row["key"]
                for code in ("E1", "E2", "E3")
                for row in analytics.aging(
                    session, actor, as_of, by=by, buckets=Buckets(), customer_id=ids[code]
                ).as_json()["rows"]
            ]
        expected = {"industry": ["", "—", "x"], "salesperson": ["", "—", ""],
                    "region": ["—", "—", "—"]}[by]  # fmt: skip
        assert alone == expected, by
        assert sorted(set(alone)) == [row["key"] for row in whole["rows"]], by
