"""16 processes x 50 reserving checks against one customer (PostgreSQL): never over-committed.

Beside it, the same checks without the row lock must over-commit: proof the test can fail.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from creditguard.db import Database
from creditguard.models import CreditReservation
from tests import builders as b
from tests.credit import helpers as h
from tests.credit import workers

PROCESSES = 16
TRIES = 50  # 16 x 50 x 7.00 = 5,600.00 offered against a limit of 1,000.00: 142 fit
LIMIT_MINOR = 100000
AMOUNT_MINOR = 700


def run(db: Database, body: Callable[[str, int, int, Any], int]) -> tuple[int, int]:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="1000.00")
    url = db.engine.url.render_as_string(hide_password=False)
    # A fork server that imported the workers once: 16 fresh interpreters would spend longer
    # importing creditguard than checking.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.credit.workers"])
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        approved = pool.starmap(body, [(url, w, TRIES, barrier) for w in range(PROCESSES)])
    with db.read() as session:
        total = session.scalar(
            select(func.sum(CreditReservation.amount_minor)).where(
                CreditReservation.status == "reserved"
            )
        )
    return sum(approved), int(total or 0)


@pytest.mark.slow
def test_locked_checks_never_over_commit(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL")
    approved, total = run(db, workers.reserve_with_service)
    assert total <= LIMIT_MINOR
    assert (approved, total) == (142, 142 * AMOUNT_MINOR)


@pytest.mark.slow
def test_naive_checks_over_commit(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL")
    approved, total = run(db, workers.reserve_naively)
    # 9 rounds of 16 read the same exposure and all approve (the 9th from 89,600): over by 800
    assert (approved, total) == (144, 144 * AMOUNT_MINOR)
    assert total > LIMIT_MINOR


@pytest.mark.slow
def test_checks_in_units_never_over_commit(db: Database) -> None:
    """The fast path's units of work (service.run_checks, SKIP LOCKED, the rest alone)."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL")
    approved, total = run(db, workers.reserve_in_units)
    assert total <= LIMIT_MINOR
    assert (approved, total) == (142, 142 * AMOUNT_MINOR)


@pytest.mark.slow
def test_units_without_the_row_lock_over_commit(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises every writer; the race needs PostgreSQL")
    approved, total = run(db, workers.reserve_in_units_naively)
    assert (approved, total) == (144, 144 * AMOUNT_MINOR)
    assert total > LIMIT_MINOR
