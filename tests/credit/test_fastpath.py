"""The credit check's fast path (api.fastpath) answers what the route answers, byte for byte,
serves plain checks without the route, and leaves every other request to the route, once."""

from __future__ import annotations

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
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn, Role
from creditguard.models import CreditCheck, CreditReservation
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


def _key(db: Database, actor: Actor, role: Role) -> dict[str, str]:
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, actor.company_id, ApiKeyIn(name=role, role=role), b.clock()
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
    if case in {"approved", "held over the limit", "zh-CN"}:
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


def test_an_idempotency_key_goes_to_the_route_and_is_replayed(
    db: Database, acme: Actor, clients: dict[str, TestClient]
) -> None:
    key = _key(db, acme, "erp_client") | json_type() | {"Idempotency-Key": "k-1"}
    body = json.dumps(_check("SO-1")).encode()
    first = clients["fast"].post(PATH, content=body, headers=key)
    again = clients["fast"].post(PATH, content=body, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("Idempotent-Replayed") == "true"  # the route's stored reply
    assert "Idempotent-Replayed" not in first.headers
    assert first.json() == again.json()
    assert _counts(db) == (1, 1)


def test_a_failing_unit_of_work_is_rolled_back_and_the_route_answers_once(
    db: Database, acme: Actor, clients: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path's try fails after writing (a lost connection at commit, say): nothing of
    it stays, the route's try writes the check once. The broken variant — the fast path's
    rows kept — would count two checks and two reservations for one order."""
    real = service.run_check
    tries: list[str] = []

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)  # the rows are written in the unit of work...
        tries.append("x")
        if len(tries) == 1:  # ...which then fails: rolled back
            raise OperationalError("COMMIT", {}, Exception("connection lost"))
        return out

    monkeypatch.setattr(service, "run_check", fail_once)
    key = _key(db, acme, "erp_client")
    got = _post(clients["fast"], key, json.dumps(_check("SO-1")).encode())
    assert got[0] == 200
    assert len(tries) == 2  # the fast path's, then the route's
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
