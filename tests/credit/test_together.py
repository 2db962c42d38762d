"""Order credit checks decided together (service.run_checks, the fast path's units of work):
each as it would be alone, never two of one group in one unit, never waiting for a lock."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select, text, update

from creditguard.api import fastpath
from creditguard.api.app import create_app
from creditguard.config import Settings
from creditguard.core.permissions import Actor
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, CheckOut
from creditguard.credit.service import Asked, checks
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn
from creditguard.models import CreditCheck, CreditReservation
from tests import builders as b
from tests.credit import helpers as h


def ask(code: str, amount: str, order: str, *, reserve: bool = True) -> CheckIn:
    return CheckIn(
        customer_ref=code, amount=amount, currency="CNY", order_ref=order, reserve=reserve
    )


def together(db: Database, actor: Actor, asked: list[CheckIn]) -> list[CheckOut | None]:
    with db.write() as session:
        return service.run_checks(session, [Asked(actor, one) for one in asked], b.clock())


def alone(db: Database, actor: Actor, one: CheckIn) -> CheckOut:
    with db.write() as session:
        return service.run_check(session, actor, one, b.clock())


def brief(out: object) -> tuple[str, str, list[str]] | None:
    if out is None:
        return None
    assert isinstance(out, CheckOut)
    return out.decision, out.available, [r.code for r in out.reasons]


def reserved(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(
            select(CreditReservation.order_ref, CreditReservation.amount_minor).where(
                CreditReservation.status == "reserved"
            )
        ).all()
    return {ref: minor for ref, minor in rows}


def checks_written(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(CreditCheck.order_ref).order_by(CreditCheck.id)))


@pytest.fixture
def acme(db: Database) -> Actor:
    actor = b.company(db)
    for code in ("C1", "C2", "C3"):
        b.customer(db, actor, code=code)
        h.rate(db, actor, code=code, grade="A", as_of=date(2026, 11, 1))
        h.set_limit(db, actor, code=code, amount="1000.00")
    return actor


def test_checks_together_are_decided_as_alone(db: Database, acme: Actor) -> None:
    asked = [
        ask("C1", "400.00", "SO-1"),
        ask("C2", "1000.01", "SO-2"),  # one cent over
        ask("C3", "1000.00", "SO-3", reserve=False),  # exactly the limit
        ask("NOPE", "1.00", "SO-4"),  # unknown: the single check answers the 404
    ]
    answers = together(db, acme, asked)
    assert [brief(out) for out in answers] == [
        ("approved", "1000.00", []),
        ("held", "1000.00", ["over_limit"]),
        ("approved", "1000.00", []),
        None,
    ]
    assert reserved(db) == {"SO-1": 40_000}
    assert checks_written(db) == ["SO-1", "SO-2", "SO-3"]
    ids = [out.check_id for out in answers if out is not None]
    assert len(set(ids)) == 3


def _rows(db: Database, prefix: str) -> dict[str, tuple[object, ...]]:
    """Each check row (and its reservation's columns, or None) of the orders ``prefix-n``,
    by order number, without ids and order references."""
    with db.read() as session:
        found = session.execute(
            select(CreditCheck, CreditReservation)
            .outerjoin(CreditReservation, CreditReservation.check_id == CreditCheck.id)
            .where(CreditCheck.order_ref.startswith(f"{prefix}-"))
        ).all()
    rows: dict[str, tuple[object, ...]] = {}
    for check, reservation in found:
        kept = (
            check.currency,
            check.amount_minor,
            check.base_amount_minor,
            check.decision,
            check.status,
            check.reasons,
            check.available_minor,
            check.reserve,
            check.checked_on,
            check.requested_at,
            check.requested_by,
            None
            if reservation is None
            else (
                reservation.customer_id == check.customer_id,
                reservation.order_ref == check.order_ref,
                reservation.currency,
                reservation.amount_minor,
                reservation.status,
                reservation.created_at,
                reservation.created_by,
            ),
        )
        rows[str(check.order_ref).removeprefix(f"{prefix}-")] = kept
    return rows


def test_a_unit_writes_the_rows_each_check_writes_alone(db: Database, acme: Actor) -> None:
    """Every column of the check rows and reservations a unit writes (PostgreSQL: all in one
    statement) is what the same checks write alone, and each answer's id is its own row's."""
    asked = [
        ask("C1", "400.00", "U-1"),  # approved, reserves
        ask("C2", "1000.01", "U-2"),  # held, asked to reserve: no reservation
        ask("C3", "100.00", "U-3", reserve=False),  # approved, no reservation
    ]
    asked.append(asked[0].model_copy(update={"customer_ref": "C4", "order_ref": "U-4"}))
    asked[3] = asked[3].model_copy(update={"currency": "USD", "amount": "10.00"})
    b.customer(db, acme, code="C4")
    h.rate(db, acme, code="C4", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, acme, code="C4", amount="1000.00")
    answers = together(db, acme, asked)
    assert [out is not None and out.decision for out in answers] == [
        "approved",
        "held",
        "approved",
        "approved",
    ]
    unit = _rows(db, "U")
    with db.write() as session:  # the reservations cancelled: the same headroom again
        session.execute(update(CreditReservation).values(status="cancelled"))
    for one in asked:  # the same checks alone, on the same customers
        alone(db, acme, one.model_copy(update={"order_ref": one.order_ref.replace("U", "A")}))
    each = _rows(db, "A")
    assert sorted(unit) == sorted(each) == ["1", "2", "3", "4"]
    assert unit == each
    assert [unit[n][-1] is not None for n in sorted(unit)] == [True, False, False, True]
    assert unit["1"][3:5] == ("approved", "approved")
    assert unit["4"][:2] == ("USD", 1000)
    with db.read() as session:
        by_id = dict(session.execute(select(CreditCheck.id, CreditCheck.order_ref)).all())
    assert [by_id[out.check_id] for out in answers if out is not None] == [
        "U-1",
        "U-2",
        "U-3",
        "U-4",
    ]


def test_a_second_check_of_one_customer_waits_for_the_next_unit(db: Database, acme: Actor) -> None:
    first, second = ask("C1", "600.00", "SO-1"), ask("C1", "600.00", "SO-2")
    answers = together(db, acme, [first, second])
    assert [brief(out) for out in answers] == [("approved", "1000.00", []), None]
    assert reserved(db) == {"SO-1": 60_000}
    out = alone(db, acme, second)  # as the fast path does once the unit committed
    assert brief(out) == ("held", "400.00", ["over_limit"])
    assert reserved(db) == {"SO-1": 60_000}


def test_without_one_check_per_group_a_unit_over_commits(
    db: Database, acme: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broken variant: both checks decide on the same 1,000.00 of headroom."""
    monkeypatch.setattr(checks, "_group_taken", lambda groups, root_id: False)
    answers = together(db, acme, [ask("C1", "600.00", "SO-1"), ask("C1", "600.00", "SO-2")])
    assert [brief(out) for out in answers] == [
        ("approved", "1000.00", []),
        ("approved", "1000.00", []),
    ]
    assert sum(reserved(db).values()) == 120_000  # over the 100,000 limit


def test_members_of_one_group_are_not_decided_together(db: Database) -> None:
    actor = b.company(db)
    h.group(db, actor)
    asked = [
        ask("M1", "700.00", "SO-1"),
        ask("M2", "700.00", "SO-2"),
        ask("P", "700.00", "SO-3"),
    ]
    answers = together(db, actor, asked)
    assert [brief(out) for out in answers] == [("approved", "1000.00", []), None, None]
    assert reserved(db) == {"SO-1": 70_000}
    out = alone(db, actor, asked[1])
    assert brief(out) == ("held", "300.00", ["group_over_limit"])


def test_an_order_already_checked_or_twice_in_a_unit_is_answered_alone(
    db: Database, acme: Actor
) -> None:
    alone(db, acme, ask("C1", "100.00", "SO-1"))
    asked = [
        ask("C1", "100.00", "SO-1"),  # a repeat: answered alone, the same again
        ask("C2", "100.00", "SO-2"),
        ask("C3", "100.00", "SO-2"),  # the same order for another customer: a conflict alone
        ask("C3", "0.00", "SO-3"),  # not positive: the single check's 422
        ask("C3", "1.00", "SO-4", reserve=True).model_copy(update={"currency": "XXX"}),
    ]
    answers = together(db, acme, asked)
    assert [brief(out) for out in answers] == [None, ("approved", "1000.00", []), None, None, None]
    assert checks_written(db) == ["SO-1", "SO-2"]
    assert reserved(db) == {"SO-1": 10_000, "SO-2": 10_000}


def test_a_customer_another_transaction_holds_is_skipped_not_waited_for(db: Database) -> None:
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: one writer holds the whole database; rows are not locked")
    actor = b.company(db)
    for code in ("C1", "C2"):
        b.customer(db, actor, code=code)
        h.rate(db, actor, code=code, grade="A", as_of=date(2026, 11, 1))
        h.set_limit(db, actor, code=code, amount="1000.00")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.engine.connect() as connection, connection.begin():
            connection.execute(text("SELECT id FROM customers WHERE code = 'C1' FOR UPDATE"))
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with db.write() as session:  # waiting for C1 would fail here, not hang
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
            answers = service.run_checks(
                session,
                [
                    Asked(actor, ask("C1", "10.00", "SO-1")),
                    Asked(actor, ask("C2", "10.00", "SO-2")),
                ],
                b.clock(),
            )
        assert [brief(out) for out in answers] == [None, ("approved", "1000.00", [])]
    finally:
        release.set()
        holder.join(10)
    assert checks_written(db) == ["SO-2"]


def test_the_fast_path_checks_together_then_alone_what_is_left(db: Database, acme: Actor) -> None:
    settings = Settings()
    state = create_app(db, b.clock(), settings).state
    asked = [
        Asked(acme, ask("C1", "600.00", "SO-1")),
        Asked(acme, ask("C1", "600.00", "SO-2")),  # alone, after: held
        Asked(acme, ask("C2", "100.00", "SO-3")),
        Asked(acme, ask("NOPE", "1.00", "SO-4")),  # alone: not found, the route answers
    ]
    loop = asyncio.new_event_loop()
    try:
        taken = [fastpath.Waiting(state, one, None, loop, loop.create_future()) for one in asked]
        answers = fastpath._checks(taken)
    finally:
        loop.close()
    assert [brief(out) for out in answers] == [
        ("approved", "1000.00", []),
        ("held", "400.00", ["over_limit"]),
        ("approved", "1000.00", []),
        None,
    ]
    assert reserved(db) == {"SO-1": 60_000, "SO-3": 10_000}


def test_a_unit_that_fails_is_rolled_back_and_each_is_checked_alone(
    db: Database, acme: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(session, asked, clock, *, commit):  # type: ignore[no-untyped-def]
        out = checks.run_checks(session, asked, clock)  # not committed: a statement follows
        session.execute(text("SELECT * FROM no_such_table"))  # after writing: all undone
        return out

    monkeypatch.setattr(service, "run_checks", failing)
    state = create_app(db, b.clock(), Settings()).state
    loop = asyncio.new_event_loop()
    try:
        taken = [
            fastpath.Waiting(
                state,
                Asked(acme, ask(code, "100.00", f"SO-{code}")),
                None,
                loop,
                loop.create_future(),
            )
            for code in ("C1", "C2")
        ]
        answers = fastpath._checks(taken)
    finally:
        loop.close()
    assert [brief(out) for out in answers] == [("approved", "1000.00", [])] * 2
    assert checks_written(db) == ["SO-C1", "SO-C2"]
    assert reserved(db) == {"SO-C1": 10_000, "SO-C2": 10_000}


def test_many_requests_at_once_never_over_commit(db: Database, acme: Actor) -> None:
    """40 checks of 100.00 against a limit of 1,000.00, sent at once through the app: the
    fast path gathers them; exactly 10 are approved and reserved."""
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, acme.company_id, ApiKeyIn(name="erp", role="erp_client"), b.clock()
        )
    app = create_app(db, b.clock(), Settings(check_threads=2, check_batch=8))

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/credit-checks",
                        content=json.dumps(
                            {
                                "customer_ref": "C1",
                                "amount": "100.00",
                                "currency": "CNY",
                                "order_ref": f"SO-{n}",
                                "reserve": True,
                            }
                        ),
                        headers={"X-API-Key": secret, "Content-Type": "application/json"},
                    )
                    for n in range(40)
                )
            )

    replies = asyncio.run(send_all())
    assert [r.status_code for r in replies] == [200] * 40
    decisions = [r.json()["decision"] for r in replies]
    assert (decisions.count("approved"), decisions.count("held")) == (10, 30)
    assert sum(reserved(db).values()) == 100_000
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(CreditCheck)) == 40
