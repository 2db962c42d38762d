"""Column-wise posting at a size that takes the bulk paths: COPY on PostgreSQL, staged inserts
with index rebuilds and staged balance updates on SQLite."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import func, inspect, select, text

from creditguard.core.errors import Conflict, InvalidInput
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers.schemas import CustomerIn
from creditguard.customers.service import create
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.models import CustomerBalance, Instalment, Invoice
from tests import builders as b
from tests.reconcile import mismatches

CUSTOMERS = 2_100  # beyond the staged-balances threshold
INVOICES = 60_000  # beyond the index-rebuild threshold


def frame(rng: random.Random, start: int, count: int) -> pl.DataFrame:
    issued = [date(2026, 1, 1) + timedelta(days=rng.randrange(300)) for _ in range(count)]
    return pl.DataFrame(
        {
            "external_ref": [f"INV-{start + n:07d}" for n in range(count)],
            "customer_ref": [f"C{rng.randrange(CUSTOMERS):05d}" for _ in range(count)],
            "issued_on": issued,
            "currency": [rng.choice(["CNY", "USD"]) for _ in range(count)],
            "amount_minor": [rng.randint(1, 10**9) for _ in range(count)],
            "payment_terms": [rng.choice([None, "net 60", "50% 0, 50% 30"]) for _ in range(count)],
            "due_on": [None] * count,
            "order_ref": [None] * count,
            "salesperson": [None] * count,
            "description": [None] * count,
        },
        schema_overrides={"due_on": pl.Date, "order_ref": pl.String, "salesperson": pl.String},
    )


def indexes(db: Database) -> list[tuple[str, tuple[str | None, ...]]]:
    """The indexes and foreign keys of the tables a bulk load rebuilds."""
    with db.engine.connect() as connection:
        found = inspect(connection)
        tables = ("invoices", "instalments")
        return sorted(
            [
                (i["name"] or "", tuple(i["column_names"]))
                for t in tables
                for i in found.get_indexes(t)
            ]
            + [
                (f"{t} -> {k['referred_table']}", tuple(k["constrained_columns"]))
                for t in tables
                for k in found.get_foreign_keys(t)
            ]
        )


@pytest.fixture
def many(db: Database) -> Actor:
    actor = b.company(db)
    with db.write() as session:
        for n in range(CUSTOMERS):
            create(session, actor, CustomerIn(code=f"C{n:05d}", name=f"客户{n}"), b.clock())
    return actor


def test_a_large_batch_posts_every_invoice_open_item_and_balance(db: Database, many: Actor) -> None:
    rng = random.Random(3)
    before = indexes(db)
    assert [name for name, _ in before if "->" in name] == [
        "instalments -> companies",
        "instalments -> customers",
        "instalments -> invoices",
        "invoices -> companies",
        "invoices -> customers",
    ]
    batch = frame(rng, 0, INVOICES)
    with db.write() as session:
        posted = ledger.post_invoice_frame(session, many, batch, b.clock())
    assert len(posted.ids) == INVOICES
    sums = batch.group_by("currency").agg(pl.col("amount_minor").sum()).sort("currency")
    assert posted.totals == {c: Money(v, c).decimal_string() for c, v in sums.iter_rows()}
    split = batch.filter(pl.col("payment_terms") == "50% 0, 50% 30").height
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == INVOICES
        assert session.scalar(select(func.count()).select_from(Instalment)) == INVOICES + split
        assert (
            session.scalar(select(func.sum(Instalment.open_minor))) == batch["amount_minor"].sum()
        )
        assert (
            session.scalar(select(func.sum(CustomerBalance.invoiced_minor)))
            == batch["amount_minor"].sum()
        )
        assert session.scalar(select(func.count()).select_from(CustomerBalance)) == (
            batch.select("customer_ref", "currency").unique().height
        )
    assert mismatches(db) == []
    assert indexes(db) == before
    # A second batch adds to the balances already there (the staged update path).
    more = frame(rng, INVOICES, 3_000)
    with db.write() as session:
        ledger.post_invoice_frame(session, many, more, b.clock())
    assert mismatches(db) == []
    with db.read() as session:
        assert session.scalar(select(func.sum(CustomerBalance.open_minor))) == int(
            batch["amount_minor"].sum()
        ) + int(more["amount_minor"].sum())


def test_a_batch_that_fails_after_writing_leaves_rows_and_indexes_as_they_were(
    db: Database, many: Actor
) -> None:
    before = indexes(db)
    batch = frame(random.Random(4), 0, INVOICES)

    def die_before_commit() -> None:
        with db.write() as session:
            ledger.post_invoice_frame(session, many, batch, b.clock())
            raise RuntimeError("the process dies before commit")

    with pytest.raises(RuntimeError):
        die_before_commit()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert session.scalar(select(func.count()).select_from(CustomerBalance)) == 0
        if db.engine.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert indexes(db) == before


def test_problems_are_named_by_row_and_a_reference_taken_meanwhile_refuses_the_batch(
    db: Database, many: Actor
) -> None:
    batch = frame(random.Random(5), 0, 5)
    bad = batch.with_columns(
        customer_ref=pl.Series(["C00001", "NOPE", "C00002", "C00003", "C00004"]),
        currency=pl.Series(["CNY", "CNY", "XXX", "CNY", "CNY"]),
        amount_minor=pl.Series([1, 1, 1, 0, 1]),
        payment_terms=pl.Series([None, None, None, None, "net abc"]),
    )
    with pytest.raises(InvalidInput) as refused, db.write() as session:
        ledger.post_invoice_frame(session, many, bad, b.clock())
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("invoices[1].customer_ref", "not_found"),
        ("invoices[2].currency", "unknown_currency"),
        ("invoices[3].amount", "not_positive"),
        ("invoices[4].payment_terms", "bad_terms"),
    ]
    with db.write() as session:
        ledger.post_invoice_frame(session, many, batch.head(1), b.clock())
    # The caller said it had looked the references up; one was posted meanwhile.
    with pytest.raises(Conflict), db.write() as session:
        ledger.post_invoice_frame(session, many, batch, b.clock(), refs_looked_up=True)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 1
