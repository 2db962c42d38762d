"""The written files: exactly the import formats, reproducible byte for byte, with a manifest."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from creditguard.core.errors import InvalidInput
from creditguard.imports.formats import FORMATS
from creditguard.synth import IMPORT_FILES, MANIFEST, Portfolio, generate, write
from tests.synth.conftest import AS_OF, CUSTOMERS, INVOICES, SEED, header, rows

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TWO_DECIMALS = re.compile(r"\d+\.\d{2}")
AMOUNT_COLUMNS = {"amount", "shipped_amount"}
DATE_COLUMNS = {"issued_on", "received_on", "ordered_on", "expected_ship_on", "due_on"}


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_same_seed_and_date_give_byte_identical_files(tmp_path: Path, written: Path) -> None:
    again = generate(customers=CUSTOMERS, invoices=INVOICES, seed=SEED, as_of=AS_OF)
    write(again, tmp_path)

    assert files_of(tmp_path) == files_of(written)


def test_another_seed_or_date_gives_other_files(tmp_path: Path, written: Path) -> None:
    other_seed = generate(customers=CUSTOMERS, invoices=INVOICES, seed=SEED + 1, as_of=AS_OF)
    write(other_seed, tmp_path / "seed")
    other_day = generate(customers=CUSTOMERS, invoices=INVOICES, seed=SEED, as_of=date(2026, 1, 5))
    write(other_day, tmp_path / "day")

    original = files_of(written)
    assert files_of(tmp_path / "seed")["invoices.csv"] != original["invoices.csv"]
    assert files_of(tmp_path / "day")["invoices.csv"] != original["invoices.csv"]


def test_every_file_is_written(written: Path) -> None:
    assert sorted(files_of(written)) == [
        "credit_notes.csv",
        "customers.csv",
        "invoices.csv",
        MANIFEST,
        "orders.csv",
        "payments.csv",
        "truth/customers.csv",
        "truth/financials.csv",
        "truth/invoices.csv",
        "truth/shocks.csv",
        "truth/signals.csv",
    ]


@pytest.mark.parametrize("kind", sorted(IMPORT_FILES))
def test_headers_are_the_canonical_columns_in_order(written: Path, kind: str) -> None:
    assert header(written / IMPORT_FILES[kind]) == [column.name for column in FORMATS[kind]]


@pytest.mark.parametrize("kind", sorted(IMPORT_FILES))
def test_frames_have_the_format_columns(portfolio: Portfolio, kind: str) -> None:
    assert portfolio.imports()[kind].columns == [column.name for column in FORMATS[kind]]


@pytest.mark.parametrize("kind", sorted(IMPORT_FILES))
def test_cells_are_plain_dates_and_amounts_and_required_cells_are_filled(
    written: Path, kind: str
) -> None:
    required = [column.name for column in FORMATS[kind] if column.required]
    for row in rows(written / IMPORT_FILES[kind]):
        assert all(row[name] for name in required), row
        for name in DATE_COLUMNS & row.keys():
            assert row[name] == "" or DATE.fullmatch(row[name]), row
        for name in AMOUNT_COLUMNS & row.keys():
            assert row[name] == "" or TWO_DECIMALS.fullmatch(row[name]), row


def test_files_are_utf8_comma_separated_with_unix_lines(written: Path) -> None:
    raw = (written / "customers.csv").read_bytes()

    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in raw
    assert "有限公司" in raw.decode("utf-8")
    assert raw.split(b"\n", 1)[0].count(b",") == len(FORMATS["customers"]) - 1


def test_invoices_fill_no_line_columns_and_no_due_date(written: Path) -> None:
    empty = ("line_no", "line_description", "quantity", "unit_price", "line_amount", "due_on")
    for row in rows(written / "invoices.csv"):
        assert all(row[name] == "" for name in empty)


def test_the_manifest_counts_rows_and_adds_up_amounts(written: Path) -> None:
    manifest = json.loads((written / MANIFEST).read_text(encoding="utf-8"))

    assert manifest["seed"] == SEED
    assert manifest["as_of"] == AS_OF.isoformat()
    assert manifest["currencies"] == ["CNY", "USD", "EUR"]
    for name, summary in manifest["files"].items():
        table = rows(written / name)
        assert summary["rows"] == len(table), name
        column = summary["totals_of"]
        expected = "open_amount" if name == "truth/invoices.csv" else "amount"
        assert column == (expected if expected in table[0] else None), name
        if column is None:
            assert summary["totals"] == {}
            continue
        totals: dict[str, Decimal] = defaultdict(Decimal)
        currency_of = _currencies(written)
        for row in table:
            currency = row.get("currency") or currency_of[row["external_ref"]]
            totals[currency] += Decimal(row[column])
        assert summary["totals"] == {c: f"{v:.2f}" for c, v in totals.items() if v}, name


def _currencies(written: Path) -> dict[str, str]:
    return {row["external_ref"]: row["currency"] for row in rows(written / "invoices.csv")}


def test_the_returned_manifest_is_the_written_one(portfolio: Portfolio, tmp_path: Path) -> None:
    manifest = write(portfolio, tmp_path)

    assert json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8")) == manifest.as_json()
    assert manifest.files["invoices.csv"].rows == INVOICES
    assert manifest.files["customers.csv"].rows == CUSTOMERS


@pytest.mark.parametrize(
    ("customers", "invoices", "currencies", "fields"),
    [
        (0, 10, None, ["customers"]),
        (-3, 10, None, ["customers"]),
        (10, 9, None, ["invoices"]),
        (10, 100, ["CNY", "XYZ"], ["currencies"]),
        (10, 100, [], ["currencies"]),
        (0, 0, ["ABC"], ["customers", "invoices", "currencies"]),
    ],
)
def test_unusable_sizes_or_currencies_are_refused(
    customers: int, invoices: int, currencies: list[str] | None, fields: list[str]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        generate(customers=customers, invoices=invoices, seed=1, as_of=AS_OF, currencies=currencies)

    assert [problem.field for problem in raised.value.problems] == fields


def test_a_single_customer_with_as_many_invoices_works() -> None:
    portfolio = generate(customers=1, invoices=1, seed=5, as_of=AS_OF)

    assert portfolio.customers.height == 1
    assert portfolio.invoices.height == 1
