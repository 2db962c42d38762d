"""Group limits (集团额度) in the nightly review, end to end through ``run_review``.

A group: the parent R and two members M1, M2 (``parent_code`` R); the group limit is held on R
(scope ``group``) and judged on the group's facts pooled — the worst grade, every payment and
sale of the group together, every open alert of any of its customers.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from creditguard.alerts import service as alerts
from creditguard.alerts.schemas import AlertIn
from creditguard.analytics import repository as analytics
from creditguard.analytics.behaviour import netted
from creditguard.audit.service import verify
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.db import Database
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn, LimitRequestIn
from creditguard.limits.service import SYSTEM, review_sums
from creditguard.models import AuditEntry
from creditguard.rating import service as rating
from creditguard.rating.schemas import StatementIn
from tests import builders as b
from tests.limits.ledger import AS_OF, grade, growing

NIGHT = b.NOW + timedelta(hours=12)  # the review runs after the day's alerts were recorded


def _opening(db: Database, owner: Actor, code: str, amount: str, scope: str = "customer") -> None:
    """An opening limit of ``scope``, decided in September (long enough ago to be reviewed)."""
    sales = Actor(owner.company_id, "user:7", "sales")
    data = LimitRequestIn(
        customer_ref=code, scope=scope, amount=amount, currency="CNY", reason="opening"
    )
    september = FixedClock(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    with db.write() as session:
        made = service.create(session, sales, data, september)
        service.approve(session, owner, made.id, DecisionIn(note=None), september)


def _group(db: Database, grades: dict[str, str | None], amount: str = "2000000") -> Actor:
    """R with members M1 and M2, graded as ``grades`` says (``None``: never rated), and a
    group limit of ``amount`` on R decided in September."""
    owner = b.company(db)
    for code in ("R", "M1", "M2"):
        customer_id = b.customer(db, owner, code=code, parent=None if code == "R" else "R")
        rated = grades.get(code)
        if rated is not None:
            grade(db, owner, customer_id, rated)
    _opening(db, owner, "R", amount, scope="group")
    return owner


def _night(db: Database, owner: Actor, as_of: date = AS_OF, **run: Any) -> dict[str, Any]:
    at = NIGHT + timedelta(days=(as_of - AS_OF).days)
    with db.write() as session:
        made = service.run_review(session, owner, as_of, FixedClock(at), **run)
        return made.model_dump(mode="json", exclude={"as_of", "dry_run", "customers"})


def _limits(db: Database) -> dict[tuple[str, str], tuple[str, int, str]]:
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT c.code, l.scope, l.amount_minor, l.revision, l.source FROM credit_limits l "
                "JOIN customers c ON c.id = l.customer_id ORDER BY c.code, l.scope"
            )
        ).all()
    return {(code, scope): (f"{amount / 100:.2f}", revision, source)
            for code, scope, amount, revision, source in rows}  # fmt: skip


def _changes(db: Database, owner: Actor, code: str) -> list[dict[str, Any]]:
    """The bodies of the review's ``limit.set`` entries on ``code``, oldest first."""
    with db.read() as session:
        customer = customers.get_by_code(session, owner, code)
        bodies = session.scalars(
            select(AuditEntry.body)
            .where(
                AuditEntry.subject == f"customer:{customer.id}",
                AuditEntry.actor == SYSTEM,
                AuditEntry.action == "limit.set",
            )
            .order_by(AuditEntry.seq)
        )
        return [json.loads(body) for body in bodies]


def _pay(db: Database, owner: Actor, code: str, ref: str, amount: str, *,
         issued_on: date, paid: dict[date, str]) -> None:  # fmt: skip
    """An invoice of ``amount`` (net 30), paid in the parts of ``paid`` on those days."""
    b.invoice(db, owner, ref=ref, customer=code, amount=amount, issued_on=issued_on)
    for n, (on, part) in enumerate(paid.items()):
        b.payment(db, owner, ref=f"{ref}-P{n}", customer=code, amount=part, received_on=on,
                  to={ref: part})  # fmt: skip


def test_a_members_new_critical_alert_cuts_the_group_limit_to_zero(db: Database) -> None:
    owner = _group(db, {"R": "A", "M1": "A", "M2": "A"})
    with db.write() as session:
        member = customers.get_by_code(session, owner, "M1")
        data = AlertIn(kind="bankruptcy_filing", observed_on=date(2026, 11, 20), source="qichacha")
        alerts.record(session, owner, member.id, data, b.clock())
    assert _night(db, owner) == {"reviewed": 1, "skipped_pending": 0, "skipped_moved": 0,
                                 "increased": 0, "cut": 1, "sent_for_approval": 0}  # fmt: skip
    assert _limits(db) == {("R", "group"): ("0.00", 2, "review")}
    [body] = _changes(db, owner, "R")
    assert (body["scope"], body["before"], body["after"], body["revision"]) == (
        "group", "2000000.00", "0.00", 2,
    )  # fmt: skip
    lines = body["explanation"]
    assert [line["code"] for line in lines] == ["group", "alert", "alert_cut", "inside_policy"]
    assert lines[0] == {
        "code": "group",
        "zh": "集团额度：母公司 R 及 2 家成员，按集团合并的付款与销售复评",
        "en": "group limit: parent R and 2 members, reviewed on the group's pooled payments "
        "and sales",
    }
    assert lines[1] == {
        "code": "alert",
        "zh": "风险预警（成员 M1）：破产申请（严重），发生于 2026-11-20，来源 qichacha",
        "en": "risk alert on member M1: bankruptcy filing (critical), observed on 2026-11-20, "
        "source qichacha",
    }
    # acted on: the next night the alert is older than the group limit's change
    assert _night(db, owner, AS_OF + timedelta(days=1))["cut"] == 0
    with db.read() as session:
        assert verify(session, owner.company_id).intact


YEAR_AGO = date(2025, 11, 22)


def _pooling(db: Database) -> Actor:
    """R paid 900,000 on time in March (12 months, not 3); M1 paid 100,000 (due 24 September)
    in September and November, 30,000 of it 40 days late. Each alone is not paying later (R:
    nothing in 3 months; M1: 12.00 days late over 3 months and over 12, 30 % late, not above
    30 %). Pooled: 12.00 days over 3 months vs 1.20 over 12, +10.80: paying later."""
    owner = _group(db, {"R": "A", "M1": "A", "M2": "A"})
    _pay(db, owner, "R", "R-1", "900000", issued_on=date(2026, 2, 1),
         paid={date(2026, 3, 1): "900000"})  # fmt: skip
    _pay(db, owner, "M1", "M1-1", "100000", issued_on=date(2026, 8, 25),
         paid={date(2026, 9, 20): "70000", date(2026, 11, 3): "30000"})  # fmt: skip
    return owner


def test_the_groups_payments_are_pooled_before_the_sums(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = _pooling(db)
    # Alone, no customer of the group is paying later ...
    with db.read() as session:
        rows = analytics.payments_applied(session, owner.company_id, YEAR_AGO, AS_OF, None)
        alone = review_sums.behaviour(netted(rows), AS_OF)
        r, m1 = (customers.get_by_code(session, owner, c).id for c in ("R", "M1"))
    # (days late over 3 months, % paid late over 3 months, days late over 12 months, the last
    # day money was applied late in 3 months)
    assert {c: tuple(map(str, alone[c])) for c in (r, m1)} == {
        r: ("None", "None", "0.00", "None"),
        m1: ("12.00", "30.00", "12.00", "2026-11-03"),
    }
    # ... and the broken variant that judges the group on its parent's own payments cuts
    # nothing (a dry run with the pooling taken out).
    behaviour = review_sums.behaviour
    with monkeypatch.context() as patch:
        patch.setattr(review_sums, "behaviour", lambda net, as_of, roots=None: (
            behaviour(net, as_of)
        ))  # fmt: skip
        assert _night(db, owner, dry_run=True)["cut"] == 0
    # Pooled, the group is paying later: cut by 25 %.
    assert _night(db, owner)["cut"] == 1
    assert _limits(db) == {("R", "group"): ("1500000.00", 2, "review")}
    [body] = _changes(db, owner, "R")
    assert [line["code"] for line in body["explanation"]] == [
        "group", "late_rising", "late_cut", "inside_policy",
    ]  # fmt: skip
    assert body["explanation"][1]["en"] == (
        "amount-weighted days late rising: 12.00 over 3 months vs 1.20 over 12 (+10.80, "
        "threshold 5)"
    )


def test_the_worst_grade_of_the_group_with_the_parents_figures_drives_the_suggestion(
    db: Database,
) -> None:
    # R is A, M1 C, M2 never rated (ignored): the group is C. With R's revenue of 20,000,000,
    # C's row (2 % of revenue, at most 500,000) suggests 400,000; A's (10 %) 2,000,000 — the
    # limit itself: judged on R's own grade, nothing would be cut.
    owner = _group(db, {"R": "A", "M1": "C"})
    statement = StatementIn(period_end=date(2025, 12, 31), currency="CNY", revenue="20000000")
    with db.write() as session:
        parent = customers.get_by_code(session, owner, "R")
        rating.add_statement(session, owner, parent.id, statement, b.clock())
    assert _night(db, owner)["cut"] == 1
    assert _limits(db) == {("R", "group"): ("400000.00", 2, "review")}
    [body] = _changes(db, owner, "R")
    assert [(line["code"], line["en"]) for line in body["explanation"][1:]] == [
        ("above_suggestion", "the suggested limit for grade C (400000.00) is below the current "
         "limit (2000000.00): cut to the suggestion"),
        ("inside_policy", "inside policy (a cut, or an increase of at most 20%): applied "
         "automatically"),
    ]  # fmt: skip


def _pending(db: Database) -> list[tuple[str, str, str, str, str]]:
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT c.code, r.scope, r.amount_minor, r.status, r.explanation "
                "FROM limit_requests r JOIN customers c ON c.id = r.customer_id "
                "WHERE r.origin = 'review' ORDER BY r.id"
            )
        ).all()
    return [(code, scope, f"{amount / 100:.2f}", status, json.loads(lines)[0]["code"])
            for code, scope, amount, status, lines in rows]  # fmt: skip


def test_a_group_request_is_filed_beside_the_parents_own_pending_one(db: Database) -> None:
    # Everyone B, R clean and selling more: R's own limit and the group limit, both at
    # 1,000,000, would go to B's 2,000,000 (+100 %): two requests for approval on R.
    owner = _group(db, {"R": "B", "M1": "B", "M2": "B"}, amount="1000000")
    _opening(db, owner, "R", "1000000")
    growing(db, owner, "R")
    assert _night(db, owner) == {"reviewed": 2, "skipped_pending": 0, "skipped_moved": 0,
                                 "increased": 0, "cut": 0, "sent_for_approval": 2}  # fmt: skip
    assert _pending(db) == [
        ("R", "customer", "2000000.00", "pending", "clean_record"),
        ("R", "group", "2000000.00", "pending", "group"),
    ]
    # The next night both wait for their decision.
    tomorrow = AS_OF + timedelta(days=1)
    assert _night(db, owner, tomorrow)["skipped_pending"] == 2
    # The CFO rejects the group's request; R's own stays pending. The group limit is
    # reviewed again and asked again — beside R's own pending request, each per scope.
    cfo = Actor(owner.company_id, "user:9", "approver")
    with db.write() as session:
        [group_request] = service.list_requests(session, owner, status="pending")[:1]
        assert group_request.scope == "group"
        service.reject(session, cfo, group_request.id, DecisionIn(note="not now"), b.clock())
    again = _night(db, owner, tomorrow + timedelta(days=1))
    assert (again["reviewed"], again["skipped_pending"], again["sent_for_approval"]) == (1, 1, 1)
    assert _pending(db) == [
        ("R", "customer", "2000000.00", "pending", "clean_record"),
        ("R", "group", "2000000.00", "rejected", "group"),
        ("R", "group", "2000000.00", "pending", "group"),
    ]
    assert _limits(db) == {
        ("R", "customer"): ("1000000.00", 1, "request"),
        ("R", "group"): ("1000000.00", 1, "request"),
    }


def test_a_members_own_limit_and_the_group_limit_each_by_their_own_facts(db: Database) -> None:
    # M1 (A) pays 40 % late (10 days, due 24 September): its own limit is cut by 25 %. The
    # group (worst grade C, M2's) is cut to C's 500,000; pooled with R's 900,000 paid on time,
    # 4 % was late — no late-payment line on the group's cut.
    owner = _group(db, {"R": "A", "M1": "A", "M2": "C"})
    _opening(db, owner, "M1", "1000000")
    _pay(db, owner, "M1", "M1-1", "100000", issued_on=date(2026, 8, 25),
         paid={date(2026, 9, 20): "60000", date(2026, 10, 4): "40000"})  # fmt: skip
    _pay(db, owner, "R", "R-1", "900000", issued_on=date(2026, 9, 1),
         paid={date(2026, 9, 30): "900000"})  # fmt: skip
    assert _night(db, owner) == {"reviewed": 2, "skipped_pending": 0, "skipped_moved": 0,
                                 "increased": 0, "cut": 2, "sent_for_approval": 0}  # fmt: skip
    assert _limits(db) == {
        ("M1", "customer"): ("750000.00", 2, "review"),
        ("R", "group"): ("500000.00", 2, "review"),
    }
    [own] = _changes(db, owner, "M1")
    [pooled] = _changes(db, owner, "R")
    assert (own["scope"], [line["code"] for line in own["explanation"]]) == (
        "customer", ["late_share", "late_cut", "inside_policy"],
    )  # fmt: skip
    assert own["explanation"][0]["en"] == (
        "40.00% of the amount paid in 3 months was paid late (above 30%)"
    )
    assert (pooled["scope"], [line["code"] for line in pooled["explanation"]]) == (
        "group", ["group", "above_suggestion", "inside_policy"],
    )  # fmt: skip
