"""The HTTP API through the ASGI app: exact JSON, problem+json, auth, isolation, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from creditguard.api.app import create_app
from creditguard.config import Settings
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import UserIn
from creditguard.models import Invoice, Payment
from tests import builders as b

PASSWORD = "correct horse battery"


def add_user(db: Database, company_id: int, email: str, role: str) -> None:
    with db.write() as session:
        identity.add_user(
            session,
            company_id,
            UserIn(email=email, display_name=email, password=PASSWORD, role=role),
            b.clock(),
        )


def login(client: TestClient, company: str, email: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"company": company, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    app = create_app(db, b.clock(), Settings(max_failed_logins=3))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def admin(db: Database, client: TestClient) -> dict[str, str]:
    actor = b.company(db)
    add_user(db, actor.company_id, "admin@acme.cn", "admin")
    return login(client, "ACME", "admin@acme.cn")


CUSTOMER = {
    "code": "C-1",
    "name": "上海华东机电有限公司",
    "industry": "machinery",
    "region": "Shanghai",
    "payment_terms": "2/10 net 30",
    "salesperson": "张伟",
}
INVOICE = {
    "external_ref": "INV-1",
    "customer_ref": "C-1",
    "issued_on": "2026-10-08",
    "currency": "CNY",
    "amount": "1000.00",
}


def test_customer_invoice_payment_balance_exact_json(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    assert created.status_code == 201
    assert created.json() == {
        "id": 1,
        "code": "C-1",
        "name": "上海华东机电有限公司",
        "parent_id": None,
        "industry": "machinery",
        "region": "Shanghai",
        "country": "CN",
        "currency": "CNY",
        "payment_terms": "2/10 net 30",
        "salesperson": "张伟",
        "tax_id": None,
        "status": "active",
        "created_at": "2026-11-22T01:30:00Z",
        "updated_at": "2026-11-22T01:30:00Z",
    }
    invoice = client.post("/api/v1/invoices", json=INVOICE, headers=admin)
    assert invoice.status_code == 201
    assert invoice.json() == {
        "id": 1,
        "external_ref": "INV-1",
        "customer_id": 1,
        "customer_ref": "C-1",
        "issued_on": "2026-10-08",
        "due_on": "2026-11-09",
        "currency": "CNY",
        "amount": "1000.00",
        "open": "1000.00",
        "disputed": "0.00",
        "status": "open",
        "payment_terms": "2/10 net 30",
        "discount_rate": "0.02",
        "discount_until": "2026-10-18",
        "order_ref": None,
        "salesperson": "张伟",
        "description": None,
        "created_at": "2026-11-22T01:30:00Z",
        "instalments": [{"seq": 1, "due_on": "2026-11-09", "amount": "1000.00", "open": "1000.00"}],
        "lines": [],
    }
    paid = client.post(
        "/api/v1/payments",
        headers=admin,
        json={
            "external_ref": "P-1",
            "customer_ref": "C-1",
            "received_on": "2026-11-20",
            "currency": "CNY",
            "amount": "400.00",
        },
    )
    assert paid.json()["applications"] == [
        {"invoice_id": 1, "invoice_ref": "INV-1", "amount": "400.00"}
    ]
    balance = client.get("/api/v1/customers/1/balance?as_of=2026-11-22", headers=admin)
    assert balance.json() == {
        "customer_id": 1,
        "customer_ref": "C-1",
        "as_of": "2026-11-22",
        "currencies": [
            {
                "currency": "CNY",
                "invoiced": "1000.00",
                "paid": "400.00",
                "credited": "0.00",
                "written_off": "0.00",
                "open": "600.00",
                "overdue": "600.00",
                "disputed": "0.00",
                "unapplied": "0.00",
                "net": "600.00",
            }
        ],
        "base": {
            "currency": "CNY",
            "open": "600.00",
            "overdue": "600.00",
            "disputed": "0.00",
            "unapplied": "0.00",
            "net": "600.00",
        },
    }


def test_bad_input_is_problem_json_naming_field_value_reason(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    bad = client.post(
        "/api/v1/invoices",
        headers=admin | {"Accept-Language": "zh-CN"},
        json=INVOICE | {"amount": "10.001"},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"] == [
        {
            "field": "amount",
            "value": "10.001",
            "code": "too_many_decimals",
            "message": "CNY 最多允许 2 位小数，'10.001' 超出",
        }
    ]
    floated = client.post("/api/v1/invoices", headers=admin, json=INVOICE | {"amount": 10.5})
    assert floated.status_code == 422
    assert floated.json()["errors"] == [
        {
            "field": "amount",
            "value": "10.5",
            "code": "amount_as_string",
            "message": 'amounts travel as decimal strings such as "1234.50", never as JSON numbers',
        }
    ]
    numbered = client.post("/api/v1/invoices", headers=admin, json=INVOICE | {"customer_ref": 7})
    assert numbered.json()["errors"][0]["message"] == "Input should be a valid string"


@pytest.mark.parametrize("field", ["company_id", "id", "status", "open"])
def test_unknown_or_privileged_fields_are_rejected(
    client: TestClient, admin: dict[str, str], db: Database, field: str
) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    response = client.post("/api/v1/invoices", headers=admin, json=INVOICE | {field: 2})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": field, "value": 2, "code": "invalid", "message": "Extra inputs are not permitted"}
    ]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_authentication_and_roles(client: TestClient, admin: dict[str, str], db: Database) -> None:
    assert client.get("/api/v1/customers").status_code == 401
    assert (
        client.get("/api/v1/customers", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    add_user(db, 1, "viewer@acme.cn", "viewer")
    viewer = login(client, "ACME", "viewer@acme.cn")
    assert client.get("/api/v1/customers", headers=viewer).status_code == 200
    refused = client.post("/api/v1/customers", json=CUSTOMER, headers=viewer)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"] == "role 'viewer' may not customers:write"


def test_login_lockout_after_failures(client: TestClient, admin: dict[str, str]) -> None:
    wrong = {"company": "ACME", "email": "admin@acme.cn", "password": "wrong password!"}
    codes = [
        client.post("/api/v1/auth/token", json=wrong).json()["errors"][0]["code"] for _ in range(4)
    ]
    assert codes == [
        "not_authenticated",
        "not_authenticated",
        "not_authenticated",
        "account_locked",
    ]
    right = wrong | {"password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=right).status_code == 401


def test_another_companys_ids_are_not_found(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    client.post("/api/v1/invoices", json=INVOICE, headers=admin)
    other = b.company(db, code="OTHER")
    add_user(db, other.company_id, "boss@other.cn", "admin")
    intruder = login(client, "OTHER", "boss@other.cn")
    for path in ["/api/v1/customers/1", "/api/v1/invoices/1", "/api/v1/customers/1/balance"]:
        assert client.get(path, headers=intruder).status_code == 404, path
    assert client.get("/api/v1/invoices", headers=intruder).json()["total"] == 0


def test_api_key_for_erp_client(client: TestClient, admin: dict[str, str]) -> None:
    issued = client.post("/api/v1/api-keys", json={"name": "SAP B1"}, headers=admin)
    key = issued.json()["key"]
    assert issued.json()["role"] == "erp_client"
    assert (
        client.post("/api/v1/customers", json=CUSTOMER, headers={"X-API-Key": key}).status_code
        == 201
    )
    assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 403


def test_idempotent_replay(client: TestClient, admin: dict[str, str], db: Database) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    client.post("/api/v1/invoices", json=INVOICE, headers=admin)
    body: dict[str, Any] = {
        "external_ref": "P-9",
        "customer_ref": "C-1",
        "received_on": "2026-11-20",
        "currency": "CNY",
        "amount": "100.00",
    }
    keyed = admin | {"Idempotency-Key": "erp-42"}
    first = client.post("/api/v1/payments", json=body, headers=keyed)
    replays = [client.post("/api/v1/payments", json=body, headers=keyed) for _ in range(4)]
    assert first.status_code == 201
    assert [(r.status_code, r.json(), r.headers.get("idempotent-replayed")) for r in replays] == [
        (201, first.json(), "true")
    ] * 4
    other = client.post("/api/v1/payments", json=body | {"amount": "101.00"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_mismatch"
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1


def test_failed_request_releases_its_key(client: TestClient, admin: dict[str, str]) -> None:
    keyed = admin | {"Idempotency-Key": "retry-me"}
    refused = client.post("/api/v1/invoices", json=INVOICE, headers=keyed)  # no customer yet
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (422, "not_found")
    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    assert client.post("/api/v1/invoices", json=INVOICE, headers=keyed).status_code == 201


def test_key_in_flight_is_409(client: TestClient, admin: dict[str, str], db: Database) -> None:
    from datetime import timedelta

    from creditguard.api.deps import Context  # noqa: F401 - documents what is simulated
    from creditguard.core.permissions import Actor
    from creditguard.identity.service import IdempotentRequest, claim, request_fingerprint
    from creditguard.ledger.schemas import InvoiceIn

    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    body = InvoiceIn.model_validate(INVOICE).model_dump_json().encode()
    request = IdempotentRequest(
        Actor(1, "user:1", "admin"),
        "busy",
        "POST",
        "/invoices",
        request_fingerprint("POST", "/invoices", body),
    )
    claim(db.engine, request, b.clock(), timedelta(seconds=60))  # another worker holds it
    response = client.post(
        "/api/v1/invoices", json=INVOICE, headers=admin | {"Idempotency-Key": "busy"}
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_in_flight"


def test_lists_paginate_filter_and_sort(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    for n in range(5):
        client.post(
            "/api/v1/invoices",
            headers=admin,
            json=INVOICE | {"external_ref": f"INV-{n}", "issued_on": f"2026-10-0{n + 1}"},
        )
    page = client.get("/api/v1/invoices?limit=2&offset=1&sort=issued_on", headers=admin).json()
    assert (page["total"], [i["external_ref"] for i in page["items"]]) == (5, ["INV-1", "INV-2"])
    bad = client.get("/api/v1/invoices?sort=password", headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "sort"


def test_concurrent_retries_with_one_key_post_once(
    client: TestClient, admin: dict[str, str], db: Database
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client.post("/api/v1/customers", json=CUSTOMER, headers=admin)
    client.post("/api/v1/invoices", json=INVOICE, headers=admin)
    body = {
        "external_ref": "P-77",
        "customer_ref": "C-1",
        "received_on": "2026-11-20",
        "currency": "CNY",
        "amount": "250.00",
    }
    keyed = admin | {"Idempotency-Key": "storm"}
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(lambda _: client.post("/api/v1/payments", json=body, headers=keyed), range(10))
        )
    statuses = sorted({r.status_code for r in responses})
    created = [r for r in responses if r.status_code == 201]
    assert set(statuses) <= {201, 409}
    assert len({r.text for r in created}) == 1
    assert created[0].json()["amount"] == "250.00"
    after = client.post("/api/v1/payments", json=body, headers=keyed)
    assert (after.status_code, after.json()) == (201, created[0].json())
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/customers/{n}", "customer_id"),
        ("/api/v1/invoices/{n}", "invoice_id"),
        ("/api/v1/reports/aging?customer_id={n}", "customer_id"),
        ("/api/v1/alerts?customer_id={n}", "customer_id"),
        ("/api/v1/audit?after_seq={n}", "after_seq"),
    ],
)
def test_an_id_beyond_what_the_database_holds_is_refused(
    client: TestClient, admin: dict[str, str], path: str, field: str
) -> None:
    """An id past BIGINT's range is a 422 naming it; it used to reach the database, which
    cannot take it (a 500). The largest id it holds is simply not found (or an empty list)."""
    got = client.get(path.format(n=2**63), headers=admin)
    assert got.status_code == 422
    assert [(e["field"], e["value"]) for e in got.json()["errors"]] == [(field, str(2**63))]
    assert client.get(path.format(n=2**63 - 1), headers=admin).status_code in {200, 404}
