"""The aging report's JSON body: the very bytes ``JSONResponse(report.as_json())`` would send,
with the rows of a large report written by Polars (``AgingReport.json_body``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest
from fastapi.testclient import TestClient
from starlette.responses import JSONResponse

from creditguard.analytics import service as analytics
from creditguard.api.app import create_app
from creditguard.core.aging import Buckets
from creditguard.db import Database
from tests import builders as b
from tests.api.test_api import add_user, login

AWKWARD = ['引号 "quoted"', "back\\slash", "line\nbreak", "tab\there", "\u2028sep", "—", "中文客户"]


def _report(
    keys: list[str], currency: str = "CNY", buckets: Buckets | None = None
) -> analytics.AgingReport:
    buckets = buckets or Buckets()
    width = len(buckets.bounds())
    table = pl.DataFrame(
        {
            "key": keys,
            **{f"b{i}": [(n * 7919 + i * 104_729) % 9_000_001 - 5 * i for n in range(len(keys))]
               for i in range(width)},
            "disputed": [n % 3 * 101 for n in range(len(keys))],
        },
        schema_overrides={f"b{i}": pl.Int64 for i in range(width)} | {"disputed": pl.Int64},
    )  # fmt: skip
    original = {"CNY": tuple(range(width)), "USD": tuple(-n for n in range(width))}
    return analytics.AgingReport(date(2026, 10, 31), currency, "customer", buckets, table, original)


def _route_bytes(report: analytics.AgingReport) -> bytes:
    return bytes(JSONResponse(report.as_json()).body)


@pytest.mark.parametrize("size", [1, analytics.FEW_ROWS - 1, analytics.FEW_ROWS, 3_000])
def test_the_body_is_the_json_response_of_as_json_byte_for_byte(size: int) -> None:
    keys = sorted({f"{AWKWARD[n % len(AWKWARD)]}-{n:05d}" for n in range(size)})
    report = _report(keys)
    assert report.json_body() == _route_bytes(report)
    assert json.loads(report.json_body()) == report.as_json()


@pytest.mark.parametrize("currency", ["JPY", "KWD"])  # no decimals; three decimals
def test_other_exponents_and_bucket_sets(currency: str) -> None:
    report = _report([f"K{n:04d}" for n in range(200)], currency, Buckets((15, 45), "invoice"))
    assert report.json_body() == _route_bytes(report)


def test_a_broken_writer_is_caught() -> None:
    """The comparison above tells a writer that escapes non-ASCII text (``json.dumps``'s
    default) from the route's: it is not blind to how the rows are written."""
    report = _report([f"{AWKWARD[n % len(AWKWARD)]}{n}" for n in range(100)])
    broken = json.dumps(report.as_json(), separators=(",", ":")).encode()
    assert broken != _route_bytes(report)
    assert json.loads(broken) == json.loads(report.json_body())


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock())) as test_client:
        yield test_client


def test_a_large_report_through_the_api(db: Database, client: TestClient) -> None:
    """More customers than ``FEW_ROWS``: the API's answer is the report's JSON exactly."""
    actor = b.company(db)
    for n in range(analytics.FEW_ROWS + 6):
        code = f"C{n:03d}" if n % 5 else f"客户 “{n}”"
        b.customer(db, actor, code=code)
        b.invoice(db, actor, ref=f"I{n}", customer=code, amount=f"{n * 37 + 1}.25",
                  issued_on=date(2026, 9, 1 + n % 28))  # fmt: skip
    add_user(db, actor.company_id, "view@acme.cn", "viewer")
    viewer = login(client, "ACME", "view@acme.cn")
    got = client.get("/api/v1/reports/aging", params={"as_of": "2026-11-20"}, headers=viewer)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    with db.read() as session:
        report = analytics.aging(session, actor, date(2026, 11, 20), buckets=Buckets())
    assert report.table.height == analytics.FEW_ROWS + 6
    assert got.content == _route_bytes(report)
