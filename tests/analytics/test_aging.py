"""Aging: exact totals on a small literal ledger, and past dates equal to a brute-force
recomputation from the entries, on a generated ledger with payments, write-offs, disputes and
reversal chains."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl
import pytest
from sqlalchemy import select

from creditguard.analytics import service as analytics
from creditguard.analytics.snapshot import snapshot_for
from creditguard.clock import FixedClock
from creditguard.core.aging import Buckets, parse_buckets
from creditguard.core.errors import DomainError
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn, CustomerUpdate
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import DisputeIn, InvoiceIn, ReversalIn, WriteOffIn
from creditguard.models import Application, Customer, Instalment, Invoice, Reversal
from creditguard.rating import service as rating
from creditguard.rating.schemas import OverrideIn
from creditguard.reference import service as reference
from tests import builders as b

AS_OF = date(2026, 11, 20)
T = TypeVar("T")


def literal_ledger(db: Database) -> Actor:
    actor = b.company(db)
    with db.write() as session:
        for data in (
            CustomerIn(code="G1", name="集团", industry="holding"),
            CustomerIn(code="C1", name="甲", parent_code="G1", industry="machinery"),
            CustomerIn(code="C2", name="乙", industry="textiles", region="Zhejiang"),
        ):
            customers.create(session, actor, data, b.clock())
    b.invoice(db, actor, ref="I1", customer="C1", amount="1000.00", issued_on=date(2026, 8, 1))
    b.invoice(db, actor, ref="I2", customer="C1", amount="500.00", issued_on=date(2026, 10, 20))
    b.invoice(
        db,
        actor,
        ref="I3",
        customer="C2",
        amount="100.00",
        issued_on=date(2026, 11, 10),
        currency="USD",
    )
    b.invoice(db, actor, ref="I4", customer="C2", amount="300.00", issued_on=date(2026, 3, 1))
    b.payment(
        db,
        actor,
        ref="P1",
        customer="C1",
        amount="200.00",
        received_on=date(2026, 9, 15),
        to={"I1": "200.00"},
    )
    with db.write() as session:
        ledger.open_dispute(
            session,
            actor,
            DisputeIn(
                invoice_ref="I4", amount="50.00", reason="质量问题", opened_on=date(2026, 4, 2)
            ),
            b.clock(),
        )
    return actor


def usd(db: Database, amount: str, on: date) -> str:
    with db.read() as session:
        rate = reference.rate(session, "USD", "CNY", on).rate
    return Money.from_decimal(Decimal(amount) * rate, "CNY").decimal_string()


def test_a_literal_ledger_ages_to_the_cent(db: Database) -> None:
    actor = literal_ledger(db)
    with db.read() as session:
        report = analytics.aging(session, actor, AS_OF, buckets=Buckets()).as_json()
    dollars = usd(db, "100.00", AS_OF)
    # I1 due 2026-08-31: 81 days late; I2 due 2026-11-19: 1 day; I3 not due; I4 due 2026-03-31: 234 days.
    assert report["buckets"] == ["not due", "1-30", "31-60", "61-90", "91-180", ">180"]
    assert report["rows"] == [
        {"key": "C1", "not due": "0.00", "1-30": "500.00", "31-60": "0.00", "61-90": "800.00",
         "91-180": "0.00", ">180": "0.00", "total": "1300.00", "disputed": "0.00"},
        {"key": "C2", "not due": dollars, "1-30": "0.00", "31-60": "0.00", "61-90": "0.00",
         "91-180": "0.00", ">180": "300.00",
         "total": str(Decimal(dollars) + Decimal("300.00")), "disputed": "50.00"},
    ]  # fmt: skip
    assert report["totals"]["total"] == str(Decimal("1600.00") + Decimal(dollars))
    assert report["original_currency"]["USD"]["not due"] == "100.00"
    assert (report["as_of"], report["currency"], report["by"]) == ("2026-11-20", "CNY", "customer")


def test_past_dates_groupings_and_the_invoice_basis(db: Database) -> None:
    actor = literal_ledger(db)
    with db.read() as session:
        early = analytics.aging(session, actor, date(2026, 9, 1), by="group", buckets=Buckets())
        by_industry = analytics.aging(session, actor, AS_OF, by="industry", buckets=Buckets())
        by_issue = analytics.aging(
            session, actor, AS_OF, by="group", buckets=parse_buckets("90", "invoice")
        )
    # On 2026-09-01 the payment had not come and I2, I3 did not exist; I4's dispute was open.
    assert [(r.key, r.buckets, r.disputed) for r in early.rows] == [
        ("C2", (0, 0, 0, 0, 300_00, 0), 50_00),
        ("G1", (0, 1000_00, 0, 0, 0, 0), 0),
    ]
    assert [r.key for r in by_industry.rows] == ["machinery", "textiles"]
    assert [(r.key, r.buckets[1]) for r in by_issue.rows] == [("C2", 300_00), ("G1", 800_00)]
    assert by_issue.buckets.labels() == ("0-90", ">90")


def test_today_equals_the_open_items_the_ledger_keeps(db: Database) -> None:
    actor = literal_ledger(db)
    with db.read() as session:
        report = analytics.aging(session, actor, date(2030, 1, 1), by="currency", buckets=Buckets())
        kept = session.execute(
            select(Instalment.currency, Instalment.open_minor).where(Instalment.open_minor > 0)
        ).all()
    sums: dict[str, int] = defaultdict(int)
    for currency, minor in kept:
        sums[currency] += minor
    assert {c: sum(v) for c, v in report.original.items()} == sums


def random_ledger(db: Database, seed: int) -> Actor:
    """Invoices over a year, payments applied oldest first, write-offs, disputes, and
    reversals of invoices — two of them put back by reversing the reversal (chains)."""
    rng = random.Random(seed)
    actor = b.company(db)
    for code in ("C1", "C2", "C3"):
        b.customer(db, actor, code=code, terms=rng.choice(["net 30", "eom 30", "50% 0, 50% 60"]))
    start = date(2026, 1, 5)
    refs = [f"I{n}" for n in range(24)]
    for n, ref in enumerate(refs):
        b.invoice(
            db, actor, ref=ref, customer=f"C{1 + n % 3}", amount=f"{rng.randint(100, 5000)}.00",
            issued_on=start + timedelta(days=rng.randrange(300)),
        )  # fmt: skip
    for n in range(12):
        b.payment(
            db, actor, ref=f"P{n}", customer=f"C{1 + n % 3}", amount=f"{rng.randint(50, 3000)}.00",
            received_on=start + timedelta(days=rng.randrange(320)),
        )  # fmt: skip
    for n, ref in enumerate(rng.sample(refs, 3)):
        off = WriteOffIn(
            external_ref=f"W{n}", invoice_ref=ref, written_off_on=date(2026, 10, 1 + n),
            amount="10.00", reason="无法收回",
        )  # fmt: skip
        attempt(db, ledger.post_write_off, actor, off, b.clock())
    for ref in rng.sample(refs, 2):
        dispute = DisputeIn(
            invoice_ref=ref, amount="20.00", reason="短装", opened_on=date(2026, 6, 1)
        )
        attempt(db, ledger.open_dispute, actor, dispute, b.clock())
    with db.read() as session:
        invoice_ids = list(session.scalars(select(Invoice.id).order_by(Invoice.id)))
    for n, target in enumerate(rng.sample(invoice_ids, 6)):
        day = date(2026, 7, 1) + timedelta(days=rng.randrange(60))
        undo = ReversalIn(target_kind="invoice", target_id=target, reversed_on=day, reason="错开")
        first = attempt(db, ledger.reverse, actor, undo, b.clock())
        if first is not None and n < 3:  # put it back 40 days later: a chain of two links
            redo = ReversalIn(
                target_kind="reversal", target_id=first.id, reversed_on=day + timedelta(days=40),
                reason="恢复",
            )  # fmt: skip
            attempt(db, ledger.reverse, actor, redo, b.clock())
    return actor


def attempt(db: Database, action: Callable[..., T], *args: object) -> T | None:
    """Post one entry; the ledger may refuse it (already settled, written off, disputed)."""
    try:
        with db.write() as session:
            return action(session, *args)
    except DomainError:
        return None


def brute_force(db: Database, actor: Actor, as_of: date, buckets: Buckets) -> dict[str, list[int]]:
    """Row by row from the entries: open per instalment on ``as_of``, bucketed by ``core``."""
    with db.read() as session:
        invoices = {i.id: i for i in session.scalars(select(Invoice))}
        links = list(session.scalars(select(Reversal).order_by(Reversal.id)))
        parts = list(session.scalars(select(Instalment)))
        applications = list(session.scalars(select(Application)))
        codes: dict[int, str] = dict(
            session.execute(
                select(Customer.id, Customer.code).where(Customer.company_id == actor.company_id)
            ).all()
        )
    state: dict[int, bool] = {}
    for invoice_id in invoices:
        live, kind, target = True, "invoice", invoice_id
        while (
            link := next((r for r in links if (r.target_kind, r.target_id) == (kind, target)), None)
        ) and link.reversed_on <= as_of:
            live, kind, target = not live, "reversal", link.id
        state[invoice_id] = live
    applied: dict[int, int] = defaultdict(int)
    for a in applications:
        if a.applied_on <= as_of:
            applied[a.instalment_id] += a.amount_minor
    table: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets.bounds()))
    for part in parts:
        invoice = invoices[part.invoice_id]
        if invoice.issued_on > as_of or not state[invoice.id]:
            continue
        left = part.amount_minor - applied[part.id]
        if left:
            days = buckets.days(as_of, part.due_on, invoice.issued_on)
            table[codes[part.customer_id]][buckets.index(days)] += left
    return {k: v for k, v in table.items() if any(v)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_past_dates_equal_a_brute_force_recomputation(db: Database, seed: int) -> None:
    actor = random_ledger(db, seed)
    with db.read() as session:
        kinds = [r.target_kind for r in session.scalars(select(Reversal))]
        sources = {a.source_kind for a in session.scalars(select(Application))}
    assert kinds.count("invoice") >= 2
    assert kinds.count("reversal") >= 1
    assert sources >= {"payment", "write_off"}
    for as_of in (
        date(2026, 1, 4),
        date(2026, 3, 31),
        date(2026, 7, 15),
        date(2026, 8, 20),
        date(2026, 10, 2),
        date(2027, 2, 1),
    ):
        for buckets in (Buckets(), parse_buckets("45,120", "invoice")):
            with db.read() as session:
                report = analytics.aging(session, actor, as_of, buckets=buckets)
            got = {r.key: list(r.buckets) for r in report.rows if r.total}
            assert got == brute_force(db, actor, as_of, buckets), (as_of, buckets)
            with db.read() as session:  # one customer at a time reads its own rows only
                ids: dict[str, int] = {
                    r[0]: r[1] for r in session.execute(select(Customer.code, Customer.id))
                }
                alone = {
                    code: analytics.aging(
                        session, actor, as_of, buckets=buckets, customer_id=ids[code]
                    ).rows
                    for code in ids
                }
            assert {c: list(r[0].buckets) for c, r in alone.items() if r and r[0].total} == got
            disputed = {r.key: r.disputed for r in report.rows if r.disputed}
            assert {c: r[0].disputed for c, r in alone.items() if r and r[0].disputed} == disputed
    assert disputed, "the ledger has disputes open on the last date"


@pytest.mark.parametrize("seed", [5])
def test_one_customer_by_any_grouping_adds_up_to_the_portfolio(db: Database, seed: int) -> None:
    """One customer's report (its own rows, summed in Python) grouped by anything, summed over
    the customers, is the portfolio's report (columns, Polars) cell for cell, disputes too."""
    actor = random_ledger(db, seed)
    with db.read() as session:
        ids = list(session.scalars(select(Customer.id)))
    for as_of in (date(2026, 3, 31), date(2026, 10, 2)):
        for by in ("group", "salesperson", "currency", "region"):
            buckets = parse_buckets("45,120", "invoice") if by == "salesperson" else Buckets()
            with db.read() as session:
                whole = analytics.aging(session, actor, as_of, by=by, buckets=buckets)
                summed: dict[str, list[int]] = {}
                for customer_id in ids:
                    for row in analytics.aging(
                        session, actor, as_of, by=by, buckets=buckets, customer_id=customer_id
                    ).rows:
                        cell = summed.setdefault(row.key, [0] * (len(row.buckets) + 1))
                        for i, amount in enumerate((*row.buckets, row.disputed)):
                            cell[i] += amount
            expected = {r.key: [*r.buckets, r.disputed] for r in whole.rows}
            assert expected, (as_of, by)
            assert summed == expected, (as_of, by)


def test_the_column_rule_is_the_core_rule() -> None:
    as_of = date(2026, 11, 20)
    for buckets in (Buckets(), parse_buckets("7,14", "due"), parse_buckets("30,90", "invoice")):
        dates = [as_of - timedelta(days=d) for d in range(-10, 400)]
        frame = pl.DataFrame({"due_on": dates, "issued_on": dates})
        got = frame.select(analytics.bucket_expr(buckets, as_of))[:, 0].to_list()
        assert got == [buckets.index((as_of - d).days) for d in dates]


def test_aging_by_the_grade_that_held_on_the_date(db: Database) -> None:
    actor = literal_ledger(db)
    with db.read() as session:
        ids: dict[str, int] = {
            r[0]: r[1] for r in session.execute(select(Customer.code, Customer.id))
        }
    with db.write() as session:
        first = rating.rate_customer(session, actor, ids["C1"], b.clock(), as_of=date(2026, 6, 1))
        other = rating.rate_customer(session, actor, ids["C2"], b.clock(), as_of=date(2026, 10, 1))
        held = min({"A", "B", "C", "D"} - {first.grade, other.grade})
        overridden_on = FixedClock(datetime(2026, 9, 10, 4, tzinfo=UTC))  # 2026-09-10 in Shanghai
        rating.override(
            session,
            actor,
            ids["C1"],
            OverrideIn(grade=held, reason="保函 guarantee"),
            overridden_on,
        )

    def rows(as_of: date, by: str, customer_id: int | None = None) -> dict[str, tuple[Any, ...]]:
        with db.read() as session:
            report = analytics.aging(
                session, actor, as_of, by=by, buckets=Buckets(), customer_id=customer_id
            )
        return {r.key: (r.buckets, r.disputed) for r in report.rows}

    now, then = rows(AS_OF, "customer"), rows(date(2026, 9, 1), "customer")
    assert rows(AS_OF, "grade") == {held: now["C1"], other.grade: now["C2"]}
    # On 2026-09-01 C1 held the grade of its June rating (the override came later), C2 none.
    assert rows(date(2026, 9, 1), "grade") == {first.grade: then["C1"], "—": then["C2"]}
    assert rows(AS_OF, "grade", ids["C1"]) == {held: now["C1"]}
    assert rows(date(2026, 9, 1), "grade", ids["C2"]) == {"—": then["C2"]}


def test_a_customer_moved_is_grouped_anew_by_the_kept_snapshot(db: Database) -> None:
    """The snapshot keeps the customers as the reports read them (group, industry, ...) from
    one refresh to the next; a change to a customer is in the next report."""
    actor = literal_ledger(db)

    def by_industry() -> list[tuple[str, int]]:
        with db.read() as session:
            report = analytics.aging(session, actor, AS_OF, by="industry", buckets=Buckets())
        return [(r.key, r.total) for r in report.rows]

    before = by_industry()
    assert [key for key, _ in before] == ["machinery", "textiles"]
    with db.write() as session:
        c1 = session.scalar(select(Customer.id).where(Customer.code == "C1"))
        assert c1 is not None
        customers.update(session, actor, c1, CustomerUpdate(industry="textiles"), b.clock())
    assert by_industry() == [("textiles", before[0][1] + before[1][1])]


def cells_in_one_step(items: pl.LazyFrame, by: str, people: pl.DataFrame) -> dict[Any, int]:
    """(key, currency, bucket) -> open amount the plain way: every item joined with its
    customer, then summed once (the invoice's salesperson first, else the customer's)."""
    rows = items.collect().join(people, on="customer_id", how="left")
    sums: dict[Any, int] = defaultdict(int)
    for row in rows.iter_rows(named=True):
        own = row["salesperson"] if by == "salesperson" else None  # the invoice's first
        key = own or row["customer_salesperson" if by == "salesperson" else by]
        sums[(key or "—", row["currency"], row["bucket"])] += row["open_minor"]
    return dict(sums)


@pytest.mark.parametrize("seed", [2, 6])
def test_cells_summed_per_customer_first_are_those_summed_once(db: Database, seed: int) -> None:
    """``aging_cells`` sums per customer (an integer key) before it joins the customers and
    sums per key: cell for cell what summing every item once per key gives, for every
    grouping; a broken variant that drops the invoice's own salesperson disagrees."""
    actor = random_ledger(db, seed)
    with db.write() as session:  # salespeople: the customers', and some invoices' own
        for code, person in (("C1", "王"), ("C2", "李")):
            customer_id = session.scalar(select(Customer.id).where(Customer.code == code))
            assert customer_id is not None
            update = CustomerUpdate(salesperson=person)
            customers.update(session, actor, customer_id, update, b.clock())
        own = [
            InvoiceIn(
                external_ref=f"S{n}",
                customer_ref=f"C{1 + n % 3}",
                issued_on=date(2026, 7, 1 + n),
                currency="CNY",
                amount=f"{100 + n}.00",
                salesperson="赵",
            )
            for n in range(6)
        ]
        ledger.post_invoices(session, actor, own, b.clock())
    with db.read() as session:
        snap = snapshot_for(session, actor.company_id)
    people = snap.customers()
    for as_of in (date(2026, 3, 31), date(2026, 8, 20), date(2027, 2, 1)):
        items = analytics.open_in(snap, as_of, lazy=True).with_columns(
            bucket=analytics.bucket_expr(Buckets(), as_of)
        )
        for by in ("customer", "group", "industry", "region", "salesperson", "currency"):
            found = analytics.aging_cells(items, by, people)
            got = {(k, c, n): v for k, c, n, v in found.iter_rows()}
            assert got == cells_in_one_step(items, by, people), (as_of, by)
        keys = {k for k, _, _ in cells_in_one_step(items, "salesperson", people)}
        assert "赵" in keys or as_of < date(2026, 8, 1), as_of
    blind = items.with_columns(salesperson=pl.lit(None, pl.String))
    broken = analytics.aging_cells(blind, "salesperson", people)
    assert {(k, c, n): v for k, c, n, v in broken.iter_rows()} != cells_in_one_step(
        items, "salesperson", people
    )
