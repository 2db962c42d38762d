"""Order credit checks through the service: the decision tables, reservations, held orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from creditguard.clock import FixedClock
from creditguard.core.errors import Conflict, Forbidden
from creditguard.core.permissions import Actor
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, CheckOut
from creditguard.db import Database
from creditguard.models import AuditEntry, CreditCheck, CreditReservation, Customer, Invoice
from tests import builders as b
from tests.credit import helpers as h

TODAY = date(2026, 11, 22)  # b.NOW in Shanghai


def at(day: date) -> FixedClock:
    return FixedClock(datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC))


def run(
    db: Database,
    actor: Actor,
    *,
    amount: str,
    order: str = "SO-1",
    code: str = "C1",
    reserve: bool = False,
    prepaid: bool = False,
    currency: str = "CNY",
    day: date = TODAY,
    locale: str = "en",
) -> CheckOut:
    data = CheckIn(
        customer_ref=code,
        amount=amount,
        currency=currency,
        order_ref=order,
        reserve=reserve,
        prepaid=prepaid,
    )
    with db.write() as session:
        return service.run_check(session, actor, data, at(day), locale)


def codes(out: CheckOut) -> list[str]:
    return [r.code for r in out.reasons]


@pytest.fixture
def acme(db: Database) -> Actor:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="1000.00")
    # 400.00 invoiced, not due (net 30 from 2026-11-10)
    b.invoice(db, actor, ref="INV-1", amount="400.00", issued_on=date(2026, 11, 10))
    return actor


def test_limit_exactly_reached_is_approved_one_cent_over_is_held(db: Database, acme: Actor) -> None:
    exact = run(db, acme, amount="600.00", order="SO-1")
    assert (exact.decision, exact.reasons, exact.available, exact.currency) == (
        "approved",
        [],
        "600.00",
        "CNY",
    )
    over = run(db, acme, amount="600.01", order="SO-2")
    assert (over.decision, codes(over), over.available) == ("held", ["over_limit"], "600.00")
    assert over.reasons[0].message == (
        "customer limit 1000.00 CNY exceeded by 0.01 CNY: exposure 400.00 CNY + order 600.01 CNY"
    )
    zh = run(db, acme, amount="600.01", order="SO-2", locale="zh-CN")
    assert zh.reasons[0].message == (
        "超出客户额度 1000.00 CNY，超出 0.01 CNY：敞口 400.00 CNY + 订单 600.01 CNY"
    )
    with db.read() as session:
        rows = session.execute(
            select(CreditCheck.order_ref, CreditCheck.status).order_by(CreditCheck.id)
        ).all()
    # the repeated held order answered from its pending check: no second row
    assert [tuple(r) for r in rows] == [("SO-1", "approved"), ("SO-2", "held")]


def test_overdue_day_n_approved_day_n_plus_one_held(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="B", as_of=date(2026, 1, 1))  # B: N = 15
    h.set_limit(db, actor, code="C1", amount="100000.00")
    b.invoice(db, actor, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    with db.read() as session:
        due_on = session.scalar(select(Invoice.due_on))
    assert due_on is not None
    day_n = run(db, actor, amount="10.00", order="SO-N", day=due_on + timedelta(days=15))
    assert (day_n.decision, day_n.reasons) == ("approved", [])
    late = run(db, actor, amount="10.00", order="SO-N1", day=due_on + timedelta(days=16))
    assert (late.decision, codes(late)) == ("held", ["overdue"])
    assert late.reasons[0].message == (
        f"the oldest overdue item (due {due_on}) is 16 days past due; at most 15 are tolerated"
    )


def test_grade_d_requires_prepayment_unless_prepaid(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="D", as_of=date(2026, 11, 1))
    held = run(db, actor, amount="500.00", order="SO-1")
    # limit 0: over limit too; every reason, in the fixed order
    assert (held.decision, codes(held)) == ("held", ["over_limit", "prepayment_required"])
    assert held.reasons[1].message == (
        "grade D requires 100% prepayment (500.00 CNY); the order is not marked prepaid"
    )
    prepaid = run(db, actor, amount="500.00", order="SO-2", prepaid=True)
    assert (prepaid.decision, prepaid.reasons, prepaid.available) == ("approved", [], "0.00")


def test_blocked_customer_is_held(db: Database, acme: Actor) -> None:
    with db.write() as session:
        session.execute(update(Customer).values(status="blocked"))
    out = run(db, acme, amount="1.00")
    assert (out.decision, codes(out)) == ("held", ["blocked"])
    assert out.reasons[0].message == "the customer is blocked"


def test_temporary_limit_valid_through_expiry_day(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="1000.00", expires_on=TODAY)
    assert run(db, actor, amount="10.00", order="SO-1").decision == "approved"
    out = run(db, actor, amount="10.00", order="SO-2", day=TODAY + timedelta(days=1))
    assert (out.decision, codes(out)) == ("held", ["limit_expired"])
    assert out.reasons[0].message == f"the temporary limit expired on {TODAY}"


def test_group_limit_shared_over_members(db: Database) -> None:
    actor = b.company(db)
    h.group(db, actor)
    b.invoice(db, actor, ref="INV-M2", customer="M2", amount="800.00", issued_on=TODAY)
    ok = run(db, actor, amount="200.00", order="SO-1", code="M1")
    assert (ok.decision, ok.available) == ("approved", "200.00")
    out = run(db, actor, amount="300.00", order="SO-2", code="M1")
    assert (out.decision, codes(out), out.available) == ("held", ["group_over_limit"], "200.00")
    assert out.reasons[0].message == (
        "group limit 1000.00 CNY exceeded by 100.00 CNY: exposure 800.00 CNY + order 300.00 CNY"
    )


def reserved(db: Database) -> list[tuple[str, int, str]]:
    with db.read() as session:
        rows = session.execute(
            select(
                CreditReservation.order_ref,
                CreditReservation.amount_minor,
                CreditReservation.status,
            ).order_by(CreditReservation.id)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_reserve_is_idempotent_by_order_ref(db: Database, acme: Actor) -> None:
    first = run(db, acme, amount="300.00", order="SO-1", reserve=True)
    again = run(db, acme, amount="300.00", order="SO-1", reserve=True)
    assert first == again  # same answer, same check id
    assert reserved(db) == [("SO-1", 30000, "reserved")]
    # the reservation counts once: 1000 - 400 - 300 = 300 left
    assert run(db, acme, amount="300.00", order="SO-2").available == "300.00"
    with pytest.raises(Conflict) as error:
        run(db, acme, amount="300.01", order="SO-1", reserve=True)
    assert error.value.problems[0].field == "order_ref"
    b.customer(db, acme, code="C2")
    with pytest.raises(Conflict):
        run(db, acme, amount="300.00", order="SO-1", code="C2", reserve=True)
    assert reserved(db) == [("SO-1", 30000, "reserved")]


def test_reservation_stops_counting_once_the_order_or_invoice_exists(
    db: Database, acme: Actor
) -> None:
    run(db, acme, amount="300.00", order="SO-1", reserve=True)
    assert run(db, acme, amount="1.00", order="X-1").available == "300.00"
    h.order(db, acme, ref="SO-1", code="C1", amount="300.00")  # the ERP sends the order
    assert run(db, acme, amount="1.00", order="X-2").available == "300.00"  # not 0.00
    run(db, acme, amount="100.00", order="SO-3", reserve=True)
    assert run(db, acme, amount="1.00", order="X-3").available == "200.00"
    with db.write() as session:  # invoiced straight from the reservation
        b.invoice(db, acme, ref="INV-3", amount="100.00", issued_on=TODAY)
        session.execute(
            update(Invoice).where(Invoice.external_ref == "INV-3").values(order_ref="SO-3")
        )
    assert run(db, acme, amount="1.00", order="X-4").available == "200.00"


def test_cancel_releases_the_reservation(db: Database, acme: Actor) -> None:
    run(db, acme, amount="600.00", order="SO-1", reserve=True)
    assert run(db, acme, amount="0.01", order="SO-2").decision == "held"
    with db.write() as session:
        out = service.cancel(session, acme, "SO-1", b.clock())
    assert (out.released, out.held_check_cancelled) == ("600.00", None)
    assert reserved(db) == [("SO-1", 60000, "cancelled")]
    assert run(db, acme, amount="0.01", order="SO-3").available == "600.00"
    with db.write() as session, pytest.raises(Conflict):
        service.cancel(session, acme, "SO-1", b.clock())


def test_held_released_by_another_user_reserves_and_is_audited(db: Database, acme: Actor) -> None:
    sales = Actor(acme.company_id, "user:7", "sales")
    manager = Actor(acme.company_id, "user:8", "credit_manager")
    held = run(db, sales, amount="700.00", order="SO-1", reserve=True)
    assert (held.decision, reserved(db)) == ("held", [])
    with db.read() as session:
        assert [c.id for c in service.list_checks(session, manager, "held")] == [held.check_id]
    with db.write() as session, pytest.raises(Forbidden) as refused:
        service.decide_held(
            session, sales, held.check_id, verdict="release", note="x", clock=b.clock()
        )
    assert refused.value.problems[0].field == "role"  # sales may not decide at all
    self_manager = Actor(acme.company_id, "user:7", "credit_manager")
    with db.write() as session, pytest.raises(Forbidden) as own:
        service.decide_held(
            session, self_manager, held.check_id, verdict="release", note="x", clock=b.clock()
        )
    assert (own.value.problems[0].field, own.value.problems[0].params["rule"]) == (
        "decided_by",
        "self_approval",
    )
    with db.write() as session:
        out = service.decide_held(
            session,
            manager,
            held.check_id,
            verdict="release",
            note="付款计划已确认",
            clock=b.clock(),
        )
    assert (out.status, out.decided_by, out.decision_note) == (
        "released",
        "user:8",
        "付款计划已确认",
    )
    assert reserved(db) == [("SO-1", 70000, "reserved")]
    with db.read() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["credit_check.released"]
    with db.write() as session, pytest.raises(Conflict):
        service.decide_held(
            session, manager, held.check_id, verdict="reject", note="x", clock=b.clock()
        )


def test_database_refuses_the_requester_as_decider(db: Database, acme: Actor) -> None:
    held = run(db, acme, amount="700.00", order="SO-1")
    with pytest.raises(IntegrityError, match="decider_not_requester"), db.write() as session:
        session.execute(
            update(CreditCheck)
            .where(CreditCheck.id == held.check_id)
            .values(status="released", decided_by=CreditCheck.requested_by)
        )
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(CreditCheck).where(CreditCheck.status == "held")
            )
            == 1
        )
        assert session.execute(text("SELECT 1")).scalar() == 1
