"""What the files promise an importer: references resolve, nothing is over-settled, dates hold."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from creditguard.core.money import Money
from creditguard.core.terms import due_date, parse_terms
from creditguard.synth import generate, write
from tests.synth.conftest import AS_OF, rows

START = AS_OF - timedelta(days=729)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def minor(row: dict[str, str], column: str = "amount") -> int:
    return Money.parse(row[column], row["currency"]).minor


def day(text: str) -> date:
    return date.fromisoformat(text)


def by(table: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {row[key]: row for row in table}


def test_codes_and_references_are_unique(written: Path) -> None:
    for name, key in (
        ("customers.csv", "code"),
        ("invoices.csv", "external_ref"),
        ("credit_notes.csv", "external_ref"),
        ("orders.csv", "order_ref"),
    ):
        table = rows(written / name)
        assert len({row[key] for row in table}) == len(table), name


def test_every_reference_names_an_existing_customer(written: Path) -> None:
    codes = {row["code"] for row in rows(written / "customers.csv")}
    for name in ("invoices.csv", "payments.csv", "credit_notes.csv", "orders.csv"):
        assert {row["customer_code"] for row in rows(written / name)} <= codes, name


def test_parents_are_earlier_customers_that_are_groups(written: Path) -> None:
    customers = rows(written / "customers.csv")
    truth = by(rows(written / "truth/customers.csv"), "code")
    position = {row["code"]: n for n, row in enumerate(customers)}
    children = [row for row in customers if row["parent_code"]]

    assert children, "some customers belong to a group"
    for row in children:
        assert position[row["parent_code"]] < position[row["code"]]
        assert truth[row["parent_code"]]["is_group"] == "true"
        assert row["name"].endswith("有限公司")


def test_customers_look_like_chinese_companies_and_export_buyers(written: Path) -> None:
    customers = rows(written / "customers.csv")
    domestic = [row for row in customers if row["country"] == "CN"]
    foreign = [row for row in customers if row["country"] != "CN"]

    assert domestic
    assert foreign
    assert all(row["name"].endswith("公司") and row["currency"] == "CNY" for row in domestic)
    assert all(row["name"].isascii() and row["currency"] in {"USD", "EUR"} for row in foreign)
    assert all(row["tax_id"] == "" for row in foreign)
    for row in domestic:
        code = row["tax_id"]
        total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code, USCC_WEIGHTS, strict=False))
        assert USCC_ALPHABET[(31 - total % 31) % 31] == code[17], code


def test_payments_and_credits_never_exceed_the_invoice(written: Path) -> None:
    invoices = by(rows(written / "invoices.csv"), "external_ref")
    truth = by(rows(written / "truth/invoices.csv"), "external_ref")
    settled: dict[str, int] = defaultdict(int)
    for name in ("payments.csv", "credit_notes.csv"):
        for row in rows(written / name):
            invoice = invoices[row["invoice_ref"]]
            assert minor(row) > 0
            assert row["customer_code"] == invoice["customer_code"]
            assert row["currency"] == invoice["currency"]
            settled[row["invoice_ref"]] += minor(row)
    for ref, invoice in invoices.items():
        amount = minor(invoice)
        assert settled[ref] <= amount, ref
        open_ = Money.parse(truth[ref]["open_amount"], invoice["currency"]).minor
        assert open_ == amount - settled[ref], ref
        assert (truth[ref]["settled_on"] != "") == (open_ == 0), ref


def test_receipts_fall_between_the_invoice_and_as_of(written: Path) -> None:
    invoices = by(rows(written / "invoices.csv"), "external_ref")
    for name, column in (("payments.csv", "received_on"), ("credit_notes.csv", "issued_on")):
        for row in rows(written / name):
            issued = day(invoices[row["invoice_ref"]]["issued_on"])
            assert issued <= day(row[column]) <= AS_OF, row


def test_a_split_payment_is_one_customer_on_one_day(written: Path) -> None:
    payments: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows(written / "payments.csv"):
        payments[row["payment_ref"]].append(row)
    split = [parts for parts in payments.values() if len(parts) > 1]

    assert split, "some payments settle several invoices"
    for parts in payments.values():
        assert len({(p["customer_code"], p["received_on"], p["method"]) for p in parts}) == 1
        assert len({p["invoice_ref"] for p in parts}) == len(parts)


def test_invoices_span_the_two_years_before_as_of(written: Path) -> None:
    issued = [day(row["issued_on"]) for row in rows(written / "invoices.csv")]

    assert min(issued) >= START
    assert max(issued) <= AS_OF
    assert issued == sorted(issued)


def test_terms_read_back_and_truth_due_dates_follow_them(written: Path) -> None:
    truth = by(rows(written / "truth/invoices.csv"), "external_ref")
    for row in rows(written / "invoices.csv"):
        expected = due_date(parse_terms(row["payment_terms"]), day(row["issued_on"]))
        assert truth[row["external_ref"]]["due_on"] == expected.isoformat()
    for row in rows(written / "customers.csv"):
        parse_terms(row["payment_terms"])


def test_orders_agree_with_the_invoices(written: Path) -> None:
    orders = by(rows(written / "orders.csv"), "order_ref")
    referenced = set()
    for invoice in rows(written / "invoices.csv"):
        if not invoice["order_ref"]:
            continue
        order = orders[invoice["order_ref"]]
        referenced.add(invoice["order_ref"])
        assert order["status"] == "invoiced"
        assert order["customer_code"] == invoice["customer_code"]
        assert order["amount"] == invoice["amount"] == order["shipped_amount"]
        assert day(order["ordered_on"]) <= day(invoice["issued_on"])
    statuses = {row["status"] for row in orders.values()}
    assert statuses == {"confirmed", "shipped", "invoiced", "cancelled"}
    for ref, order in orders.items():
        assert (order["status"] == "invoiced") == (ref in referenced), ref
        assert day(order["ordered_on"]) <= AS_OF
        if order["status"] in {"confirmed", "cancelled"}:
            assert order["shipped_amount"] == ""
        if order["status"] == "shipped":
            assert 0 < minor(order, "shipped_amount") <= minor(order)


def test_nothing_is_supplied_or_paid_after_a_default(written: Path) -> None:
    defaults = {
        row["code"]: day(row["default_on"])
        for row in rows(written / "truth/customers.csv")
        if row["default_on"]
    }
    assert defaults, "some customers default"
    for name, column in (
        ("invoices.csv", "issued_on"),
        ("payments.csv", "received_on"),
        ("credit_notes.csv", "issued_on"),
    ):
        for row in rows(written / name):
            if row["customer_code"] in defaults:
                assert day(row[column]) < defaults[row["customer_code"]], row
    for row in rows(written / "orders.csv"):
        if row["customer_code"] in defaults:
            assert row["status"] in {"invoiced", "cancelled"}


@pytest.mark.parametrize(
    ("currencies", "pattern"),
    [(["JPY"], r"[1-9]\d*"), (["KWD", "USD"], r"\d+\.\d{3}|\d+\.\d{2}")],
)
def test_amounts_have_the_currency_decimals(
    tmp_path: Path, currencies: list[str], pattern: str
) -> None:
    portfolio = generate(customers=50, invoices=400, seed=2, as_of=AS_OF, currencies=currencies)
    write(portfolio, tmp_path)
    for name in ("invoices.csv", "payments.csv", "credit_notes.csv", "orders.csv"):
        for row in rows(tmp_path / name):
            assert row["currency"] in currencies
            Money.parse(row["amount"], row["currency"])  # refuses extra decimals
            exponent = {"JPY": 0, "KWD": 3, "USD": 2}[row["currency"]]
            whole, _, fraction = row["amount"].partition(".")
            assert whole.isdigit(), row["amount"]
            assert len(fraction) == exponent, row["amount"]
    main = [row for row in rows(tmp_path / "customers.csv") if row["country"] == "CN"]
    assert {row["currency"] for row in main} == {currencies[0]}


def test_currencies_are_upper_cased_and_repeats_dropped() -> None:
    portfolio = generate(
        customers=30, invoices=300, seed=4, as_of=AS_OF, currencies=["usd", " EUR", "USD"]
    )

    assert portfolio.currencies == ("USD", "EUR")
    assert set(portfolio.invoices["currency"].cast(str).unique()) <= {"USD", "EUR"}
