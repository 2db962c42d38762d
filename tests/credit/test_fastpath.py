"""The credit check's fast path (api.fastpath) answers what the route answers, byte for byte,
serves plain checks without the route, and leaves every other request to the route, once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from creditguard.api import fastpath, idempotency
from creditguard.api.app import create_app
from creditguard.api.routes import credit as credit_routes
from creditguard.config import Settings
from creditguard.core.permissions import Actor
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, CheckOut
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn, Role
from creditguard.models import CreditCheck, CreditReservation, IdempotencyRecord
from tests import builders as b
from tests.credit import helpers as h

PATH = "/api/v1/credit-checks"


@pytest.fixture
def acme(db: Database) -> Actor:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="1000.00")
    return actor


def _key(db: Database, actor: Actor, role: Role, name: str | None = None) -> dict[str, str]:
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, actor.company_id, ApiKeyIn(name=name or role, role=role), b.clock()
        )
    return {"X-API-Key": secret}


@pytest.fixture
def clients(db: Database) -> Iterator[dict[str, TestClient]]:
    fast = create_app(db, b.clock(), Settings())
    slow = create_app(db, b.clock(), Settings(check_fast_path=False))
    with TestClient(fast) as one, TestClient(slow) as other:
        yield {"fast": one, "route": other}


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as session:
        checks = session.scalar(select(func.count()).select_from(CreditCheck))
        reserved = session.scalar(select(func.count()).select_from(CreditReservation))
    return int(checks or 0), int(reserved or 0)


def _check(ref: str, amount: str = "100.00", **extra: Any) -> dict[str, Any]:
    return {
        "customer_ref": "C1",
        "amount": amount,
        "currency": "CNY",
        "order_ref": ref,
        "reserve": True,
    } | extra


Case = Callable[[str, dict[str, str]], tuple[dict[str, str], bytes]]

# Each case: the body and headers for an order reference (one per app) and the caller's key.
CASES: dict[str, Case] = {
    # Not reserved: the second app's check would otherwise see the first one's reservation.
    "approved": lambda ref, key: (key, json.dumps(_check(ref, reserve=False)).encode()),
    "held over the limit": lambda ref, key: (key, json.dumps(_check(ref, "1000.01")).encode()),
    "zh-CN": lambda ref, key: (
        key | {"Accept-Language": "zh-CN"},
        json.dumps(_check(ref, "2000.00")).encode(),
    ),
    "unknown customer": lambda ref, key: (
        key,
        json.dumps(_check(ref) | {"customer_ref": "NOPE"}).encode(),
    ),
    "three decimals": lambda ref, key: (key, json.dumps(_check(ref, "1.005")).encode()),
    "negative": lambda ref, key: (key, json.dumps(_check(ref, "-5.00")).encode()),
    "missing field": lambda ref, key: (key, json.dumps({"customer_ref": "C1"}).encode()),
    "extra field": lambda ref, key: (key, json.dumps(_check(ref, color="red")).encode()),
    "not JSON": lambda ref, key: (key, b'{"customer_ref": '),
    "a list": lambda ref, key: (key, b"[]"),
    "unknown currency": lambda ref, key: (key, json.dumps(_check(ref, currency="XXX")).encode()),
    "no credential": lambda ref, key: ({}, json.dumps(_check(ref)).encode()),
    "wrong key": lambda ref, key: ({"X-API-Key": "cg_nope"}, json.dumps(_check(ref)).encode()),
    "idempotency key": lambda ref, key: (
        key | {"Idempotency-Key": f"k-{ref}"},
        json.dumps(_check(ref, reserve=False)).encode(),
    ),
    "idempotency key too long": lambda ref, key: (
        key | {"Idempotency-Key": "k" * 256},
        json.dumps(_check(ref)).encode(),
    ),
}


def _post(client: TestClient, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    sent = {"Content-Type": "application/json"} | headers
    got = client.post(PATH, content=body, headers=sent)
    answer = got.json()
    if isinstance(answer, dict) and "check_id" in answer:
        answer["check_id"] = "<id>"  # the rows differ: one per app
    return got.status_code, answer


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_path_answers_what_the_route_answers(
    db: Database, acme: Actor, clients: dict[str, TestClient], case: str
) -> None:
    key = _key(db, acme, "erp_client")
    answers = {}
    for name, client in clients.items():
        headers, body = CASES[case](f"SO-{name}", key)
        answers[name] = _post(client, headers, body)
    assert answers["fast"] == answers["route"]
    status, _ = answers["fast"]
    written = _counts(db)
    if case in {"approved", "held over the limit", "zh-CN", "idempotency key"}:
        assert (status, written) == (200, (2, 0))
    else:  # refused by both, written by neither
        assert status in {401, 404, 422}
        assert written == (0, 0)


def test_a_role_without_the_permission_gets_the_routes_403(
    db: Database, acme: Actor, clients: dict[str, TestClient]
) -> None:
    viewer = _key(db, acme, "viewer")
    got = [_post(c, viewer, json.dumps(_check("SO-1")).encode()) for c in clients.values()]
    assert got[0] == got[1]
    assert got[0][0] == 403
    assert got[0][1]["errors"][0]["field"] == "role"


def test_plain_checks_never_reach_the_route(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the route's unit of work made to fail, the fast path still answers a plain check;
    the app without the fast path (the control) reaches the route and fails."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the route was reached")

    monkeypatch.setattr(credit_routes, "run_post", refuse)
    key = _key(db, acme, "erp_client")
    body = json.dumps(_check("SO-F")).encode()
    assert _post(clients["fast"], key, body)[0] == 200
    with pytest.raises(AssertionError, match="the route was reached"):
        _post(clients["route"], key, json.dumps(_check("SO-R")).encode())
    assert _counts(db) == (1, 1)


def test_the_same_order_again_is_answered_alike_and_counted_once(
    db: Database, acme: Actor, clients: dict[str, TestClient]
) -> None:
    key = _key(db, acme, "erp_client")
    body = json.dumps(_check("SO-1")).encode()
    first = clients["fast"].post(PATH, content=body, headers=key | json_type())
    again = clients["fast"].post(PATH, content=body, headers=key | json_type())
    via_route = clients["route"].post(PATH, content=body, headers=key | json_type())
    assert first.status_code == again.status_code == via_route.status_code == 200
    assert first.json() == again.json() == via_route.json()
    assert _counts(db) == (1, 1)


def json_type() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def _route_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the route was reached")

    monkeypatch.setattr(credit_routes, "run_post", refuse)


def test_an_idempotency_key_is_stored_and_replayed_as_the_route_does(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path claims the key, stores the response with the check and replays it, as the
    route's run_post does (the route app, the control, sees the same), without the route."""
    seen = {}
    for name, client in clients.items():
        if name == "fast":
            _route_refused(monkeypatch)
        # one credential per app: the same key is the caller's own in each
        credential = _key(db, acme, "erp_client", f"erp {name}")
        headers = credential | json_type() | {"Idempotency-Key": "k-1"}
        body = json.dumps(_check(f"SO-{name}", reserve=False)).encode()  # same headroom
        first = client.post(PATH, content=body, headers=headers)
        again = client.post(PATH, content=body, headers=headers)
        monkeypatch.undo()  # a key refused goes to the route, which refuses it
        other = client.post(PATH, content=body.replace(b"100.00", b"200.00"), headers=headers)
        seen[name] = [
            (r.status_code, r.headers.get("Idempotent-Replayed"), _without_id(r.json()))
            for r in (first, again, other)
        ]
        assert again.json() == first.json()
    assert seen["fast"] == seen["route"]
    assert [(status, replayed) for status, replayed, _ in seen["fast"]] == [
        (200, None),
        (200, "true"),
        (422, None),  # the same key with another body: the route's refusal
    ]
    assert _counts(db) == (2, 0)


def _without_id(answer: Any) -> Any:
    if isinstance(answer, dict) and "check_id" in answer:
        return answer | {"check_id": "<id>"}
    return answer


def test_keyed_checks_are_gathered_and_each_response_stored(
    db: Database, acme: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keyed checks decided in one unit of work: each response stored under its own key in
    that unit; a second check of one customer, alone after it, stores its own."""
    b.customer(db, acme, code="C2")
    h.rate(db, acme, code="C2", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, acme, code="C2", amount="1000.00")
    state = create_app(db, b.clock(), Settings()).state
    together: list[tuple[int, bool]] = []
    real = service.run_checks

    def counted(session: Any, asked: Any, clock: Any, *, commit: bool = False, **hooks: Any) -> Any:
        together.append((len(asked), commit))
        return real(session, asked, clock, commit=commit, **hooks)

    monkeypatch.setattr(service, "run_checks", counted)
    orders = [("C1", "SO-1", "k-1"), ("C2", "SO-2", "k-2"), ("C1", "SO-3", "k-3")]
    loop = asyncio.new_event_loop()
    try:
        taken = [
            fastpath.Waiting(
                state,
                service.Asked(acme, CheckIn(**_check(order, "600.00", customer_ref=code))),
                key,
                loop,
                loop.create_future(),
            )
            for code, order, key in orders
        ]
        answers = fastpath._checks(taken)
    finally:
        loop.close()
    # PostgreSQL: the responses go with the rows and their COMMIT; SQLite: after the rows
    assert together == [(3, db.dialect == "postgresql")]
    assert [a.decision if isinstance(a, CheckOut) else a for a in answers] == [
        "approved",
        "approved",
        "held",  # C1's second order, alone after the unit: 600 + 600 over 1,000
    ]
    with db.read() as session:
        stored = dict(
            session.execute(select(IdempotencyRecord.key, IdempotencyRecord.response_body)).all()
        )
    assert {key: json.loads(str(body)) for key, body in stored.items()} == {
        key: answer.model_dump(mode="json")
        for (_, _, key), answer in zip(orders, answers, strict=True)
        if isinstance(answer, CheckOut)
    }
    assert _counts(db) == (3, 2)


def test_a_failing_unit_of_work_is_rolled_back_and_the_route_answers_once(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path's tries (the check's unit of work, then the check alone) fail after
    writing (a lost connection at commit, say): nothing of them stays, the route's try writes
    the check once. The broken variant — the fast path's rows kept — would count two checks
    and two reservations for one order."""
    tries = _failing_twice(monkeypatch)
    key = _key(db, acme, "erp_client")
    got = _post(clients["fast"], key, json.dumps(_check("SO-1")).encode())
    assert got[0] == 200
    assert tries == ["unit", "alone", "alone"]  # the fast path's two, then the route's
    assert _counts(db) == (1, 1)


def _failing_twice(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """service.run_checks and run_check write their rows, and the first two tries then fail
    as a lost COMMIT would (the unit of work rolled back). Each try's name is noted."""
    together, alone = service.run_checks, service.run_check
    tries: list[str] = []

    def _then_fail(out: Any) -> Any:
        if len(tries) <= 2:  # the rows are written in the unit of work, which then fails
            raise OperationalError("COMMIT", {}, Exception("connection lost"))
        return out

    def unit(session: Any, asked: Any, clock: Any, *, commit: bool = False, **hooks: Any) -> Any:
        tries.append("unit")
        return _then_fail(together(session, asked, clock, **hooks))  # not committed yet

    def single(*args: Any, **kwargs: Any) -> Any:
        tries.append("alone")
        return _then_fail(alone(*args, **kwargs))

    monkeypatch.setattr(service, "run_checks", unit)
    monkeypatch.setattr(service, "run_check", single)
    return tries


def test_a_keyed_check_that_fails_releases_its_key_for_the_routes_try(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path's try fails after writing: its rows and its stored response are rolled
    back and its claim released, so the route claims the key, writes the check once and
    stores the response a retry replays. Kept claimed, the route would answer 409."""
    tries = _failing_twice(monkeypatch)
    headers = _key(db, acme, "erp_client") | json_type() | {"Idempotency-Key": "k-1"}
    body = json.dumps(_check("SO-1")).encode()
    first = clients["fast"].post(PATH, content=body, headers=headers)
    again = clients["fast"].post(PATH, content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    # the fast path's two, then the route's; the retry's unit of work decides nothing (its
    # key is not claimed there: done already), and the retry is a replay
    assert tries == ["unit", "alone", "alone", "unit"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert _counts(db) == (1, 1)


def test_a_body_over_the_fast_paths_size_goes_to_the_route(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    reached: list[str] = []
    real = idempotency.run_post

    def counted(*args: Any, **kwargs: Any) -> Any:
        reached.append("route")
        return real(*args, **kwargs)

    monkeypatch.setattr(credit_routes, "run_post", counted)
    key = _key(db, acme, "erp_client") | json_type()
    small = json.dumps(_check("SO-1")).encode()
    padded = small[:-1] + b" " * fastpath.MAX_BODY + b"}"  # JSON all the same
    assert clients["fast"].post(PATH, content=small, headers=key).status_code == 200
    assert reached == []
    got = clients["fast"].post(PATH, content=padded.replace(b"SO-1", b"SO-2"), headers=key)
    assert got.status_code == 200
    assert reached == ["route"]
    assert _counts(db) == (2, 2)


def test_a_failing_credential_look_up_goes_to_the_route(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast paths sit in front of FastAPI's error page: a database error while the fast
    path looks the credential up is not theirs to report; the route answers, as it does."""

    async def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(fastpath, "actor_of", lost)
    key = _key(db, acme, "erp_client")
    assert _post(clients["fast"], key, json.dumps(_check("SO-1")).encode())[0] == 200
    assert _counts(db) == (1, 1)


def test_the_fast_paths_come_before_fastapis_own_middleware(db: Database) -> None:
    app = create_app(db, b.clock(), Settings())
    stack = app.build_middleware_stack()
    assert [type(layer).__name__ for layer in (stack, stack.app, stack.app.app)] == [  # type: ignore[attr-defined]
        "CreditCheckPath",
        "CustomerAgingPath",
        "ServerErrorMiddleware",
    ]
