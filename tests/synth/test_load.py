"""`creditguard synth --database-url`: the generated files go in through the importer, once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.core.money import Money
from creditguard.db import Database
from creditguard.models import Invoice


def test_load_then_load_again_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'synth.db'}"
    args = [
        "synth",
        "--customers",
        "60",
        "--invoices",
        "600",
        "--seed",
        "11",
        "--as-of",
        "2026-11-22",
        "--currencies",
        "CNY",
        "--database-url",
        url,
        "--company",
        "DEMO",
        "--out",
        str(tmp_path / "files"),
    ]
    runner = CliRunner(env={"COLUMNS": "200"})
    first = runner.invoke(app, args)
    again = runner.invoke(app, args)
    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    assert "invoices: rows 600, inserted 600, unchanged 0, errors 0" in first.output
    assert "invoices: rows 600, inserted 0, unchanged 600, errors 0" in again.output
    manifest = json.loads((tmp_path / "files" / "manifest.json").read_text(encoding="utf-8"))
    db = Database(url)
    with db.read() as session:
        stored = session.scalar(select(func.sum(Invoice.amount_minor))) or 0
    db.dispose()
    assert (
        Money(int(stored), "CNY").decimal_string()
        == manifest["files"]["invoices.csv"]["totals"]["CNY"]
    )
