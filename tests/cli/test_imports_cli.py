"""`creditguard import` and `creditguard template`: the JSON contract and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from creditguard.cli.main import app


def _company(runner: CliRunner, url: str) -> None:
    result = runner.invoke(app, ["company", "add", "ACME", "Acme", "--database-url", url])
    assert result.exit_code == 0, result.output


def test_import_json_contract_and_exit_codes(runner: CliRunner, url: str, tmp_path: Path) -> None:
    _company(runner, url)
    good = tmp_path / "c.csv"
    good.write_text("code,name\nC1,甲有限公司\n", encoding="utf-8")
    args = ["--company", "ACME", "--database-url", url, "--json"]
    result = runner.invoke(app, ["import", "customers", str(good), *args])
    assert (result.exit_code, json.loads(result.stdout)) == (
        0,
        {
            "kind": "customers",
            "rows": 1,
            "inserted": 1,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
            "totals": {},
        },
    )
    bad = tmp_path / "i.csv"
    bad.write_text(
        "external_ref,customer_code,issued_on,currency,amount\nI1,C1,2026-09-01,CNY,0\n",
        encoding="utf-8",
    )
    report = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", "invoices", str(bad), *args, "--report", str(report)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == [
        {"row": 2, "column": "amount", "value": "0", "message": "must be greater than zero"}
    ]
    assert report.read_text(encoding="utf-8-sig").splitlines() == [
        "row,column,value,message,message_zh",
        "2,amount,0,must be greater than zero,必须大于零",
    ]


def test_dry_run_exits_0_and_writes_nothing(runner: CliRunner, url: str, tmp_path: Path) -> None:
    _company(runner, url)
    good = tmp_path / "c.csv"
    good.write_text("code,name\nC1,甲有限公司\n", encoding="utf-8")
    args = ["--company", "ACME", "--database-url", url, "--json"]
    dry = runner.invoke(app, ["import", "customers", str(good), *args, "--dry-run"])
    real = runner.invoke(app, ["import", "customers", str(good), *args])
    assert (dry.exit_code, json.loads(dry.stdout)["inserted"]) == (0, 1)
    assert json.loads(real.stdout)["inserted"] == 1  # the dry run had written nothing


def test_template_writes_the_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "invoices.xlsx"
    result = runner.invoke(app, ["template", "invoices", "--format", "xlsx", "--out", str(target)])
    assert (result.exit_code, target.read_bytes()[:2]) == (0, b"PK")
