"""Limit requests through the API: routing by amount, authority, segregation of duties, audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.limits.conftest import Headers

BASE = "/api/v1/limit-requests"


def _ask(client: TestClient, who: Headers, **fields: Any) -> Any:
    body = {"customer_ref": "C-1", "amount": "500000.00", "currency": "CNY", "reason": "旺季 peak"}
    response = client.post(BASE, json={**body, **fields}, headers=who)
    return response


def _asked(client: TestClient, who: Headers, **fields: Any) -> dict[str, Any]:
    response = _ask(client, who, **fields)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _errors(response: Any) -> list[tuple[str, Any]]:
    return [(e["field"], e["value"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("amount", "role"),
    [
        ("1000000.00", "credit_manager"),  # exactly at the rung: the credit manager may approve
        ("1000000.01", "approver"),  # one cent above: the approver (CFO)
        ("0.00", "credit_manager"),
    ],
)
def test_a_request_is_routed_by_amount(
    client: TestClient, users: dict[str, Headers], amount: str, role: str
) -> None:
    made = _asked(client, users["sales"], amount=amount)
    assert (made["amount"], made["required_role"], made["status"]) == (amount, role, "pending")
    assert (made["requested_by"], made["previous_amount"], made["origin"]) == (
        "key:1",
        None,
        "manual",
    )


def test_approval_applies_the_limit_and_is_audited(
    client: TestClient, users: dict[str, Headers]
) -> None:
    made = _asked(client, users["sales"], amount="1500000.00", term_days=60)
    decided = client.post(f"{BASE}/{made['id']}/approve", json={"note": "ok"}, headers=users["cfo"])
    assert decided.status_code == 200, decided.text
    assert {k: decided.json()[k] for k in ("status", "decided_by", "decision_note")} == {
        "status": "applied",
        "decided_by": "key:4",
        "decision_note": "ok",
    }
    held = client.get("/api/v1/customers/C-1/limit", headers=users["viewer"]).json()
    assert [(x["scope"], x["amount"], x["term_days"], x["source"], x["request_id"],
             x["revision"]) for x in held["limits"]] == [
        ("customer", "1500000.00", 60, "request", made["id"], 1)
    ]  # fmt: skip
    assert [(c["before"], c["after"], c["actor"], c["request_id"]) for c in held["changes"]] == [
        (None, "1500000.00", "key:4", made["id"])
    ]
    # a second request and approval: revision 2, the history newest first
    again = _asked(client, users["sales"], amount="800000.00")
    assert again["previous_amount"] == "1500000.00"
    ok = client.post(f"{BASE}/{again['id']}/approve", json={}, headers=users["manager"])
    assert ok.status_code == 200, ok.text
    held = client.get("/api/v1/customers/C-1/limit", headers=users["viewer"]).json()
    assert (held["limits"][0]["amount"], held["limits"][0]["revision"]) == ("800000.00", 2)
    assert [(c["before"], c["after"]) for c in held["changes"]] == [
        ("1500000.00", "800000.00"),
        (None, "1500000.00"),
    ]
    log = client.get("/api/v1/audit", headers=users["cfo"]).json()
    assert [(e["seq"], e["action"], e["actor"]) for e in log] == [
        (1, "limit_request.create", "key:1"),
        (2, "limit_request.approve", "key:4"),
        (3, "limit.set", "key:4"),
        (4, "limit_request.create", "key:1"),
        (5, "limit_request.approve", "key:2"),
        (6, "limit.set", "key:2"),
    ]
    only = client.get("/api/v1/audit?subject=customer:1&after_seq=3", headers=users["cfo"])
    assert [(e["seq"], e["body"]["after"]) for e in only.json()] == [(6, "800000.00")]
    verified = client.get("/api/v1/audit/verify", headers=users["cfo"]).json()
    assert (verified["entries"], verified["intact"], verified["breaks"]) == (6, True, [])
    assert verified["last_hash"] == log[-1]["hash"]


def test_self_approval_is_refused_naming_the_approver(
    client: TestClient, users: dict[str, Headers]
) -> None:
    made = _asked(client, users["manager"], amount="500000.00")
    refused = client.post(f"{BASE}/{made['id']}/approve", json={}, headers=users["manager"])
    assert refused.status_code == 403
    assert _errors(refused) == [("approver", "key:2")]
    assert (
        refused.json()["errors"][0]["message"] == "the requester may not approve their own request"
    )
    zh = client.post(
        f"{BASE}/{made['id']}/approve",
        json={},
        headers={**users["manager"], "Accept-Language": "zh-CN"},
    )
    assert zh.json()["errors"][0]["message"] == "申请人不得审批自己的申请"
    # an administrator is no exception
    own = _asked(client, users["admin"], amount="10.00")
    refused = client.post(f"{BASE}/{own['id']}/approve", json={}, headers=users["admin"])
    assert (refused.status_code, _errors(refused)) == (403, [("approver", "key:6")])
    # nothing changed
    shown = client.get(f"{BASE}/{made['id']}", headers=users["viewer"]).json()
    assert (shown["status"], shown["decided_by"]) == ("pending", None)
    assert client.get("/api/v1/customers/C-1/limit", headers=users["viewer"]).json()["limits"] == []


def test_an_approver_without_authority_for_the_amount_is_refused(
    client: TestClient, users: dict[str, Headers]
) -> None:
    made = _asked(client, users["sales"], amount="1000000.01")
    refused = client.post(f"{BASE}/{made['id']}/approve", json={}, headers=users["manager"])
    assert (refused.status_code, _errors(refused)) == (403, [("role", "credit_manager")])
    assert "needs approver" in refused.json()["errors"][0]["message"]
    rejected = client.post(f"{BASE}/{made['id']}/reject", json={}, headers=users["manager"])
    assert rejected.status_code == 403
    # roles outside the ladder's decisions cannot even ask to decide
    assert (
        client.post(f"{BASE}/{made['id']}/approve", json={}, headers=users["sales"]).status_code
        == 403
    )
    # a higher rung approves lower amounts; an administrator any amount
    low = _asked(client, users["sales"], amount="10.00")
    assert (
        client.post(f"{BASE}/{low['id']}/approve", json={}, headers=users["cfo"]).status_code == 200
    )
    ok = client.post(f"{BASE}/{made['id']}/approve", json={}, headers=users["admin"])
    assert (ok.status_code, ok.json()["status"]) == (200, "applied")


def test_reject_and_withdraw(client: TestClient, users: dict[str, Headers]) -> None:
    one = _asked(client, users["sales"])
    rejected = client.post(
        f"{BASE}/{one['id']}/reject", json={"note": "no"}, headers=users["manager"]
    )
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    late = client.post(f"{BASE}/{one['id']}/approve", json={}, headers=users["cfo"])
    assert (late.status_code, _errors(late)) == (409, [("status", "rejected")])
    two = _asked(client, users["sales"])
    not_mine = client.post(f"{BASE}/{two['id']}/withdraw", json={}, headers=users["manager"])
    assert (not_mine.status_code, _errors(not_mine)) == (403, [("requested_by", "key:1")])
    back = client.post(
        f"{BASE}/{two['id']}/withdraw", json={"note": "oops"}, headers=users["sales"]
    )
    assert back.status_code == 200, back.text
    assert {k: back.json()[k] for k in ("status", "decided_by", "decision_note")} == {
        "status": "withdrawn",
        "decided_by": None,
        "decision_note": "oops",
    }
    pending = client.get(f"{BASE}?status=pending", headers=users["viewer"]).json()
    assert pending == []
    assert [r["status"] for r in client.get(BASE, headers=users["viewer"]).json()] == [
        "withdrawn",
        "rejected",
    ]
    assert client.get("/api/v1/customers/C-1/limit", headers=users["viewer"]).json()["limits"] == []
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=users["cfo"]).json()]
    assert actions == [
        "limit_request.create",
        "limit_request.reject",
        "limit_request.create",
        "limit_request.withdraw",
    ]


def test_for_me_lists_what_my_role_may_decide(
    client: TestClient, users: dict[str, Headers]
) -> None:
    small = _asked(client, users["sales"], amount="1000000.00")
    large = _asked(client, users["sales"], amount="1000000.01")
    mine = client.get(f"{BASE}?status=pending&for_me=true", headers=users["manager"]).json()
    assert [r["id"] for r in mine] == [small["id"]]
    cfo = client.get(f"{BASE}?status=pending&for_me=true", headers=users["cfo"]).json()
    assert [r["id"] for r in cfo] == [large["id"], small["id"]]


def test_a_group_limit_sits_on_the_parent(client: TestClient, users: dict[str, Headers]) -> None:
    refused = _ask(client, users["sales"], customer_ref="C-2", scope="group")
    assert (refused.status_code, _errors(refused)) == (422, [("customer_ref", "C-2")])
    assert "ask it on C-1" in refused.json()["errors"][0]["message"]
    made = _asked(client, users["sales"], scope="group", amount="3000000.00")
    ok = client.post(f"{BASE}/{made['id']}/approve", json={}, headers=users["cfo2"])
    assert ok.status_code == 200, ok.text
    held = client.get("/api/v1/customers/C-1/limit", headers=users["viewer"]).json()["limits"]
    assert [(x["scope"], x["amount"]) for x in held] == [("group", "3000000.00")]


@pytest.mark.parametrize(
    ("fields", "status", "errors"),
    [
        ({"amount": "-1.00"}, 422, [("amount", "-1.00")]),
        ({"currency": "USD"}, 422, [("currency", "USD")]),
        ({"amount": "1.001"}, 422, [("amount", "1.001")]),
        ({"customer_ref": "NOPE"}, 404, [("customer_ref", "NOPE")]),
        ({"expires_on": "2026-11-21"}, 422, [("expires_on", "2026-11-21")]),
        ({"reason": ""}, 422, [("reason", "")]),
        ({"amount": "-5", "currency": "USD"}, 422, [("currency", "USD"), ("amount", "-5")]),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    client: TestClient,
    users: dict[str, Headers],
    fields: dict[str, Any],
    status: int,
    errors: list[tuple[str, Any]],
) -> None:
    refused = _ask(client, users["sales"], **fields)
    assert (refused.status_code, _errors(refused)) == (status, errors)
    assert client.get(BASE, headers=users["viewer"]).json() == []
    assert client.get("/api/v1/audit", headers=users["cfo"]).json() == []


def test_expiring_today_is_accepted(client: TestClient, users: dict[str, Headers]) -> None:
    made = _asked(client, users["sales"], expires_on="2026-11-22")
    assert made["expires_on"] == "2026-11-22"


def test_roles(client: TestClient, users: dict[str, Headers]) -> None:
    assert _ask(client, users["viewer"]).status_code == 403
    assert _ask(client, users["cfo"]).status_code == 403  # the approver decides, never asks
    assert client.get("/api/v1/audit", headers=users["sales"]).status_code == 403
    assert client.get(f"{BASE}/999", headers=users["viewer"]).status_code == 404
