"""How SQLite runs the open-item lookups of a batch: by the values' own index, never a walk of
every instalment of the company (6 s per 900 invoices at 10M instalments, seconds on a
small ledger's worth of chunks). SQLite plans without statistics, so the plan is the same
on a tiny database as on a large one: the test reads it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from creditguard.db import Database
from creditguard.ledger import repository as repo
from tests import builders as b


@contextmanager
def _statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def _plan(db: Database, lookup: Callable[[Any], object]) -> list[str]:
    with db.read() as session, _statements(db) as seen:
        lookup(session)
        statement, params = next(s for s in seen if "FROM instalments" in s[0])
        rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        return [row[3] for row in rows]


@pytest.fixture
def ledger(db: Database) -> int:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    b.invoice(db, actor, ref="I1", customer="C1", amount="10.00", issued_on=date(2026, 11, 1))
    return actor.company_id


def test_open_items_of_invoices_start_from_the_invoice_numbers(db: Database, ledger: int) -> None:
    plan = _plan(db, lambda s: repo.open_items_of_invoices(s, ledger, ["I1", "I2"]))
    assert plan == [
        "SEARCH invoices USING INDEX sqlite_autoindex_invoices_1 (company_id=? AND external_ref=?)",
        "SEARCH instalments USING INDEX sqlite_autoindex_instalments_1 (invoice_id=?)",
    ]


def test_open_items_of_customers_start_from_the_customers(db: Database, ledger: int) -> None:
    plan = _plan(db, lambda s: repo.open_items_of_customers(s, ledger, [1, 2]))
    assert plan == [
        "SEARCH instalments USING INDEX ix_instalments_customer_due (company_id=? AND customer_id=?)",
        "SEARCH invoices USING INTEGER PRIMARY KEY (rowid=?)",
    ]
