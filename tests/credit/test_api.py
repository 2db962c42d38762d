"""Limit policy, customer credit, credit checks and held orders through the HTTP API."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from creditguard.api.app import create_app
from creditguard.config import Settings
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn, Role
from tests import builders as b
from tests.credit import helpers as h

Headers = dict[str, str]


def _key(db: Database, company_id: int, role: Role, name: str) -> Headers:
    """An API key of ``role`` (its principal is ``key:<id>``): hashing no password keeps the
    tests quick; the roles and the rules are the same as for a user."""
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, company_id, ApiKeyIn(name=name, role=role), b.clock()
        )
    return {"X-API-Key": secret}


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock(), Settings())) as test_client:
        yield test_client


@pytest.fixture
def acme(db: Database) -> Actor:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="1000.00")
    b.invoice(db, actor, ref="INV-1", amount="400.00", issued_on=date(2026, 11, 10))
    return actor


@pytest.fixture
def users(db: Database, acme: Actor) -> dict[str, Headers]:
    roles: dict[str, Role] = {
        "sales": "sales",  # key:1
        "manager": "credit_manager",  # key:2
        "cfo": "approver",  # key:3
        "viewer": "viewer",  # key:4
        "erp": "erp_client",  # key:5
        "manager2": "credit_manager",  # key:6
    }
    return {name: _key(db, acme.company_id, role, name) for name, role in roles.items()}


def _row(fixed: str, shares: tuple[str | None, str | None], *terms: Any) -> dict[str, Any]:
    term, prepay, review, overdue = terms
    return {
        "limit": {"fixed_max": fixed, "revenue_percent": shares[0], "equity_percent": shares[1]},
        "term_days": term,
        "prepayment_percent": prepay,
        "review_months": review,
        "max_days_overdue": overdue,
    }


DEFAULT: dict[str, Any] = {
    "grades": {
        "A": _row("5000000.00", ("10", "50"), 90, "0", 12, 30),
        "B": _row("2000000.00", ("5", "30"), 60, "0", 6, 15),
        "C": _row("500000.00", ("2", "10"), 30, "30", 3, 7),
        "D": _row("0.00", (None, None), 0, "100", 1, 0),
    },
    "step": "10000.00",
    "unrated_as": "D",
    "ladder": [
        {"role": "credit_manager", "up_to": "1000000.00"},
        {"role": "approver", "up_to": None},
    ],
    "note": None,
    "currency": "CNY",
    "version": 0,
    "default": True,
    "created_at": None,
    "created_by": None,
}


def test_policy_default_edit_versions_and_every_problem_named(
    client: TestClient, users: dict[str, Headers]
) -> None:
    got = client.get("/api/v1/credit/policy", headers=users["viewer"])
    assert (got.status_code, got.json()) == (200, DEFAULT)
    body = {
        k: copy.deepcopy(v)
        for k, v in DEFAULT.items()
        if k in {"grades", "step", "unrated_as", "ladder"}
    }
    bad = copy.deepcopy(body)
    bad["grades"]["C"]["limit"]["fixed_max"] = "3000000.00"
    bad["grades"]["B"]["prepayment_percent"] = "120"
    bad["ladder"] = [{"role": "cfo", "up_to": "5.00"}, {"role": "approver", "up_to": "1.00"}]
    refused = client.put("/api/v1/credit/policy", json=bad, headers=users["manager"])
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [
        "ladder[0].role",
        "grades.B.prepayment_percent",
        "grades.C.limit.fixed_max",
        "ladder[1].up_to",
        "ladder[1].up_to",
    ]
    sales = client.put("/api/v1/credit/policy", json=body, headers=users["sales"])
    assert (sales.status_code, sales.json()["errors"][0]["field"]) == (403, "role")
    body["grades"]["C"]["prepayment_percent"] = "50"
    saved = client.put(
        "/api/v1/credit/policy", json={**body, "note": "C 预付 50%"}, headers=users["manager"]
    )
    assert saved.status_code == 200, saved.text
    out = saved.json()
    assert (out["version"], out["default"], out["note"], out["created_by"]) == (
        1,
        False,
        "C 预付 50%",
        "key:2",
    )
    assert out["grades"]["C"]["prepayment_percent"] == "50"
    assert client.get("/api/v1/credit/policy", headers=users["viewer"]).json() == out
    versions = client.get("/api/v1/credit/policy/versions", headers=users["viewer"]).json()
    assert [(v["version"], v["note"]) for v in versions] == [(1, "C 预付 50%")]
    old = client.get("/api/v1/credit/policy?version=0", headers=users["viewer"]).json()
    assert old == DEFAULT


def test_check_answers_exactly_as_the_issue_says(
    client: TestClient, users: dict[str, Headers]
) -> None:
    body = {
        "customer_ref": "C1",
        "amount": "600.00",
        "currency": "CNY",
        "order_ref": "SO-1",
        "reserve": True,
    }
    ok = client.post("/api/v1/credit-checks", json=body, headers=users["erp"])
    assert (ok.status_code, ok.json()) == (
        200,
        {
            "decision": "approved",
            "reasons": [],
            "available": "600.00",
            "currency": "CNY",
            "check_id": 1,
        },
    )
    again = client.post("/api/v1/credit-checks", json=body, headers=users["erp"])
    assert again.json() == ok.json()
    held = client.post(
        "/api/v1/credit-checks",
        json={**body, "order_ref": "SO-2", "amount": "0.01"},
        headers={**users["sales"], "Accept-Language": "zh-CN"},
    )
    assert held.json() == {
        "decision": "held",
        "reasons": [
            {
                "code": "over_limit",
                "message": "超出客户额度 1000.00 CNY，超出 0.01 CNY：敞口 1000.00 CNY + 订单 0.01 CNY",
            }
        ],
        "available": "0.00",
        "currency": "CNY",
        "check_id": 2,
    }
    other = client.post(
        "/api/v1/credit-checks", json={**body, "amount": "601.00"}, headers=users["erp"]
    )
    assert (other.status_code, other.json()["errors"][0]["field"]) == (409, "order_ref")
    number = client.post(
        "/api/v1/credit-checks", json={**body, "amount": 600}, headers=users["erp"]
    )
    assert (number.status_code, number.json()["errors"][0]["field"]) == (422, "amount")
    viewer = client.post("/api/v1/credit-checks", json=body, headers=users["viewer"])
    assert viewer.status_code == 403
    unknown = client.post(
        "/api/v1/credit-checks", json={**body, "customer_ref": "NOPE"}, headers=users["erp"]
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (404, "customer_ref")
    cancelled = client.post("/api/v1/credit-checks/SO-1/cancel", headers=users["erp"])
    assert cancelled.json() == {
        "order_ref": "SO-1",
        "released": "600.00",
        "currency": "CNY",
        "held_check_cancelled": None,
    }


def test_held_order_released_by_someone_else_never_the_requester(
    client: TestClient, users: dict[str, Headers]
) -> None:
    body = {
        "customer_ref": "C1",
        "amount": "700.00",
        "currency": "CNY",
        "order_ref": "SO-9",
        "reserve": True,
    }
    held = client.post("/api/v1/credit-checks", json=body, headers=users["manager"]).json()
    assert held["decision"] == "held"
    listed = client.get("/api/v1/credit-checks?status=held", headers=users["viewer"]).json()
    assert [
        (c["id"], c["order_ref"], c["customer_ref"], c["status"], c["amount"]) for c in listed
    ] == [(held["check_id"], "SO-9", "C1", "held", "700.00")]
    url = f"/api/v1/credit-checks/{held['check_id']}/release"
    own = client.post(url, json={"note": "ok"}, headers=users["manager"])
    assert own.status_code == 403
    assert [(e["field"], e["value"]) for e in own.json()["errors"]] == [("decided_by", "key:2")]
    sales = client.post(url, json={"note": "ok"}, headers=users["sales"])
    assert (sales.status_code, sales.json()["errors"][0]["field"]) == (403, "role")
    empty = client.post(url, json={"note": ""}, headers=users["cfo"])
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "note")
    released = client.post(url, json={"note": "CFO 同意"}, headers=users["cfo"])
    assert released.status_code == 200, released.text
    assert (released.json()["status"], released.json()["decided_by"]) == ("released", "key:3")
    credit = client.get("/api/v1/customers/C1/credit", headers=users["viewer"]).json()
    assert credit["exposure"] == {
        "open_receivables": "0.00",
        "invoiced_not_due": "400.00",
        "shipped_not_invoiced": "0.00",
        "confirmed_not_shipped": "0.00",
        "reserved": "700.00",
        "insured": "0.00",
        "total": "1100.00",
    }
    assert credit["available"] == "0.00"
    again = client.post(
        url.replace("release", "reject"), json={"note": "x"}, headers=users["manager2"]
    )
    assert again.status_code == 409


def test_customer_credit_explains_the_suggestion(
    client: TestClient, users: dict[str, Headers]
) -> None:
    got = client.get(
        "/api/v1/customers/C1/credit", headers={**users["viewer"], "Accept-Language": "zh-CN"}
    )
    assert got.status_code == 200, got.text
    out = got.json()
    assert {
        k: out[k]
        for k in (
            "customer_ref",
            "as_of",
            "currency",
            "grade",
            "policy_version",
            "available",
            "group_limit",
            "group_exposure",
        )
    } == {
        "customer_ref": "C1",
        "as_of": "2026-11-22",
        "currency": "CNY",
        "grade": "A",
        "policy_version": 0,
        "available": "600.00",
        "group_limit": None,
        "group_exposure": None,
    }
    assert out["limit"] == {
        "scope": "customer",
        "customer_ref": "C1",
        "amount": "1000.00",
        "currency": "CNY",
        "term_days": None,
        "expires_on": None,
        "source": "manual",
        "revision": 1,
    }
    assert out["suggestion"] == {
        "grade": "A",
        "limit": "5000000.00",
        "term_days": 90,
        "prepayment_percent": "0",
        "review_months": 12,
        "max_days_overdue": 30,
        "explanation": [
            {"code": "grade", "message": "按 A 级政策"},
            {
                "code": "no_annual_revenue",
                "message": "无年营业收入数据，年营业收入比例规则（10%）不适用，仅按固定上限",
            },
            {
                "code": "no_equity",
                "message": "无净资产数据，净资产比例规则（50%）不适用，仅按固定上限",
            },
            {
                "code": "bound_by_fixed_max",
                "message": "取最小者：固定上限 5000000.00，按 10000.00 向下取整为 5000000.00",
            },
        ],
    }
    missing = client.get("/api/v1/customers/NOPE/credit", headers=users["viewer"])
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (404, "ref")


def test_webhooks_registered_by_policy_holders(
    client: TestClient, users: dict[str, Headers]
) -> None:
    body = {
        "url": "http://127.0.0.1:9/hook",
        "secret": "s" * 32,
        "events": ["credit_check.released"],
    }
    refused = client.post("/api/v1/webhooks", json=body, headers=users["sales"])
    assert refused.status_code == 403
    made = client.post("/api/v1/webhooks", json=body, headers=users["manager"])
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("id", "url", "events", "active")} == {
        "id": 1,
        "url": "http://127.0.0.1:9/hook",
        "events": ["credit_check.released"],
        "active": True,
    }
    assert "secret" not in made.json()
    twice = client.post("/api/v1/webhooks", json=body, headers=users["manager"])
    assert (twice.status_code, twice.json()["errors"][0]["field"]) == (422, "url")
    listed = client.get("/api/v1/webhooks", headers=users["manager"]).json()
    assert [w["url"] for w in listed] == ["http://127.0.0.1:9/hook"]
