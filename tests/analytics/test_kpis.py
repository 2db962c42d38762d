"""KPIs and concentration of the literal ledger of test_aging, through the service, API and CLI."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from creditguard.analytics import kpis
from creditguard.analytics.service import dead_invoices, open_in
from creditguard.analytics.snapshot import View, snapshot_for
from creditguard.api.app import create_app
from creditguard.cli.main import app as cli
from creditguard.core import kpis as formula
from creditguard.db import Database
from tests import builders as b
from tests.analytics.test_aging import AS_OF, literal_ledger, random_ledger, usd
from tests.api.test_api import add_user, login


def test_the_figures_of_a_literal_ledger(db: Database) -> None:
    actor = literal_ledger(db)
    dollars = int(Decimal(usd(db, "100.00", AS_OF)) * 100)
    with db.read() as session:
        found = kpis.kpis(session, actor, AS_OF, days=90)
    # Closing: I1 800 + I2 500 + I4 300 + I3 (USD, not due). Opening (2026-08-22): I1 1000 + I4 300.
    # Sales after 2026-08-22: I2 500 + I3.
    assert (found.ar, found.current_ar, found.opening_ar, found.sales, found.written_off) == (
        160_000 + dollars,
        dollars,
        130_000,
        50_000 + dollars,
        0,
    )
    assert found.groups == tuple(sorted((130_000, 30_000 + dollars), reverse=True))
    figures = found.figures()
    assert figures["dso"] == formula.dso(160_000 + dollars, 50_000 + dollars, 90)
    assert figures["overdue_ratio"] == formula.share(160_000, 160_000 + dollars)
    assert figures["cei"] == formula.cei(130_000, 50_000 + dollars, 160_000 + dollars, dollars)
    dso = formula.dso(160_000 + dollars, 50_000 + dollars, 90)
    best = formula.dso(dollars, 50_000 + dollars, 90)
    assert dso is not None
    assert best is not None
    assert figures["add"] == dso - best
    assert figures["top10_share"] == Decimal("100.00")


def test_monthly_series_and_concentration(db: Database) -> None:
    actor = literal_ledger(db)
    with db.read() as session:
        series = kpis.kpi_series(session, actor, date(2026, 11, 20), 3)
        shares = kpis.concentration(session, actor, AS_OF, by="customer").as_json(top=1)
    assert [(k.as_of, k.days) for k in series] == [
        (date(2026, 9, 30), 30),
        (date(2026, 10, 31), 31),
        (date(2026, 11, 20), 20),
    ]
    assert [k.sales for k in series][:2] == [0, 50_000]  # I2 was issued on 2026-10-20
    assert (shares["top"], [r["key"] for r in shares["rows"]], shares["top_share"]) == (
        1,
        ["C1"],
        str(formula.share(130_000, series[-1].ar)),
    )


def test_kpis_and_concentration_through_the_api_and_the_cli(db: Database) -> None:
    actor = literal_ledger(db)
    add_user(db, actor.company_id, "view@acme.cn", "viewer")
    with TestClient(create_app(db, b.clock())) as client:
        viewer = login(client, "ACME", "view@acme.cn")
        one = client.get("/api/v1/reports/kpis", params={"as_of": "2026-11-20"}, headers=viewer)
        many = client.get(
            "/api/v1/reports/kpis", params={"as_of": "2026-11-20", "months": 2}, headers=viewer
        )
        top = client.get(
            "/api/v1/reports/concentration", params={"as_of": "2026-11-20"}, headers=viewer
        )
        bad = client.get("/api/v1/reports/kpis", params={"days": 0}, headers=viewer)
    assert (one.status_code, one.json()["opening_ar"], one.json()["period_days"]) == (
        200,
        "1300.00",
        90,
    )
    assert [k["as_of"] for k in many.json()] == ["2026-10-31", "2026-11-20"]
    assert [r["key"] for r in top.json()["rows"]] == ["G1", "C2"]
    assert bad.status_code == 422
    url = db.engine.url.render_as_string(hide_password=False)
    base = ["--company", "ACME", "--database-url", url, "--as-of", "2026-11-20", "--format", "json"]
    shown = CliRunner().invoke(cli, ["report", "kpis", *base])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == one.json()
    listed = CliRunner().invoke(cli, ["report", "concentration", *base])
    assert json.loads(listed.stdout) == top.json()


def test_count_back_dso_puts_each_invoice_in_its_calendar_month(db: Database) -> None:
    actor = literal_ledger(db)
    with db.read() as session:
        found = kpis.kpis(session, actor, AS_OF, days=90)
        sums = kpis.kpi_sums(snapshot_for(session, actor.company_id), AS_OF, 90)
    windows = kpis.months_back(AS_OF, 12)
    assert windows[:2] == [
        (date(2026, 10, 20), date(2026, 11, 20)),
        (date(2026, 9, 20), date(2026, 10, 20)),
    ]
    # Months newest first, each (after, until]: I3 (USD) on 11-10 in the first; I2 on 10-20,
    # the boundary, in the second; I1 on 08-01 in the fourth; I4 on 03-01 in the ninth.
    assert [sales for sales, _ in sums.monthly] == [
        {"USD": 100_00}, {"CNY": 500_00}, {}, {"CNY": 1000_00}, {}, {}, {}, {}, {"CNY": 300_00},
        {}, {}, {},
    ]  # fmt: skip
    assert [length for _, length in sums.monthly] == [(high - low).days for low, high in windows]
    dollars = int(Decimal(usd(db, "100.00", AS_OF)) * 100)
    sales = [dollars, 50_000, 0, 100_000, 0, 0, 0, 0, 30_000, 0, 0, 0]
    months = [(amount, length) for amount, (_, length) in zip(sales, sums.monthly, strict=True)]
    assert found.dso_count_back == formula.count_back_dso(found.ar, months)
    assert found.dso_count_back is not None


def test_a_monthly_series_is_each_month_computed_alone(db: Database) -> None:
    """The series reads each month end once (a month's close is the next one's opening): the
    figures are those of each month's KPIs computed on their own, on a ledger with payments,
    write-offs, disputes and reversals."""
    actor = random_ledger(db, 4)
    with db.read() as session:
        series = kpis.kpi_series(session, actor, date(2026, 12, 15), 12)
        alone = [
            kpis.kpis(session, actor, end, days=days)
            for end, days in kpis.month_ends(date(2026, 12, 15), 12)
        ]
    assert [k.as_json() for k in series] == [k.as_json() for k in alone]
    assert all(later.opening_ar == earlier.ar for earlier, later in pairwise(series))
    assert len({k.ar for k in series}) > 6  # the ledger moves month by month


def sums_by_open_items(snap: View, as_of: date, days: int) -> kpis.KpiSums:
    """The KPI sums the slow way, as they were first computed: what was open on each of the
    two dates read on its own (``open_in``), the sales picked out of the instalments apart."""
    start = as_of - timedelta(days=days)
    year = kpis.months_back(as_of, 12)
    closing, opening = open_in(snap, as_of), open_in(snap, start)
    dead = dead_invoices(snap.reversals, as_of)
    sales = snap.items.filter(
        pl.col("issued_on") > min(start, year[-1][0]),
        pl.col("issued_on") <= as_of,
        ~pl.col("invoice_id").is_in(sorted(dead)),
    )
    monthly: list[tuple[dict[str, int], int]] = []
    for low, high in year:
        inside = sales.filter(pl.col("issued_on") > low, pl.col("issued_on") <= high)
        monthly.append((per_currency(inside, "amount_minor"), (high - low).days))
    people = snap.customers().select("customer_id", "group")
    groups = (
        closing.join(people, on="customer_id", how="left")
        .group_by(pl.col("group").alias("key"), "currency")
        .agg(pl.col("open_minor").sum())
    )
    return kpis.KpiSums(
        closing=per_currency(closing, "open_minor"),
        current=per_currency(closing.filter(pl.col("due_on") >= as_of), "open_minor"),
        opening=per_currency(opening, "open_minor"),
        sales=per_currency(sales.filter(pl.col("issued_on") > start), "amount_minor"),
        written_off=snap.written_off(start, as_of),
        monthly=monthly,
        groups=groups,
    )


def per_currency(frame: pl.DataFrame, column: str) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for currency, minor in frame.select("currency", column).iter_rows():
        sums[currency] += minor
    return {c: v for c, v in sums.items() if v}


def comparable(sums: kpis.KpiSums) -> tuple[Any, ...]:
    groups = sums.groups.sort("key", "currency", nulls_last=True).rows()
    return (
        sums.closing,
        sums.current,
        sums.opening,
        sums.sales,
        sums.written_off,
        sums.monthly,
        groups,
    )


DATES = [(date(2026, 3, 31), 90), (date(2026, 8, 20), 30), (date(2026, 10, 2), 60)]
DATES += [(date(2026, 12, 15), 90), (date(2027, 2, 1), 400)]  # 400: sales before the 12 months


@pytest.mark.parametrize("seed", [1, 4])
def test_the_narrow_sums_are_those_of_each_dates_open_items(db: Database, seed: int) -> None:
    """``kpi_sums`` reads what was open on the date and on the period's eve narrow, sums the
    sales per day before it sums them per month, and what was open per customer before it
    sums it per group: the same sums as each date's open items read whole and summed once, on
    a ledger with payments, write-offs, disputes and reversal chains (invoices reversed, and
    put back, between the two dates). Broken variants (reversals ignored; money applied after
    the eve taken as applied on it) disagree."""
    actor = random_ledger(db, seed)
    with db.read() as session:
        snap = snapshot_for(session, actor.company_id)
    for as_of, days in DATES:
        expected = comparable(sums_by_open_items(snap, as_of, days))
        assert expected[0], (as_of, days)  # something is open
        assert comparable(kpis.kpi_sums(snap, as_of, days)) == expected, (as_of, days)
    blind = replace(snap, reversals=[])
    early = replace(snap, entries=snap.entries.filter(pl.col("applied_on") <= date(2026, 7, 1)))
    for broken in (blind, early):
        assert any(
            comparable(kpis.kpi_sums(broken, as_of, days))
            != comparable(sums_by_open_items(snap, as_of, days))
            for as_of, days in DATES
        )
