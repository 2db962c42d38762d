"""Change feeds: an ERP pulls what changed since its cursor, and sees payments move invoices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from creditguard.api.app import create_app
from creditguard.clock import FixedClock
from creditguard.db import Database
from tests import builders as b
from tests.api.test_api import CUSTOMER, INVOICE, add_user, login


@pytest.fixture
def clock() -> FixedClock:
    return b.clock()


@pytest.fixture
def client(db: Database, clock: FixedClock) -> Iterator[TestClient]:
    with TestClient(create_app(db, clock)) as test_client:
        yield test_client


@pytest.fixture
def erp(db: Database, client: TestClient) -> dict[str, str]:
    actor = b.company(db)
    add_user(db, actor.company_id, "erp@acme.cn", "admin")
    return login(client, "ACME", "erp@acme.cn")


def refs(
    client: TestClient, headers: dict[str, str], path: str
) -> tuple[list[str], str | None, int | None]:
    body = client.get(path, headers=headers).json()
    return [i["external_ref"] for i in body["items"]], body["next_since"], body["next_after_id"]


def test_invoices_feed_pages_and_follows_payments(
    client: TestClient, erp: dict[str, str], clock: FixedClock
) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=erp)
    for n in range(3):
        client.post("/api/v1/invoices", json=INVOICE | {"external_ref": f"INV-{n}"}, headers=erp)
    first = refs(client, erp, "/api/v1/changes/invoices?limit=2")
    assert first == (["INV-0", "INV-1"], "2026-11-22T01:30:00Z", 2)
    rest = refs(
        client, erp, f"/api/v1/changes/invoices?limit=2&since={first[1]}&after_id={first[2]}"
    )
    assert rest == (["INV-2"], None, None)
    clock.advance(timedelta(hours=1))
    client.post(
        "/api/v1/payments",
        headers=erp,
        json={
            "external_ref": "P-1",
            "customer_ref": "C-1",
            "received_on": "2026-11-20",
            "currency": "CNY",
            "amount": "1000.00",
            "allocations": [{"invoice_ref": "INV-1", "amount": "1000.00"}],
        },
    )
    moved = client.get(
        "/api/v1/changes/invoices?since=2026-11-22T01:30:00Z&after_id=3", headers=erp
    ).json()
    assert [(i["external_ref"], i["status"], i["open"]) for i in moved["items"]] == [
        ("INV-1", "settled", "0.00")
    ]
    payments = refs(client, erp, "/api/v1/changes/payments?since=2026-11-22T02:00:00Z")
    assert payments == (["P-1"], None, None)


def test_feeds_are_scoped_to_the_company(
    client: TestClient, erp: dict[str, str], db: Database
) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=erp)
    other = b.company(db, code="OTHER")
    add_user(db, other.company_id, "x@other.cn", "admin")
    intruder = login(client, "OTHER", "x@other.cn")
    assert client.get("/api/v1/changes/customers", headers=intruder).json()["items"] == []
    assert [
        c["code"] for c in client.get("/api/v1/changes/customers", headers=erp).json()["items"]
    ] == ["C-1"]
