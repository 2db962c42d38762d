"""The column-wise invoice import: the same report and the same ledger as the row-by-row one.

The row-by-row importer is the reference. Each file goes through both, into two companies set
up identically; reports (both languages) and the resulting ledgers must be equal, for clean
files and for files with every kind of damage.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.imports import invoice_frame, reader
from creditguard.imports.service import run_import
from creditguard.models import Customer, CustomerBalance, Instalment, Invoice
from tests import builders as b

COLUMNS = (
    "external_ref",
    "customer_code",
    "issued_on",
    "currency",
    "amount",
    "payment_terms",
    "due_on",
    "order_ref",
    "salesperson",
    "description",
    "line_no",
    "line_description",
    "quantity",
    "unit_price",
    "line_amount",
)
CUSTOMERS = {"C1": "net 30", "C2": "eom 30", "C3": "30% 0, 70% 60", "C4": "2/10 net 30"}
Row = dict[str, str]


def setup(db: Database, code: str) -> Actor:
    actor = b.company(db, code=code)
    for customer, terms in CUSTOMERS.items():
        b.customer(db, actor, code=customer, terms=terms)
    return actor


def clean(rng: random.Random, n: int) -> Row:
    issued = date(2025, 12, 1) + timedelta(days=rng.randrange(120))  # across new year and 春节
    row = dict.fromkeys(COLUMNS, "")
    row |= {
        "external_ref": f"INV-{n:05d}",
        "customer_code": rng.choice(list(CUSTOMERS)),
        "issued_on": issued.isoformat(),
        "currency": rng.choice(["CNY", "CNY", "USD", "JPY"]),
    }
    cents = rng.randint(1, 5_000_000)
    row["amount"] = str(cents) if row["currency"] == "JPY" else f"{cents // 100}.{cents % 100:02d}"
    if rng.random() < 0.3:
        row["payment_terms"] = rng.choice(["net 45", "eom 60", "2/10 net 30", "50% 0, 50% 30"])
    if rng.random() < 0.2:
        row["due_on"] = (issued + timedelta(days=rng.randrange(90))).isoformat()
    if rng.random() < 0.3:
        row["order_ref"] = f"SO-{n}"
        row["salesperson"] = rng.choice(["王芳", "Li Lei"])
        row["description"] = "伺服电机一批"
    return row


def _lines(row: Row, rows: list[Row], rng: random.Random) -> None:
    rows.remove(row)
    parts = [row | {"line_no": "1", "line_amount": "1.00", "line_description": "a"}]
    parts.append(row | {"line_no": "2", "line_amount": row["amount"], "line_description": "b"})
    if rng.random() < 0.5:  # make them add up
        parts = parts[1:]
    rows.extend(parts)


Damage = Callable[[Row, list[Row], random.Random], None]
DAMAGE: list[Damage] = [
    lambda r, rows, g: r.update(issued_on="2026-02-30"),
    lambda r, rows, g: r.update(issued_on="2026/01/05"),
    lambda r, rows, g: r.update(issued_on="0000-01-01"),
    lambda r, rows, g: r.update(due_on="2020-01-01"),
    lambda r, rows, g: r.update(due_on="soon"),
    lambda r, rows, g: r.update(amount="-5"),
    lambda r, rows, g: r.update(amount="0"),
    lambda r, rows, g: r.update(amount="0.00"),
    lambda r, rows, g: r.update(amount="12.345"),
    lambda r, rows, g: r.update(amount="12.340"),
    lambda r, rows, g: r.update(amount="1,000.00"),
    lambda r, rows, g: r.update(amount="99999999999999999999"),
    lambda r, rows, g: r.update(amount=""),
    lambda r, rows, g: r.update(currency="XXX"),
    lambda r, rows, g: r.update(currency="cny"),
    lambda r, rows, g: r.update(currency=""),
    lambda r, rows, g: r.update(customer_code="NOPE"),
    lambda r, rows, g: r.update(customer_code=""),
    lambda r, rows, g: r.update(external_ref=""),
    lambda r, rows, g: r.update(external_ref="X" * 65),
    lambda r, rows, g: r.update(external_ref=g.choice(rows)["external_ref"]),
    lambda r, rows, g: r.update(payment_terms="net abc"),
    lambda r, rows, g: r.update(payment_terms="net 5000"),
    lambda r, rows, g: r.update(payment_terms="n" * 65),
    lambda r, rows, g: r.update(description="长" * 501),
    lambda r, rows, g: r.update(salesperson="s" * 101),
    lambda r, rows, g: r.update(order_ref="o" * 65),
    lambda r, rows, g: r.update(amount=f"  {r['amount']} ", customer_code=f" {r['customer_code']}"),
    lambda r, rows, g: r.update(quantity="2"),
    lambda r, rows, g: _lines(r, rows, g),
]


def csv_text(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([[row[c] for c in COLUMNS] for row in rows])
    return out.getvalue()


def both(
    db: Database, actors: tuple[Actor, Actor], path: Path, *, dry_run: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same file row by row into the first company, column-wise into the second."""
    table = reader.read_file("invoices", path)
    frame = reader.read_csv_frame("invoices", path)
    assert frame is not None
    rowwise = run_import(db, actors[0], "invoices", table, b.clock(), dry_run=dry_run)
    columnwise = run_import(db, actors[1], "invoices", frame, b.clock(), dry_run=dry_run)
    return (
        rowwise.as_json("en") | {"zh": rowwise.as_json("zh-CN")["errors"]},
        columnwise.as_json("en") | {"zh": columnwise.as_json("zh-CN")["errors"]},
    )


def ledger_of(db: Database, actor: Actor) -> dict[str, Any]:
    """Everything posted for the company, by business key (ids and company left out)."""
    with db.read() as session:
        invoices = session.execute(
            select(
                Invoice.external_ref,
                Customer.code,
                Invoice.issued_on,
                Invoice.due_on,
                Invoice.currency,
                Invoice.amount_minor,
                Invoice.payment_terms,
                Invoice.discount_rate,
                Invoice.discount_until,
                Invoice.order_ref,
                Invoice.salesperson,
                Invoice.description,
                Invoice.open_minor,
                Invoice.disputed_minor,
                Invoice.status,
                Invoice.created_at,
                Invoice.updated_at,
            )
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Invoice.company_id == actor.company_id)
            .order_by(Invoice.external_ref)
        ).all()
        parts = session.execute(
            select(
                Invoice.external_ref,
                Instalment.seq,
                Instalment.due_on,
                Instalment.currency,
                Instalment.amount_minor,
                Instalment.open_minor,
                Instalment.customer_id == Invoice.customer_id,
            )
            .join(Invoice, Invoice.id == Instalment.invoice_id)
            .where(Instalment.company_id == actor.company_id)
            .order_by(Invoice.external_ref, Instalment.seq)
        ).all()
        balances = session.execute(
            select(
                Customer.code,
                CustomerBalance.currency,
                CustomerBalance.invoiced_minor,
                CustomerBalance.open_minor,
            )
            .join(Customer, Customer.id == CustomerBalance.customer_id)
            .where(CustomerBalance.company_id == actor.company_id)
            .order_by(Customer.code, CustomerBalance.currency)
        ).all()
    return {
        "invoices": [tuple(r) for r in invoices],
        "instalments": [tuple(r) for r in parts],
        "balances": [tuple(r) for r in balances],
    }


def test_a_clean_file_goes_column_wise_and_posts_what_row_by_row_posts(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    actors = (setup(db, "ROWS"), setup(db, "COLS"))
    path = tmp_path / "clean.csv"
    path.write_text(csv_text([clean(rng, n) for n in range(400)]), encoding="utf-8")

    def refuse(*args: Any) -> None:
        raise AssertionError("a clean file went row by row")

    rowwise = run_import(db, actors[0], "invoices", reader.read_file("invoices", path), b.clock())
    monkeypatch.setattr(invoice_frame, "import_invoices", refuse)
    frame = reader.read_csv_frame("invoices", path)
    assert frame is not None
    columnwise = run_import(db, actors[1], "invoices", frame, b.clock())
    assert columnwise.as_json() == rowwise.as_json()
    assert (columnwise.inserted, columnwise.errors) == (400, [])
    posted = ledger_of(db, actors[1])
    assert posted == ledger_of(db, actors[0])
    assert len(posted["instalments"]) > len(posted["invoices"])  # split terms were among them
    # Again: everything unchanged, still without a row-by-row pass.
    again = run_import(db, actors[1], "invoices", reader.read("invoices", path), b.clock())
    assert (again.inserted, again.unchanged, again.errors) == (0, 400, [])
    assert again.totals == rowwise.totals


@pytest.mark.parametrize("seed", range(12))
def test_damaged_files_give_the_same_report_and_ledger_both_ways(
    db: Database, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    actors = (setup(db, "ROWS"), setup(db, "COLS"))
    base = [clean(rng, n) for n in range(30)]
    first = tmp_path / "base.csv"
    first.write_text(csv_text(base), encoding="utf-8")
    assert both(db, actors, first)[0]["errors"] == []
    # The next file repeats part of the first (some rows changed) and damages some new rows.
    rows = [dict(r) for r in rng.sample(base, 10)] + [clean(rng, n) for n in range(30, 70)]
    for row in rng.sample(rows[:10], 3):
        row["amount"] = "1.00"
    for row in rng.sample(rows[10:], 1 + seed % 6):
        rng.choice(DAMAGE)(row, rows, rng)
    path = tmp_path / "damaged.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    for dry_run in (True, False):
        rowwise, columnwise = both(db, actors, path, dry_run=dry_run)
        assert columnwise == rowwise
    assert ledger_of(db, actors[1]) == ledger_of(db, actors[0])


@pytest.mark.parametrize("index", range(len(DAMAGE)))
def test_each_kind_of_damage_is_reported_the_same_way(
    db: Database, tmp_path: Path, index: int
) -> None:
    rng = random.Random(index)
    actors = (setup(db, "ROWS"), setup(db, "COLS"))
    rows = [clean(rng, n) for n in range(6)]
    DAMAGE[index](rows[3], rows, rng)
    path = tmp_path / "one.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    rowwise, columnwise = both(db, actors, path)
    assert columnwise == rowwise
    assert ledger_of(db, actors[1]) == ledger_of(db, actors[0])


def test_a_gb18030_file_with_blank_lines_and_semicolons_reads_as_rows_do(tmp_path: Path) -> None:
    text = (
        "发票号;客户编码;开票日期;币种;金额\n"
        "INV-1;C1;2026-01-05;CNY;100.00\n\n"
        ";;;;\n"
        '"INV-2";" C2 ";2026-01-06;CNY;"1\n00"\n'
        "INV-3;C1;2026-01-07;CNY\n"
    )
    path = tmp_path / "zh.csv"
    path.write_bytes(text.encode("gb18030"))
    frame = reader.read_csv_frame("invoices", path)
    assert frame is not None
    table = frame.table()
    expected = reader.read_file("invoices", path)
    full = [dict.fromkeys(table.rows[0], "") | row for row in expected.rows]
    assert (table.rows, table.lines) == (full, expected.lines)
    assert table.lines == [2, 5, 6]  # records, as the row reader counts them
