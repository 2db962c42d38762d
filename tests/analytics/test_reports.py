"""The aging report through the API (JSON, CSV, XLSX, bad input) and the CLI."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from creditguard.api.app import create_app
from creditguard.cli.main import app as cli
from creditguard.db import Database
from creditguard.models import Customer
from tests import builders as b
from tests.api.test_api import add_user, login


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock())) as test_client:
        yield test_client


@pytest.fixture
def viewer(db: Database, client: TestClient) -> dict[str, str]:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    b.invoice(db, actor, ref="I1", amount="1000.00", issued_on=date(2026, 9, 1))
    b.invoice(db, actor, ref="I2", amount="250.50", issued_on=date(2026, 11, 1))
    add_user(db, actor.company_id, "view@acme.cn", "viewer")
    return login(client, "ACME", "view@acme.cn")


def test_aging_as_json_in_the_documented_form(client: TestClient, viewer: dict[str, str]) -> None:
    got = client.get("/api/v1/reports/aging", params={"as_of": "2026-11-20"}, headers=viewer)
    assert got.status_code == 200
    # I1 (net 30 from 2026-09-01, rolled past the 国庆 holidays) is 31-60 days late; I2 not due.
    assert got.json()["rows"] == [
        {"key": "C1", "not due": "250.50", "1-30": "0.00", "31-60": "1000.00", "61-90": "0.00",
         "91-180": "0.00", ">180": "0.00", "total": "1250.50", "disputed": "0.00"}
    ]  # fmt: skip
    assert got.json()["totals"]["total"] == "1250.50"


def test_aging_as_csv_and_xlsx_with_chinese_headers(
    client: TestClient, viewer: dict[str, str]
) -> None:
    params = {"as_of": "2026-11-20", "format": "csv", "buckets": "30,60"}
    got = client.get(
        "/api/v1/reports/aging", params=params, headers=viewer | {"Accept-Language": "zh-CN"}
    )
    assert got.headers["content-type"].startswith("text/csv")
    assert got.content.decode("utf-8-sig").splitlines() == [
        "customer,未到期,1-30天,31-60天,>60天,合计,其中争议",
        "C1,250.50,0.00,1000.00,0.00,1250.50,0.00",
        "total,250.50,0.00,1000.00,0.00,1250.50,0.00",
    ]
    xlsx = client.get("/api/v1/reports/aging", params=params | {"format": "xlsx"}, headers=viewer)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == ["C1", 250.5, 0, 1000, 0, 1250.5, 0]


def test_bad_buckets_are_a_problem_naming_the_field(
    client: TestClient, viewer: dict[str, str]
) -> None:
    got = client.get("/api/v1/reports/aging", params={"buckets": "60,30"}, headers=viewer)
    assert got.status_code == 422
    assert [(e["field"], e["value"]) for e in got.json()["errors"]] == [("buckets", "60,30")]


def test_cli_report_aging_json_and_files(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    b.invoice(db, actor, ref="I1", amount="1000.00", issued_on=date(2026, 9, 1))
    url = str(db.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    base = ["report", "aging", "--company", "ACME", "--database-url", url, "--as-of", "2026-11-20"]
    shown = runner.invoke(cli, [*base, "--format", "json", "--by", "group"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert (report["by"], report["rows"][0]["key"], report["rows"][0]["31-60"]) == (
        "group",
        "C1",
        "1000.00",
    )
    target = tmp_path / "aging.xlsx"
    written = runner.invoke(cli, [*base, "--format", "xlsx", "--out", str(target)])
    assert written.exit_code == 0, written.output
    assert load_workbook(target).active is not None
    alone = runner.invoke(cli, [*base, "--format", "json", "--customer", "C1"])
    assert json.loads(alone.stdout)["rows"] == json.loads(shown.stdout)["rows"]
    unknown = runner.invoke(cli, [*base, "--customer", "NOPE"])
    assert unknown.exit_code == 1
    assert "NOPE" in unknown.stderr
    refused = runner.invoke(cli, [*base, "--buckets", "30,x"])
    assert refused.exit_code == 1
    assert "buckets" in refused.stderr


def test_one_customers_aging_and_another_companys_id(
    db: Database, client: TestClient, viewer: dict[str, str]
) -> None:
    other = b.company(db, code="OTHER")
    stranger = b.customer(db, other, code="X1")
    whole = client.get("/api/v1/reports/aging", params={"as_of": "2026-11-20"}, headers=viewer)
    c1 = whole.json()["rows"][0]
    with db.read() as session:
        mine = session.scalar(select(Customer.id).where(Customer.code == "C1"))
    one = client.get(
        "/api/v1/reports/aging",
        params={"as_of": "2026-11-20", "customer_id": mine},
        headers=viewer,
    )
    assert one.json()["rows"] == [c1]
    for absent in (stranger, 10**9):
        refused = client.get(
            "/api/v1/reports/aging", params={"customer_id": absent}, headers=viewer
        )
        assert refused.status_code == 404
        assert [(e["field"], e["value"]) for e in refused.json()["errors"]] == [
            ("customer_id", absent)
        ]
