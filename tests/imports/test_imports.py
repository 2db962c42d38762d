"""Imports: whole batches or nothing, every problem named by row and column, re-imports idempotent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.db import Database
from creditguard.imports import reader, templates
from creditguard.imports.formats import FORMATS
from creditguard.imports.service import run_import
from creditguard.models import Invoice, Payment
from tests import builders as b

CUSTOMERS = "code,name,parent_code,industry,payment_terms\nC1,甲有限公司,G1,machinery,2/10 net 30\nG1,甲集团,,holding,net 60\n"
INVOICES = (
    "external_ref,customer_code,issued_on,currency,amount,line_no,line_description,quantity,unit_price,line_amount\n"
    "INV-1,C1,2026-09-01,CNY,1000.00,1,a,2,300,600.00\n"
    "INV-1,C1,2026-09-01,CNY,1000.00,2,b,1,400,400.00\n"
    "INV-2,C1,2026-10-01,CNY,500,,,,,\n"
)
PAYMENTS = (
    "payment_ref,customer_code,received_on,currency,amount,invoice_ref\n"
    "P-1,C1,2026-11-01,CNY,800.00,INV-1\nP-1,C1,2026-11-01,CNY,100.00,INV-2\nP-2,C1,2026-11-02,CNY,50.00,\n"
)


def load(
    db: Database, actor: Actor, kind: str, path: Path, *, dry_run: bool = False
) -> dict[str, Any]:
    report = run_import(db, actor, kind, reader.read(kind, path), b.clock(), dry_run=dry_run)
    return report.as_json("en")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def counts(db: Database) -> tuple[int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Invoice)) or 0,
            session.scalar(select(func.count()).select_from(Payment)) or 0,
        )


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_template_reads_back(tmp_path: Path, kind: str, fmt: templates.Format) -> None:
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(templates.template(kind, fmt))
    table = reader.read_file(kind, path)
    assert (len(table.rows), table.errors) == (1, [])
    assert table.rows[0] == {c.name: c.example for c in FORMATS[kind]}


def test_a_story_and_its_reimport(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    files = {"customers": CUSTOMERS, "invoices": INVOICES, "payments": PAYMENTS}
    first = [load(db, actor, k, write(tmp_path, f"{k}.csv", t)) for k, t in files.items()]
    again = [load(db, actor, k, write(tmp_path, f"{k}.csv", t)) for k, t in files.items()]
    assert [
        (r["inserted"], r["updated"], r["unchanged"], r["errors"], r["totals"]) for r in first
    ] == [
        (2, 0, 0, [], {}),
        (2, 0, 0, [], {"CNY": "1500.00"}),
        (2, 0, 0, [], {"CNY": "950.00"}),
    ]
    assert [(r["inserted"], r["updated"], r["unchanged"]) for r in again] == [
        (0, 0, 2),
        (0, 0, 2),
        (0, 0, 2),
    ]
    assert counts(db) == (2, 2)


def test_a_bad_batch_names_every_problem_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    load(db, actor, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    load(db, actor, "invoices", write(tmp_path, "i.csv", INVOICES))
    bad = (
        "external_ref,customer_code,issued_on,currency,amount,line_no,line_description,quantity,unit_price,line_amount\n"
        "INV-3,C1,2026-13-01,CNY,1000.00,,,,,\nINV-4,NOPE,2026-09-01,CNY,10,,,,,\n"
        "INV-5,C1,2026-09-01,XXX,10,,,,,\nINV-6,C1,2026-09-01,CNY,-5,,,,,\n"
        "INV-7,C1,2026-09-01,CNY,100.00,1,a,1,60,60.00\nINV-7,C1,2026-09-01,CNY,100.00,2,b,1,30,30.00\n"
        "INV-1,C1,2026-09-01,CNY,1200.00,,,,,\nINV-8,C1,2026-09-01,CNY,1.001,,,,,\nINV-9,C1,2026-09-01,CNY,5.00,,,,,\n"
    )
    report = load(db, actor, "invoices", write(tmp_path, "bad.csv", bad))
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (2, "issued_on", "2026-13-01"),
        (3, "customer_code", "NOPE"),
        (4, "currency", "XXX"),
        (5, "amount", "-5"),
        (6, "line_amount", "90.00"),
        (8, "amount", "1200.00"),
        (9, "amount", "1.001"),
    ]
    assert report["errors"][5]["message"] == (
        "invoice 'INV-1' is already posted with amount = '1000.00'; posted entries are never edited: "
        "reverse it and post a new one"
    )
    assert (report["inserted"], counts(db)) == (
        0,
        (2, 0),
    )  # INV-9 was fine, and was not written either


def test_payment_beyond_the_open_amount_is_refused(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    load(db, actor, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    load(db, actor, "invoices", write(tmp_path, "i.csv", INVOICES))
    text = "payment_ref,customer_code,received_on,currency,amount,invoice_ref\nP-9,C1,2026-11-01,CNY,1000.01,INV-1\n"
    report = load(db, actor, "payments", write(tmp_path, "p.csv", text))
    assert report["errors"] == [
        {
            "row": 2,
            "column": "amount",
            "value": "1000.01",
            "message": "allocating 1000.01 exceeds the open amount 1000.00",
        }
    ]
    assert counts(db) == (2, 0)


def test_chinese_headers_in_gb18030_and_xlsx(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    text = "客户编码,客户名称,付款条件\nC1,上海甲有限公司,月结30天\n"
    assert load(db, actor, "customers", write(tmp_path, "c.csv", text, "gb18030"))["inserted"] == 1
    xlsx = tmp_path / "i.xlsx"
    xlsx.write_bytes(
        templates._xlsx(
            {
                "s": [
                    ["发票号", "客户编码", "开票日期", "币种", "金额"],
                    ["INV-1", "C1", "2026-09-01", "CNY", "88.80"],
                ]
            }
        )
    )
    report = load(db, actor, "invoices", xlsx)
    assert (report["inserted"], report["totals"]) == (1, {"CNY": "88.80"})


def test_header_problems_come_first_and_stop_the_batch(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    report = load(
        db,
        actor,
        "invoices",
        write(tmp_path, "i.csv", "external_ref,customer_code,amout\nX,C1,1\n"),
    )
    assert [(e["row"], e["column"], e["message"][:30]) for e in report["errors"]] == [
        (1, "amout", "unknown column; the columns ar"),
        (1, "issued_on", "this required column is missin"),
        (1, "currency", "this required column is missin"),
        (1, "amount", "this required column is missin"),
    ]


def test_dry_run_checks_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    load(db, actor, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    report = load(db, actor, "invoices", write(tmp_path, "i.csv", INVOICES), dry_run=True)
    assert (report["inserted"], report["errors"], counts(db)) == (2, [], (0, 0))


def test_changed_customer_updates_and_orders_upsert(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    load(db, actor, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    changed = CUSTOMERS.replace("machinery", "robotics")
    assert load(db, actor, "customers", write(tmp_path, "c.csv", changed))["updated"] == 1
    orders = "order_ref,customer_code,ordered_on,currency,amount,status,shipped_amount\nSO-1,C1,2026-11-01,CNY,500.00,confirmed,0\n"
    assert load(db, actor, "orders", write(tmp_path, "o.csv", orders))["inserted"] == 1
    shipped = orders.replace("confirmed,0", "shipped,500.00")
    assert load(db, actor, "orders", write(tmp_path, "o.csv", shipped))["updated"] == 1
    over = orders.replace("confirmed,0", "shipped,600.00")
    assert load(db, actor, "orders", write(tmp_path, "o.csv", over))["errors"] == [
        {
            "row": 2,
            "column": "shipped_amount",
            "value": "600.00",
            "message": "must be between 0 and 500.00",
        }
    ]


def test_json_numbers_are_read_exactly(db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    load(db, actor, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    rows = [
        {
            "external_ref": "J1",
            "customer_code": "C1",
            "issued_on": "2026-09-01",
            "currency": "CNY",
            "amount": 0.1,
        }
    ]
    path = write(tmp_path, "i.json", json.dumps({"rows": rows}))
    assert load(db, actor, "invoices", path)["totals"] == {"CNY": "0.10"}


def test_a_customer_master_goes_in_as_one_batch_with_parents_in_any_order(
    db: Database, tmp_path: Path
) -> None:
    actor = b.company(db)
    master = (
        "code,name,parent_code,payment_terms,contact_name,contact_email\n"
        "C1,甲,G1,月结30天,王芳,wf@example.cn\n"
        "G1,甲集团,,net 60,,\n"
        "C2,乙,C1,,,\n"
        "C2,乙（更名）,C1,,,\n"
    )
    report = load(db, actor, "customers", write(tmp_path, "m.csv", master))
    assert (report["inserted"], report["updated"], report["errors"]) == (3, 1, [])
    with db.read() as session:
        found = customers.by_codes(session, actor, ["C1", "C2", "G1"])
        assert {c: (x.name, x.payment_terms) for c, x in found.items()} == {
            "C1": ("甲", "eom 30"),
            "C2": ("乙（更名）", "net 30"),
            "G1": ("甲集团", "net 60"),
        }
        assert found["C1"].parent_id == found["G1"].id
        assert found["C2"].parent_id == found["C1"].id
        assert [c.email for c in customers.contacts(session, actor, found["C1"].id)] == [
            "wf@example.cn"
        ]


def test_parent_loops_and_unknown_parents_in_a_new_master_are_refused(
    db: Database, tmp_path: Path
) -> None:
    actor = b.company(db)
    master = (
        "code,name,parent_code,payment_terms\n"
        "A,甲,B,net 30\nB,乙,A,net 30\nC,丙,NOPE,net 30\nD,丁,,net abc\n"
    )
    report = load(db, actor, "customers", write(tmp_path, "m.csv", master))
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (2, "parent_code", "B"),
        (3, "parent_code", "A"),
        (4, "parent_code", "NOPE"),
        (5, "payment_terms", "net abc"),
    ]
    assert report["inserted"] == 0
    with db.read() as session:
        assert customers.by_codes(session, actor, ["A", "B", "C", "D"]) == {}
