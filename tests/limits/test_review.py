"""The nightly limit review end to end, on a small ledger written as a credit controller would.

UP (grade A, clean, sales +50 %) at 4,500,000 is raised to A's 5,000,000 at once (+11 %);
ASK (grade B, clean, sales +50 %) at 1,000,000 would go to B's 2,000,000 (+100 %): sent for
approval; CUT (grade A, paid 45 days late) is cut by 25 %; SAME (grade A, no sales) stays.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from creditguard.alerts import service as alerts
from creditguard.alerts.schemas import AlertIn, CloseIn
from creditguard.audit.service import verify
from creditguard.clock import Clock, FixedClock
from creditguard.core import review as core_review
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.db import Database
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn
from creditguard.limits.service import SYSTEM
from creditguard.models import AuditEntry
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


# --- risk alerts as an input of the review ---

NIGHT = b.NOW + timedelta(hours=12)  # the review runs after the day's alerts were recorded


def _alert(db: Database, owner: Actor, code: str, kind: str, *, clock: Clock | None = None,
           observed_on: date = date(2026, 11, 20)) -> None:  # fmt: skip
    with db.write() as session:
        customer = customers.get_by_code(session, owner, code)
        data = AlertIn(kind=kind, observed_on=observed_on, source="qichacha")
        alerts.record(session, owner, customer.id, data, clock or b.clock())


def _night(db: Database, owner: Actor, as_of: date, at: datetime) -> dict[str, Any]:
    with db.write() as session:
        return service.run_review(session, owner, as_of, FixedClock(at)).model_dump(mode="json")


def _lines(db: Database, owner: Actor, code: str) -> list[list[str]]:
    """The explanation codes of every review change of ``code``'s limit, oldest first."""
    with db.read() as session:
        customer = customers.get_by_code(session, owner, code)
        bodies = session.scalars(
            select(AuditEntry.body)
            .where(AuditEntry.subject == f"customer:{customer.id}", AuditEntry.actor == SYSTEM)
            .order_by(AuditEntry.seq)
        )
        return [[line["code"] for line in json.loads(body)["explanation"]] for body in bodies]


def test_alerts_cut_block_increases_and_do_not_compound(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = _ledger(db)
    _alert(db, owner, "SAME", "bankruptcy_filing")  # critical
    _alert(db, owner, "CUT", "litigation")  # high: -50 % beats the late payments' -25 %
    _alert(db, owner, "UP", "equity_change")  # medium: no cut, no increase while open
    first = _night(db, owner, AS_OF, NIGHT)
    assert (first["cut"], first["increased"], first["sent_for_approval"]) == (2, 0, 1)
    assert _limits(db) == {
        "ASK": ("1000000.00", 1, "request"),
        "CUT": ("500000.00", 2, "review"),
        "SAME": ("0.00", 2, "review"),
        "UP": ("4500000.00", 1, "request"),
    }
    assert _lines(db, owner, "SAME") == [["alert", "alert_cut", "inside_policy"]]
    assert _lines(db, owner, "CUT") == [
        ["late_share", "late_cut", "alert", "alert_cut", "inside_policy"]
    ]
    # The next nights (inside the quiet days, which a new alert would override): the alerts
    # were recorded before the review's change — acted on, not new.
    for night in (1, 29):
        day = AS_OF + timedelta(days=night)
        again = _night(db, owner, day, NIGHT + timedelta(days=night))
        assert (again["cut"], again["increased"]) == (0, 0)
        assert _limits(db)["CUT"] == ("500000.00", 2, "review")
        assert _limits(db)["UP"] == ("4500000.00", 1, "request")  # still no increase
    with db.read() as session:
        assert verify(session, owner.company_id).intact
    # Broken variant: an alert counted however old it is cuts again every night (compounds).
    monkeypatch.setattr(
        core_review, "new_alerts", lambda found, _changed_at, as_of: [
            a for a in found if a.observed_on <= as_of
        ],
    )  # fmt: skip
    _night(db, owner, AS_OF + timedelta(days=2), NIGHT + timedelta(days=2))
    assert _limits(db)["CUT"] == ("250000.00", 3, "review")


def test_an_alert_recorded_before_the_last_change_is_not_new(db: Database) -> None:
    owner = _ledger(db, asking=False)
    august = FixedClock(datetime(2026, 8, 15, 2, 0, tzinfo=UTC))  # the limits date from September
    _alert(db, owner, "SAME", "enforcement", clock=august, observed_on=date(2026, 8, 10))
    assert _night(db, owner, AS_OF, NIGHT)["cut"] == 1  # CUT's late payments alone
    assert _limits(db)["SAME"] == ("1000000.00", 1, "request")


def test_a_new_alert_overrides_quiet_days(db: Database) -> None:
    owner = _ledger(db, asking=False)
    _night(db, owner, AS_OF, NIGHT)
    assert _limits(db)["CUT"] == ("750000.00", 2, "review")
    # the next morning a feed reports litigation: new information after the review's cut
    _alert(db, owner, "CUT", "litigation", clock=FixedClock(NIGHT + timedelta(hours=6)))
    next_night = _night(db, owner, AS_OF + timedelta(days=1), NIGHT + timedelta(days=1))
    assert next_night["cut"] == 1
    assert _limits(db)["CUT"] == ("370000.00", 3, "review")  # 375,000 rounded down to 10,000
    assert _lines(db, owner, "CUT")[-1] == ["alert", "alert_cut", "inside_policy"]


def test_a_closed_alert_is_not_read(db: Database) -> None:
    owner = _ledger(db, asking=False)
    _alert(db, owner, "UP", "equity_change")
    with db.write() as session:
        [found] = alerts.list_alerts(session, owner)
        alerts.close(session, owner, found.id, CloseIn(note="核实无影响 / checked"), b.clock())
    assert _night(db, owner, AS_OF, NIGHT)["increased"] == 1
    assert _limits(db)["UP"] == ("5000000.00", 2, "review")


def test_the_same_late_payments_cut_once(db: Database) -> None:
    """CUT's one late payment (applied 2026-10-15) is still in the 3-month window a month
    after the review cut for it: the next review, past the quiet days, leaves the limit."""
    owner = _ledger(db)
    assert _night(db, owner, AS_OF, NIGHT)["cut"] == 1
    month = timedelta(days=31)
    assert _night(db, owner, AS_OF + month, NIGHT + month)["cut"] == 0
    assert _limits(db)["CUT"] == ("750000.00", 2, "review")
    assert _lines(db, owner, "CUT") == [["late_share", "late_cut", "inside_policy"]]


def test_without_new_evidence_the_same_late_payments_would_cut_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broken variant — any late payment in the window is evidence — cuts CUT a second
    time for the same payment once the quiet days are over: 750,000 -> 560,000."""
    monkeypatch.setattr(core_review, "_late_since", lambda *_: True)
    owner = _ledger(db)
    _night(db, owner, AS_OF, NIGHT)
    month = timedelta(days=31)
    assert _night(db, owner, AS_OF + month, NIGHT + month)["cut"] == 1
    assert _limits(db)["CUT"] == ("560000.00", 3, "review")


def test_a_late_payment_after_the_cut_cuts_again(db: Database) -> None:
    """New evidence: CUT pays another invoice late after the review's cut; a month later the
    review cuts again (750,000 -> 560,000)."""
    owner = _ledger(db)
    _night(db, owner, AS_OF, NIGHT)
    b.invoice(db, owner, ref="CUT-2", customer="CUT", amount="50000", issued_on=date(2026, 10, 1))
    b.payment(db, owner, ref="CUT-P2", customer="CUT", amount="50000",
              received_on=date(2026, 12, 10), to={"CUT-2": "50000"})  # fmt: skip
    month = timedelta(days=31)
    assert _night(db, owner, AS_OF + month, NIGHT + month)["cut"] == 1
    assert _limits(db)["CUT"] == ("560000.00", 3, "review")
