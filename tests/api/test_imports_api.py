"""The import endpoints: JSON rows in, the report out; refusals as problem+json naming rows[i]."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from creditguard.api.app import create_app
from creditguard.db import Database
from tests import builders as b
from tests.api.test_api import add_user, login

ROWS = [
    {"code": "C1", "name": "甲有限公司"},
    {"客户编码": "C2", "客户名称": "乙有限公司", "付款条件": "net 60"},
]


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock())) as test_client:
        yield test_client


@pytest.fixture
def erp(db: Database, client: TestClient) -> dict[str, str]:
    actor = b.company(db)
    add_user(db, actor.company_id, "erp@acme.cn", "admin")
    return login(client, "ACME", "erp@acme.cn")


def test_rows_in_report_out_and_replay(client: TestClient, erp: dict[str, str]) -> None:
    first = client.post("/api/v1/imports/customers", json={"rows": ROWS}, headers=erp)
    assert (first.status_code, first.json()) == (
        200,
        {
            "kind": "customers",
            "rows": 2,
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
            "totals": {},
        },
    )
    again = client.post("/api/v1/imports/customers", json={"rows": ROWS}, headers=erp)
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, 2)


def test_refusal_is_problem_json_naming_the_row(client: TestClient, erp: dict[str, str]) -> None:
    client.post("/api/v1/imports/customers", json={"rows": ROWS}, headers=erp)
    rows = [
        {
            "external_ref": "I1",
            "customer_code": "C1",
            "issued_on": "2026-09-01",
            "currency": "CNY",
            "amount": "10",
        },
        {
            "external_ref": "I2",
            "customer_code": "C9",
            "issued_on": "2026-09-01",
            "currency": "CNY",
            "amount": "10",
        },
    ]
    refused = client.post(
        "/api/v1/imports/invoices", json={"rows": rows}, headers=erp | {"Accept-Language": "zh-CN"}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {
            "field": "rows[1].customer_code",
            "value": "C9",
            "code": "not_found",
            "message": "未找到客户 'C9'",
        }
    ]
    listed = client.get("/api/v1/invoices", headers=erp).json()
    assert listed["total"] == 0


def test_template_download(client: TestClient, erp: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/imports/payments/template?format=csv&chinese_headers=true", headers=erp
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="payments.csv"'
    assert response.content.decode("utf-8-sig").splitlines()[0] == (
        "收款单号,客户编码,收款日期,币种,金额,发票号,付款方式,银行流水号"
    )


def test_viewer_may_not_import(client: TestClient, erp: dict[str, str], db: Database) -> None:
    add_user(db, 1, "v@acme.cn", "viewer")
    viewer = login(client, "ACME", "v@acme.cn")
    refused = client.post("/api/v1/imports/customers", json={"rows": ROWS}, headers=viewer)
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (403, "forbidden")
