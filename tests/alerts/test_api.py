"""Risk alerts through the API: record, list, close; a feed's signals are idempotent; bad input
changes nothing; another company's alerts are out of sight."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from creditguard.alerts.schemas import Kind, Severity
from creditguard.core.alerts import KINDS, SEVERITIES
from creditguard.db import Database
from creditguard.models import AuditEntry
from tests.alerts.conftest import World, counts

LITIGATION = {
    "kind": "litigation",
    "observed_on": "2026-11-20",
    "source": "qichacha",
    "external_ref": "QCC-1",
    "note": "买卖合同纠纷 / sales contract dispute",
}


def _url(customer_id: int) -> str:
    return f"/api/v1/customers/{customer_id}/alerts"


def _errors(response: Any) -> list[tuple[str, Any]]:
    return [(e["field"], e["value"]) for e in response.json()["errors"]]


def _audit(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.subject, AuditEntry.actor).order_by(
                AuditEntry.company_id, AuditEntry.seq
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_schema_lists_the_kinds_and_severities_of_the_core() -> None:
    assert get_args(Kind) == tuple(KINDS)
    assert get_args(Severity) == SEVERITIES


def test_record_list_and_close_each_audited(db: Database, client: TestClient, world: World) -> None:
    manager, c1 = world.keys["credit_manager"], world.customers["C-1"]
    made = client.post(_url(c1), json=LITIGATION, headers=manager)
    assert made.status_code == 201, made.text
    alert = made.json()
    assert alert == {
        "id": alert["id"],
        "customer_id": c1,
        "customer_ref": "C-1",
        "kind": "litigation",
        "kind_label": {"zh": "诉讼", "en": "litigation"},
        "severity": "high",  # litigation's default
        "severity_label": {"zh": "高", "en": "high"},
        "observed_on": "2026-11-20",
        "recorded_on": "2026-11-22",  # 09:30 in Shanghai
        "source": "qichacha",
        "external_ref": "QCC-1",
        "note": "买卖合同纠纷 / sales contract dispute",
        "status": "open",
        "created_at": "2026-11-22T01:30:00Z",
        "created_by": "key:1",
        "closed_at": None,
        "closed_by": None,
        "close_note": None,
    }
    manual = client.post(
        _url(world.customers["C-2"]),
        json={"kind": "equity_change", "observed_on": "2026-11-01", "severity": "low"},
        headers=manager,
    ).json()
    assert (manual["source"], manual["external_ref"], manual["severity"]) == ("manual", None, "low")
    listed = client.get("/api/v1/alerts", params={"status": "open"}, headers=manager).json()
    assert [a["id"] for a in listed] == [manual["id"], alert["id"]]  # newest first
    only_c1 = client.get("/api/v1/alerts", params={"customer_id": c1}, headers=manager).json()
    assert only_c1 == [alert]
    low = client.get("/api/v1/alerts", params={"severity": "low"}, headers=manager).json()
    assert [a["id"] for a in low] == [manual["id"]]
    collector = world.keys["collector"]
    closed = client.post(f"/api/v1/alerts/{alert['id']}/close", json={"note": "和解 settled"},
                         headers=manager)  # fmt: skip
    assert closed.status_code == 200, closed.text
    assert {k: closed.json()[k] for k in ("status", "closed_at", "closed_by", "close_note")} == {
        "status": "closed",
        "closed_at": "2026-11-22T01:30:00Z",
        "closed_by": "key:1",
        "close_note": "和解 settled",
    }
    again = client.post(f"/api/v1/alerts/{alert['id']}/close", json={"note": "again"},
                        headers=manager)  # fmt: skip
    assert (again.status_code, _errors(again)) == (409, [("status", "closed")])
    assert again.json()["errors"][0]["message"] == f"alert {alert['id']} is already closed"
    still_open = client.get("/api/v1/alerts", params={"status": "open"}, headers=collector)
    assert [a["id"] for a in still_open.json()] == [manual["id"]]
    assert client.get(f"/api/v1/alerts/{alert['id']}", headers=collector).json() == closed.json()
    assert _audit(db) == [
        ("alert.create", f"customer:{c1}", "key:1"),
        ("alert.create", f"customer:{world.customers['C-2']}", "key:1"),
        ("alert.close", f"customer:{c1}", "key:1"),
    ]


def test_a_feed_sending_a_signal_again_gets_the_same_alert(
    db: Database, client: TestClient, world: World
) -> None:
    erp, c1 = world.keys["erp_client"], world.customers["C-1"]
    first = client.post(_url(c1), json=LITIGATION, headers=erp)
    assert first.status_code == 201, first.text
    assert counts(db) == (1, 1)
    second = client.post(_url(c1), json=LITIGATION, headers=erp)
    assert (second.status_code, second.json()) == (201, first.json())
    # the kind's default severity given explicitly is the same signal
    explicit = client.post(_url(c1), json={**LITIGATION, "severity": "high"}, headers=erp)
    assert (explicit.status_code, explicit.json()) == (201, first.json())
    assert counts(db) == (1, 1)  # one row, one audit entry
    for change in (
        {"note": "另一案件 / another case"},
        {"severity": "critical"},
        {"observed_on": "2026-11-21"},
        {"kind": "enforcement"},
    ):
        clash = client.post(_url(c1), json={**LITIGATION, **change}, headers=erp)
        assert (clash.status_code, _errors(clash)) == (409, [("external_ref", "QCC-1")])
    other_customer = client.post(_url(world.customers["C-2"]), json=LITIGATION, headers=erp)
    assert (other_customer.status_code, _errors(other_customer)) == (
        409,
        [("external_ref", "QCC-1")],
    )
    assert other_customer.json()["errors"][0]["message"] == (
        f"alert {first.json()['id']} of source qichacha has this reference with another "
        "customer_id; a signal is never edited: close it and send a new reference"
    )
    # the same reference from another source is another signal
    other_source = client.post(_url(c1), json={**LITIGATION, "source": "tianyancha"}, headers=erp)
    assert other_source.status_code == 201
    assert other_source.json()["id"] != first.json()["id"]
    assert counts(db) == (2, 2)


def test_an_idempotency_key_replays_the_first_answer(
    db: Database, client: TestClient, world: World
) -> None:
    erp, c1 = world.keys["erp_client"], world.customers["C-1"]
    body = {"kind": "tax_violation", "observed_on": "2026-11-02"}  # no external_ref
    first = client.post(_url(c1), json=body, headers={**erp, "Idempotency-Key": "k-1"})
    again = client.post(_url(c1), json=body, headers={**erp, "Idempotency-Key": "k-1"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        _url(c1), json={**body, "note": "x"}, headers={**erp, "Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422
    assert counts(db) == (1, 1)


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"kind": "fire"}, [("kind", "fire")]),
        ({"severity": "extreme"}, [("severity", "extreme")]),
        ({"observed_on": "2026-13-01"}, [("observed_on", "2026-13-01")]),
        ({"observed_on": "2026-11-23"}, [("observed_on", "2026-11-23")]),  # tomorrow in Shanghai
        ({"source": "Qichacha!"}, [("source", "Qichacha!")]),
        ({"status": "closed"}, [("status", "closed")]),  # not a field of the input
        ({"kind": None, "severity": "x"}, [("kind", None), ("severity", "x")]),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    db: Database, client: TestClient, world: World, change: dict[str, Any], errors: list[Any]
) -> None:
    before = counts(db)
    response = client.post(
        _url(world.customers["C-1"]),
        json={**LITIGATION, **change},
        headers={**world.keys["credit_manager"], "Accept-Language": "zh-CN"},
    )
    assert (response.status_code, _errors(response)) == (422, errors)
    assert response.json()["title"] == "输入无效"
    assert counts(db) == before


def test_the_future_is_refused_in_both_languages(client: TestClient, world: World) -> None:
    body = {**LITIGATION, "observed_on": "2026-11-23"}
    url, manager = _url(world.customers["C-1"]), world.keys["credit_manager"]
    en = client.post(url, json=body, headers=manager).json()["errors"][0]["message"]
    zh = client.post(url, json=body, headers={**manager, "Accept-Language": "zh-CN"})
    assert en == "an event cannot be observed after today (2026-11-22)"
    assert zh.json()["errors"][0]["message"] == "事件发生日不能晚于今天（2026-11-22）"


def test_another_companys_alerts_are_out_of_sight(
    db: Database, client: TestClient, world: World
) -> None:
    theirs = client.post(_url(world.customers["X-1"]), json=LITIGATION, headers=world.other)
    assert theirs.status_code == 201
    alert_id, manager = theirs.json()["id"], world.keys["credit_manager"]
    before = counts(db)
    seen = [
        client.get(f"/api/v1/alerts/{alert_id}", headers=manager),
        client.post(f"/api/v1/alerts/{alert_id}/close", json={"note": "x"}, headers=manager),
        client.post(_url(world.customers["X-1"]), json=LITIGATION, headers=manager),
        client.get(
            "/api/v1/alerts", params={"customer_id": world.customers["X-1"]}, headers=manager
        ),
    ]
    assert [r.status_code for r in seen] == [404, 404, 404, 404]
    assert _errors(seen[0]) == [("id", alert_id)]
    assert _errors(seen[2]) == [("id", world.customers["X-1"])]
    assert client.get("/api/v1/alerts", headers=manager).json() == []
    assert counts(db) == before
    assert [a["id"] for a in client.get("/api/v1/alerts", headers=world.other).json()] == [alert_id]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("credit_manager", 200, 201),
        ("erp_client", 200, 201),
        ("collector", 200, 403),
        ("approver", 200, 403),
        ("sales", 403, 403),
        ("viewer", 403, 403),
    ],
)
def test_who_may_read_and_record(
    client: TestClient, world: World, role: str, read: int, write: int
) -> None:
    who = world.keys[role]
    assert client.get("/api/v1/alerts", headers=who).status_code == read
    made = client.post(_url(world.customers["C-1"]), json=LITIGATION, headers=who)
    assert made.status_code == write
