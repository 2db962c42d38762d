"""One customer's aging fast path (api.agingpath) answers what the route answers, byte for
byte; serves a plain request without the route; and leaves every other request to the route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from creditguard.api import agingpath
from creditguard.api.app import create_app
from creditguard.api.routes import reports
from creditguard.config import Settings
from creditguard.core.aging import Buckets
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn
from tests import builders as b

PATH = "/api/v1/reports/aging"


@pytest.fixture
def clients(db: Database) -> Iterator[dict[str, TestClient]]:
    fast = create_app(db, b.clock(), Settings())
    slow = create_app(db, b.clock(), Settings(aging_fast_path=False))
    with TestClient(fast) as one, TestClient(slow) as other:
        yield {"fast": one, "route": other}


@pytest.fixture
def ids(db: Database) -> dict[str, Any]:
    """C1 with an invoice 31-60 days late, part paid, and one not due; C2 with nothing open;
    another company's customer; and an API key of ACME's."""
    acme = b.company(db)
    c1 = b.customer(db, acme, code="C1")
    c2 = b.customer(db, acme, code="C2")
    b.invoice(db, acme, ref="I1", amount="1000.00", issued_on=date(2026, 9, 1))
    b.invoice(db, acme, ref="I2", amount="250.50", issued_on=date(2026, 11, 1))
    b.payment(
        db, acme, ref="P1", amount="400.00", received_on=date(2026, 11, 5), to={"I1": "400.00"}
    )
    other = b.company(db, code="OTHER")
    theirs = b.customer(db, other, code="X1")
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, acme.company_id, ApiKeyIn(name="erp", role="erp_client"), b.clock()
        )
    return {"c1": c1, "c2": c2, "theirs": theirs, "key": {"X-API-Key": secret}}


def _get(client: TestClient, query: list[tuple[str, str]], headers: dict[str, str]) -> Any:
    got = client.get(PATH, params=urlencode(query), headers=headers)
    return got.status_code, got.headers["content-type"], got.content


# Each case: the query for the ids; whether its query is plain (the fast path tries it; an
# unknown customer's is, and the route answers the 404); the status both answer.
CASES: dict[str, tuple[Any, bool, int]] = {
    "plain": (lambda i: [("customer_id", i["c1"]), ("as_of", "2026-11-20")], True, 200),
    "today": (lambda i: [("customer_id", i["c1"])], True, 200),
    "nothing open": (lambda i: [("customer_id", i["c2"]), ("as_of", "2026-11-20")], True, 200),
    "before any invoice": (lambda i: [("customer_id", i["c1"]), ("as_of", "2026-08-01")], True, 200),
    "by grade": (lambda i: [("customer_id", i["c1"]), ("by", "grade")], True, 200),
    "by salesperson": (lambda i: [("customer_id", i["c1"]), ("by", "salesperson")], True, 200),
    "by currency": (lambda i: [("customer_id", i["c1"]), ("by", "currency")], True, 200),
    "invoice basis": (lambda i: [("customer_id", i["c1"]), ("basis", "invoice")], True, 200),
    "own buckets": (lambda i: [("customer_id", i["c1"]), ("buckets", "30,60")], True, 200),
    "blank buckets": (lambda i: [("customer_id", i["c1"]), ("buckets", "")], True, 200),
    "json named": (lambda i: [("customer_id", i["c1"]), ("format", "json")], True, 200),
    "bad buckets": (lambda i: [("customer_id", i["c1"]), ("buckets", "60,30")], False, 422),
    "words for buckets": (lambda i: [("customer_id", i["c1"]), ("buckets", "a,b")], False, 422),
    "bad basis": (lambda i: [("customer_id", i["c1"]), ("basis", "paid")], False, 422),
    "bad grouping": (lambda i: [("customer_id", i["c1"]), ("by", "colour")], False, 422),
    "csv": (lambda i: [("customer_id", i["c1"]), ("format", "csv")], False, 200),
    "unknown customer": (lambda i: [("customer_id", "999999")], True, 404),
    "another company's customer": (lambda i: [("customer_id", i["theirs"])], True, 404),
    "customer id 0": (lambda i: [("customer_id", "0")], False, 422),
    "customer id negative": (lambda i: [("customer_id", "-1")], False, 422),
    "customer id words": (lambda i: [("customer_id", "one")], False, 422),
    "customer id padded": (lambda i: [("customer_id", f"0{i['c1']}")], False, 200),
    "customer id too large": (lambda i: [("customer_id", "9" * 30)], False, 422),
    "customer id twice": (lambda i: [("customer_id", i["c2"]), ("customer_id", i["c1"])], False, 200),
    "a date with a time": (lambda i: [("customer_id", i["c1"]), ("as_of", "2026-11-20T00:00")], False, 200),
    "not a date": (lambda i: [("customer_id", i["c1"]), ("as_of", "2026-02-30")], False, 422),
    "blank date": (lambda i: [("customer_id", i["c1"]), ("as_of", "")], False, 422),
    "unknown parameter": (lambda i: [("customer_id", i["c1"]), ("colour", "red")], False, 200),
    "the portfolio": (lambda i: [("as_of", "2026-11-20")], False, 200),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_path_answers_what_the_route_answers(
    clients: dict[str, TestClient], ids: dict[str, Any], case: str
) -> None:
    query = [(k, str(v)) for k, v in CASES[case][0](ids)]
    answers = {name: _get(client, query, ids["key"]) for name, client in clients.items()}
    assert answers["fast"] == answers["route"]
    _, plain, status = CASES[case]
    assert answers["fast"][0] == status
    assert (agingpath.plain_query(_query(query)) is not None) is plain


def _query(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode("latin-1")


def test_errors_in_chinese_and_credentials_are_the_routes(
    clients: dict[str, TestClient], ids: dict[str, Any]
) -> None:
    query = [("customer_id", "999999")]
    cases = [
        ids["key"] | {"Accept-Language": "zh-CN"},  # 404 in Chinese
        {},  # no credential: 401
        {"X-API-Key": "cg_nope"},  # a wrong one: 401
        {"Authorization": "Basic eDp5"},  # not a bearer: 401
    ]
    for headers in cases:
        fast, route = (_get(c, query, headers) for c in clients.values())
        assert fast == route
    assert [_get(clients["fast"], query, h)[0] for h in cases] == [404, 401, 401, 401]
    zh = clients["fast"].get(PATH, params=urlencode(query), headers=cases[0]).json()
    assert zh["errors"][0]["field"] == "customer_id"


def test_plain_requests_never_reach_the_route(
    clients: dict[str, TestClient], ids: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the route's first step made to fail, the fast path still answers a plain request;
    the app without the fast path (the control) reaches the route and fails."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the route was reached")

    monkeypatch.setattr(reports, "parse_buckets", refuse)
    query = [("customer_id", str(ids["c1"])), ("as_of", "2026-11-20")]
    status, _, body = _get(clients["fast"], query, ids["key"])
    assert status == 200
    assert b'"rows":[{"key":"C1","not due":"250.50","1-30":"0.00","31-60":"600.00"' in body
    with pytest.raises(AssertionError, match="the route was reached"):
        _get(clients["route"], query, ids["key"])


def test_a_failing_report_is_answered_by_the_route(
    clients: dict[str, TestClient], ids: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error in the fast path's try is not the client's answer: the route tries
    again and answers."""
    real = reports.aging_report
    tries: list[str] = []

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        tries.append("x")
        if len(tries) == 1:
            raise RuntimeError("connection lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "aging_report", fail_once)
    query = [("customer_id", str(ids["c1"])), ("as_of", "2026-11-20")]
    assert _get(clients["fast"], query, ids["key"])[0] == 200
    assert len(tries) == 2  # the fast path's, then the route's


def test_a_plain_query_is_read_as_the_route_reads_it() -> None:
    asked = agingpath.plain_query(b"customer_id=12&as_of=2026-11-20&by=grade&basis=invoice")
    assert asked == agingpath.Asked(12, date(2026, 11, 20), "grade", Buckets(basis="invoice"))
    edges = agingpath.plain_query(b"customer_id=3&buckets=30%2C60")
    assert edges == agingpath.Asked(3, None, "customer", Buckets((30, 60)))
    assert agingpath.plain_query(b"customer_id=3&buckets=30%EF%BC%8C60") == edges  # 30，60
