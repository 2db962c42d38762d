"""The nightly limit review end to end, on a small ledger written as a credit controller would.

UP (grade A, clean, sales +50 %) at 4,500,000 is raised to A's 5,000,000 at once (+11 %);
ASK (grade B, clean, sales +50 %) at 1,000,000 would go to B's 2,000,000 (+100 %): sent for
approval; CUT (grade A, paid 45 days late) is cut by 25 %; SAME (grade A, no sales) stays.
"""

from __future__ import annotations

from typing import Any

from creditguard.audit.service import verify
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn
from tests import builders as b
from tests.limits.ledger import AS_OF
from tests.limits.ledger import ledger as _ledger
from tests.limits.ledger import limits as _limits


def _run(db: Database, owner: Actor, *, dry_run: bool = False) -> dict[str, Any]:
    with db.write() as session:
        return service.run_review(session, owner, AS_OF, b.clock(), dry_run=dry_run).model_dump(
            mode="json"
        )


def test_the_review_raises_cuts_and_asks_once(db: Database) -> None:
    owner = _ledger(db)
    before = _limits(db)
    counts = {"customers": 4, "reviewed": 4, "skipped_pending": 0, "skipped_moved": 0,
              "increased": 1, "cut": 1, "sent_for_approval": 1}  # fmt: skip
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
                     "skipped_pending": 1, "skipped_moved": 0, "increased": 0, "cut": 0,
                     "sent_for_approval": 0}  # fmt: skip
    with db.read() as session:
        assert len(service.list_requests(session, owner, status="pending")) == 1
    # the CFO approves the review's request: the system asked, a person decides
    cfo = Actor(owner.company_id, "user:9", "approver")
    with db.write() as session:
        decided = service.approve(session, cfo, asked[0].id, DecisionIn(note="ok"), b.clock())
    assert (decided.status, decided.decided_by) == ("applied", "user:9")
    assert _limits(db)["ASK"] == ("2000000.00", 2, "request")
