"""The nightly limit review end to end, on a small ledger written as a credit controller would.

UP (grade A, clean, sales +50 %) at 4,500,000 is raised to A's 5,000,000 at once (+11 %);
ASK (grade B, clean, sales +50 %) at 1,000,000 would go to B's 2,000,000 (+100 %): sent for
approval; CUT (grade A, paid 45 days late) is cut by 25 %; SAME (grade A, no sales) stays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from creditguard.audit.service import verify
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn, LimitRequestIn
from creditguard.rating import service as rating
from creditguard.rating.schemas import OverrideIn
from tests import builders as b

AS_OF = date(2026, 11, 22)


def _grade(db: Database, actor: Actor, customer_id: int, grade: str) -> None:
    with db.write() as session:
        rating.rate_customer(session, actor, customer_id, b.clock(), as_of=AS_OF)
        rating.override(
            session, actor, customer_id, OverrideIn(grade=grade, reason="test"), b.clock()
        )


def _limit(db: Database, owner: Actor, code: str, amount: str) -> None:
    """An opening limit, decided in September (long enough ago for the review to look)."""
    sales = Actor(owner.company_id, "user:7", "sales")
    data = LimitRequestIn(customer_ref=code, amount=amount, currency="CNY", reason="opening")
    september = FixedClock(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    with db.write() as session:
        made = service.create(session, sales, data, september)
        service.approve(session, owner, made.id, DecisionIn(note=None), september)


def _growing(db: Database, owner: Actor, code: str) -> None:
    """100,000 in January, 150,000 in July: both paid before they fell due."""
    b.invoice(
        db, owner, ref=f"{code}-1", customer=code, amount="100000", issued_on=date(2026, 1, 10)
    )
    b.payment(db, owner, ref=f"{code}-P1", customer=code, amount="100000",
              received_on=date(2026, 2, 1), to={f"{code}-1": "100000"})  # fmt: skip
    b.invoice(
        db, owner, ref=f"{code}-2", customer=code, amount="150000", issued_on=date(2026, 7, 1)
    )
    b.payment(db, owner, ref=f"{code}-P2", customer=code, amount="150000",
              received_on=date(2026, 7, 20), to={f"{code}-2": "150000"})  # fmt: skip


def _ledger(db: Database) -> Actor:
    owner = b.company(db)
    for code, grade, amount in (
        ("UP", "A", "4500000"),
        ("ASK", "B", "1000000"),
        ("CUT", "A", "1000000"),
        ("SAME", "A", "1000000"),
    ):
        customer_id = b.customer(db, owner, code=code)
        _grade(db, owner, customer_id, grade)
        _limit(db, owner, code, amount)
    _growing(db, owner, "UP")
    _growing(db, owner, "ASK")
    # CUT: due 2026-08-31, paid 2026-10-15, 45 days late
    b.invoice(db, owner, ref="CUT-1", customer="CUT", amount="80000", issued_on=date(2026, 8, 1))
    b.payment(db, owner, ref="CUT-P1", customer="CUT", amount="80000",
              received_on=date(2026, 10, 15), to={"CUT-1": "80000"})  # fmt: skip
    return owner


def _limits(db: Database) -> dict[str, tuple[str, int, str]]:
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT c.code, l.amount_minor, l.revision, l.source FROM credit_limits l "
                "JOIN customers c ON c.id = l.customer_id ORDER BY c.code"
            )
        ).all()
    return {
        code: (f"{amount / 100:.2f}", revision, source) for code, amount, revision, source in rows
    }


def _run(db: Database, owner: Actor, *, dry_run: bool = False) -> dict[str, Any]:
    with db.write() as session:
        return service.run_review(session, owner, AS_OF, b.clock(), dry_run=dry_run).model_dump(
            mode="json"
        )


def test_the_review_raises_cuts_and_asks_once(db: Database) -> None:
    owner = _ledger(db)
    before = _limits(db)
    counts = {"customers": 4, "reviewed": 4, "skipped_pending": 0, "increased": 1, "cut": 1,
              "sent_for_approval": 1}  # fmt: skip
    assert _run(db, owner, dry_run=True) == {"as_of": "2026-11-22", "dry_run": True, **counts}
    assert _limits(db) == before  # a dry run writes nothing
    assert _run(db, owner) == {"as_of": "2026-11-22", "dry_run": False, **counts}
    assert _limits(db) == {
        "ASK": ("1000000.00", 1, "request"),
        "CUT": ("750000.00", 2, "review"),
        "SAME": ("1000000.00", 1, "request"),
        "UP": ("5000000.00", 2, "review"),
    }
    with db.read() as session:
        asked = service.list_requests(session, owner, status="pending")
        cut = service.customer_limit(session, owner, "CUT")
        assert verify(session, owner.company_id).intact
    assert [(r.customer_ref, r.amount, r.previous_amount, r.required_role, r.origin,
             r.requested_by) for r in asked] == [
        ("ASK", "2000000.00", "1000000.00", "approver", "review", "system:review")
    ]  # fmt: skip
    assert [line.code for line in asked[0].explanation] == [
        "clean_record", "rising_volume", "good_grade", "needs_approval",
    ]  # fmt: skip
    assert [(c.before, c.after, c.actor, c.source) for c in cut.changes] == [
        ("1000000.00", "750000.00", "system:review", "review"),
        (None, "1000000.00", "user:test", "request"),
    ]
    # the same night again: nothing new proposed, nothing changed twice
    again = _run(db, owner)
    assert again == {"as_of": "2026-11-22", "dry_run": False, "customers": 4, "reviewed": 3,
                     "skipped_pending": 1, "increased": 0, "cut": 0, "sent_for_approval": 0}  # fmt: skip
    with db.read() as session:
        assert len(service.list_requests(session, owner, status="pending")) == 1
    # the CFO approves the review's request: the system asked, a person decides
    cfo = Actor(owner.company_id, "user:9", "approver")
    with db.write() as session:
        decided = service.approve(session, cfo, asked[0].id, DecisionIn(note="ok"), b.clock())
    assert (decided.status, decided.decided_by) == ("applied", "user:9")
    assert _limits(db)["ASK"] == ("2000000.00", 2, "request")
