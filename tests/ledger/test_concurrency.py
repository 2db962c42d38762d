"""R1: 16 processes post payments against one invoice (PostgreSQL): never over-applied.

Beside it, the naive check-then-write variant must over-apply: proof that the test can fail.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from creditguard.db import Database
from creditguard.models import Application, Invoice
from tests import builders as b
from tests.ledger import workers
from tests.reconcile import mismatches

PROCESSES = 16
TRIES = 5  # 16 x 5 x 100.00 = 8,000.00 offered against an invoice of 1,000.00


def run(db: Database, body: Callable[[str, int, int, Any], int]) -> tuple[int, int]:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    b.invoice(db, actor, ref="INV-1", amount="1000.00", issued_on=date(2026, 9, 1))
    url = db.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        posted = pool.starmap(body, [(url, w, TRIES, barrier) for w in range(PROCESSES)])
    with db.read() as session:
        applied = session.scalar(select(func.sum(Application.amount_minor))) or 0
        amount = session.scalar(select(Invoice.amount_minor))
    assert amount is not None
    return sum(posted), applied - amount


@pytest.mark.slow
def test_locked_posting_never_over_applies(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL")
    posted, over_applied = run(db, workers.post_with_service)
    assert (posted, over_applied) == (10, 0)
    assert mismatches(db) == []


@pytest.mark.slow
def test_naive_check_then_write_over_applies(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL")
    posted, over_applied = run(db, workers.post_naively)
    assert over_applied > 0, (
        "the naive variant should over-apply; if it does not, the test proves nothing"
    )
    assert posted * 10000 - 100000 == over_applied
