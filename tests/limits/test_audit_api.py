"""GET /api/v1/audit/verify on an intact log, a tampered one, and one cut short (anchor)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from creditguard.db import Database
from tests.audit.test_chain import _tamper
from tests.limits.conftest import Headers

BASE = "/api/v1/limit-requests"


def _history(client: TestClient, users: dict[str, Headers]) -> None:
    """Five entries: two requests, an approval with its limit change, a withdrawal."""
    for amount in ("100.00", "200.00"):
        body = {"customer_ref": "C-1", "amount": amount, "currency": "CNY", "reason": "r"}
        assert client.post(BASE, json=body, headers=users["sales"]).status_code == 201
    assert client.post(f"{BASE}/1/approve", json={}, headers=users["manager"]).status_code == 200
    assert client.post(f"{BASE}/2/withdraw", json={}, headers=users["sales"]).status_code == 200


def _breaks(client: TestClient, users: dict[str, Headers], query: str = "") -> object:
    found = client.get(f"/api/v1/audit/verify{query}", headers=users["cfo"]).json()
    return found["entries"], found["intact"], [(b["seq"], b["code"]) for b in found["breaks"]]


def test_the_api_names_each_break(
    db: Database, client: TestClient, users: dict[str, Headers]
) -> None:
    _history(client, users)
    intact = client.get("/api/v1/audit/verify", headers=users["cfo"]).json()
    assert (intact["entries"], intact["intact"], intact["breaks"]) == (5, True, [])
    anchor = f"?expect_count=5&expect_hash={intact['last_hash']}"
    assert _breaks(client, users, anchor) == (5, True, [])
    _tamper(db, "DELETE FROM audit_log WHERE seq = 5")
    # the tail removed: the chain alone still holds; the anchor does not
    assert _breaks(client, users) == (4, True, [])
    assert _breaks(client, users, anchor) == (4, False, [(5, "count")])
    _tamper(db, "UPDATE audit_log SET body = replace(body, '100.00', '900.00') WHERE seq = 3")
    found = client.get(
        "/api/v1/audit/verify", headers={**users["cfo"], "Accept-Language": "zh-CN"}
    ).json()
    assert [(b["seq"], b["code"], b["message"]["en"]) for b in found["breaks"]] == [
        (3, "hash", "entry 3: its content no longer matches its hash")
    ]
    assert found["breaks"][0]["message"]["zh-CN"] == "第 3 条：内容与其哈希不符"
    assert found["intact"] is False


def test_a_wrong_anchor_hash_is_a_break(client: TestClient, users: dict[str, Headers]) -> None:
    _history(client, users)
    assert _breaks(client, users, "?expect_count=3&expect_hash=" + "0" * 64) == (
        5,
        False,
        [(3, "anchor")],
    )
    bad = client.get("/api/v1/audit/verify?expect_hash=xyz", headers=users["cfo"])
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "expect_hash")
