"""Segregation of duties in the database, and two deciders at once: exactly one wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from creditguard.core.errors import Conflict
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn, LimitRequestIn
from creditguard.limits.service.requests import apply_limit
from creditguard.models import LimitRequest
from tests import builders as b

DECIDERS = 8


def _requested(db: Database, amount: str = "500000.00") -> tuple[Actor, int]:
    owner = b.company(db)
    b.customer(db, owner, code="C-1")
    sales = Actor(owner.company_id, "user:7", "sales")
    data = LimitRequestIn(customer_ref="C-1", amount=amount, currency="CNY", reason="peak")
    with db.write() as session:
        return owner, service.create(session, sales, data, b.clock()).id


@pytest.mark.parametrize("decider", ["user:7", "user:8"])
def test_the_database_refuses_the_requester_as_decider(db: Database, decider: str) -> None:
    """A direct UPDATE behind the service's back: refused when decider = requester (the
    constraint); the same statement with another decider goes through (the test can fail)."""
    _requested(db)
    update = text(
        "UPDATE limit_requests SET status = 'approved', decided_by = :who, decided_at = :at"
    )
    with db.engine.connect() as connection:
        transaction = connection.begin()
        if decider == "user:7":
            with pytest.raises(IntegrityError, match="requester_not_decider"):
                connection.execute(update, {"who": decider, "at": b.NOW})
        else:
            assert connection.execute(update, {"who": decider, "at": b.NOW}).rowcount == 1
        transaction.rollback()


def _race(decide: Callable[[Actor, int], None], company_id: int, request_id: int) -> list[str]:
    """``DECIDERS`` administrators approve the same request at the same moment."""
    start = threading.Barrier(DECIDERS)
    outcomes: list[str] = []

    def one(i: int) -> None:
        actor = Actor(company_id, f"user:{100 + i}", "admin")
        start.wait()
        try:
            decide(actor, request_id)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(DECIDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def _approve(db: Database) -> Callable[[Actor, int], None]:
    def decide(actor: Actor, request_id: int) -> None:
        with db.write() as session:
            service.approve(session, actor, request_id, DecisionIn(note=None), b.clock())

    return decide


def _naive(db: Database) -> Callable[[Actor, int], None]:
    """The broken variant: check the status, then update whatever it has become."""

    def decide(actor: Actor, request_id: int) -> None:
        with db.write() as session:
            row = session.get(LimitRequest, request_id)
            assert row is not None
            if row.status != "pending":
                raise Conflict.of("status", row.status, "state", reason="decided")
            time.sleep(0.05)  # the others read "pending" meanwhile
            row.status, row.decided_by, row.decided_at = "applied", actor.principal, b.NOW
            session.flush()
            apply_limit(session, row, b.NOW)

    return decide


def _limit_sets(db: Database) -> int:
    with db.read() as session:
        return int(
            session.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'limit.set'")) or 0
        )


def test_two_deciders_at_once_one_wins(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises every writer)")
    owner, request_id = _requested(db)
    outcomes = _race(_approve(db), owner.company_id, request_id)
    assert outcomes == ["conflict"] * (DECIDERS - 1) + ["won"]
    assert _limit_sets(db) == 1
    with db.read() as session:
        revision = session.scalar(text("SELECT revision FROM credit_limits"))
    assert revision == 1


def test_the_naive_check_then_update_lets_several_win(db: Database) -> None:
    """Kept to show the race is real: without the conditional update, more than one wins."""
    if db.dialect != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises every writer)")
    owner, request_id = _requested(db)
    outcomes = _race(_naive(db), owner.company_id, request_id)
    assert outcomes.count("won") > 1
    assert _limit_sets(db) == outcomes.count("won")
