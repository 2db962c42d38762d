"""The ground truth lines up with the files: defaults, signals, lateness, statements."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from statistics import mean

from tests.synth.conftest import AS_OF, rows

START = AS_OF - timedelta(days=729)
ALARM_WINDOW_DAYS = 365


def day(text: str) -> date:
    return date.fromisoformat(text)


def defaults(written: Path) -> dict[str, date]:
    return {
        row["code"]: day(row["default_on"])
        for row in rows(written / "truth/customers.csv")
        if row["default_on"]
    }


def test_truth_has_one_row_per_customer_and_invoice(written: Path) -> None:
    customers = [row["code"] for row in rows(written / "customers.csv")]
    invoices = [row["external_ref"] for row in rows(written / "invoices.csv")]

    assert [row["code"] for row in rows(written / "truth/customers.csv")] == customers
    assert [row["external_ref"] for row in rows(written / "truth/invoices.csv")] == invoices


def test_defaults_fall_inside_the_history_with_a_kind(written: Path) -> None:
    table = rows(written / "truth/customers.csv")
    defaulted = [row for row in table if row["default_on"]]

    assert defaulted, "some customers default"
    assert len(defaulted) < len(table) / 4
    for row in table:
        assert 0 < float(row["latent_pd"]) < 1
        assert (row["default_kind"] != "") == (row["default_on"] != "")
        if row["default_on"]:
            assert START < day(row["default_on"]) <= AS_OF
            assert row["default_kind"] in {"bankruptcy", "protracted_default"}
        assert day(row["founded_on"]) < AS_OF
        assert int(row["registered_capital"]) > 0


def test_segments_follow_the_latent_pd(written: Path) -> None:
    limits = {"A": (0, 0.01), "B": (0.01, 0.03), "C": (0.03, 0.08), "D": (0.08, 1)}
    for row in rows(written / "truth/customers.csv"):
        low, high = limits[row["risk_segment"]]
        assert low <= float(row["latent_pd"]) <= high, row


def test_true_alarms_precede_a_default_and_false_ones_do_not(written: Path) -> None:
    defaulted = defaults(written)
    signals = rows(written / "truth/signals.csv")
    kinds = {row["signal"] for row in signals}

    assert {row["true_alarm"] for row in signals} == {"true", "false"}
    assert kinds <= {
        "litigation",
        "enforcement",
        "equity_change",
        "legal_representative_change",
        "rating_downgrade",
        "tax_violation",
        "administrative_penalty",
        "bankruptcy_filing",
    }
    for row in signals:
        observed = day(row["observed_on"])
        assert observed <= AS_OF
        default_on = defaulted.get(row["customer_code"])
        if default_on is not None:
            assert observed < default_on  # nothing is reported after a default
        lead = (default_on - observed).days if default_on else None
        is_true = lead is not None and lead <= ALARM_WINDOW_DAYS
        assert row["true_alarm"] == ("true" if is_true else "false"), row
        assert row["lead_days"] == (str(lead) if is_true else "")


def test_most_defaults_are_signalled(written: Path) -> None:
    defaulted = defaults(written)
    signalled = {
        row["customer_code"] for row in rows(written / "truth/signals.csv") if row["true_alarm"]
    }

    assert len(signalled & defaulted.keys()) >= len(defaulted) / 2


def test_days_late_and_settlement_agree_with_due_dates(written: Path) -> None:
    defaulted = defaults(written)
    invoices = {row["external_ref"]: row for row in rows(written / "invoices.csv")}
    for row in rows(written / "truth/invoices.csv"):
        due = day(row["due_on"])
        until = day(row["settled_on"]) if row["settled_on"] else AS_OF
        assert int(row["days_late"]) == max((until - due).days, 0)
        assert (row["dispute_reason"] != "") == (row["disputed"] == "true")
        customer = invoices[row["external_ref"]]["customer_code"]
        if row["written_off"] == "true":
            assert customer in defaulted
            assert row["open_amount"] not in {"0.00", "0"}


def test_riskier_customers_pay_later(written: Path) -> None:
    pd = {row["code"]: float(row["latent_pd"]) for row in rows(written / "truth/customers.csv")}
    customer_of = {r["external_ref"]: r["customer_code"] for r in rows(written / "invoices.csv")}
    late: dict[str, list[int]] = defaultdict(list)
    for row in rows(written / "truth/invoices.csv"):
        if row["settled_on"]:
            late[customer_of[row["external_ref"]]].append(int(row["days_late"]))
    ranked = sorted(late, key=pd.__getitem__)
    quarter = len(ranked) // 4
    safest = mean(d for code in ranked[:quarter] for d in late[code])
    riskiest = mean(d for code in ranked[-quarter:] for d in late[code])

    assert riskiest > safest


def test_statements_stop_at_a_default(written: Path) -> None:
    defaulted = defaults(written)
    statements = rows(written / "truth/financials.csv")

    assert statements
    for row in statements:
        year = int(row["fiscal_year"])
        assert year < AS_OF.year
        if row["customer_code"] in defaulted:
            assert date(year, 12, 31) < defaulted[row["customer_code"]]
        assert int(row["total_assets"]) >= int(row["current_assets"]) >= 0
        assert int(row["total_liabilities"]) >= int(row["current_liabilities"]) >= 0


def test_macro_shocks_are_listed(written: Path) -> None:
    shocks = rows(written / "truth/shocks.csv")

    assert {row["scope"] for row in shocks} == {"industry", "region"}
    assert all(START <= day(row["starts_on"]) <= AS_OF for row in shocks)
