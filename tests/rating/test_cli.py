"""creditguard rating run|show|policy|import-statements against a temporary SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.rating import service
from tests import builders as b


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated SQLite file with company ACME and customers C1 and C2."""
    address = f"sqlite:///{tmp_path / 'creditguard.db'}"
    database = Database(address)
    upgrade(database.engine)
    actor = b.company(database)
    b.customer(database, actor, code="C1")
    b.customer(database, actor, code="C2")
    database.dispose()
    return address


def _run(runner: CliRunner, url: str, *args: str) -> str:
    result = runner.invoke(app, [*args, "--company", "ACME", "--database-url", url])
    assert result.exit_code == 0, result.output
    return result.output


def test_run_rates_those_due_and_show_explains(runner: CliRunner, url: str) -> None:
    first = json.loads(_run(runner, url, "rating", "run", "--as-of", "2026-11-22", "--json"))
    assert first == {"as_of": "2026-11-22", "rated": 2, "grades": {"A": 0, "B": 0, "C": 2, "D": 0}}
    again = _run(runner, url, "rating", "run", "--as-of", "2026-11-23")
    assert again.strip() == "2026-11-23: 0 rated (A: 0  B: 0  C: 0  D: 0)"
    every = _run(runner, url, "rating", "run", "--as-of", "2026-11-23", "--all", "--lang", "zh-CN")
    assert every.strip() == "2026-11-23 已评级 2 个客户（A: 0  B: 0  C: 2  D: 0）"
    shown = json.loads(_run(runner, url, "rating", "show", "C1", "--json"))
    assert [(r["as_of"], r["score"], r["trigger"]) for r in shown["history"]] == [
        ("2026-11-23", "50.00", "schedule"),
        ("2026-11-22", "50.00", "schedule"),
    ]
    table = _run(runner, url, "rating", "show", "C1", "--lang", "zh-CN")
    assert "下次复评" in table
    assert "2027-02-23" in table


def test_policy_round_trip_through_a_file(runner: CliRunner, url: str, tmp_path: Path) -> None:
    policy = json.loads(_run(runner, url, "rating", "policy", "--json"))
    assert policy["version"] == 1
    policy["cutoffs"]["A"] = "85"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy), encoding="utf-8")
    bad = runner.invoke(
        app, ["rating", "policy", "--set", str(path), "--company", "ACME", "--database-url", url]
    )
    assert bad.exit_code == 1  # version and created_* are not fields of a policy to save
    assert "version" in bad.output
    for key in ("version", "created_at", "created_by"):
        del policy[key]
    path.write_text(json.dumps(policy), encoding="utf-8")
    saved = json.loads(_run(runner, url, "rating", "policy", "--set", str(path), "--json"))
    assert (saved["version"], saved["cutoffs"]["A"]) == (2, "85")
    old = json.loads(_run(runner, url, "rating", "policy", "--version", "1", "--json"))
    assert old["cutoffs"]["A"] == "80"


def test_import_statements_all_or_nothing(runner: CliRunner, url: str, tmp_path: Path) -> None:
    path = tmp_path / "statements.csv"
    header = "customer,period_end,currency,revenue,total_assets,total_liabilities\n"
    path.write_text(
        header + "C1,2025-12-31,CNY,1000.00,800.00,440.00\nC9,2025-12-31,CNY,1,1,1\n"
        "C2,2025-12-31,CNY,1.001,,\n",
        encoding="utf-8",
    )
    bad = runner.invoke(
        app, ["rating", "import-statements", str(path), "--company", "ACME", "--database-url", url]
    )
    assert bad.exit_code == 1
    assert "rows[1].customer" in bad.output
    assert "rows[2].revenue" in bad.output
    path.write_text(header + "C1,2025-12-31,CNY,1000.00,800.00,440.00\n", encoding="utf-8")
    assert _run(runner, url, "rating", "import-statements", str(path)).strip() == (
        "1 statements imported"
    )
    database = Database(url)
    try:
        with database.read() as session:
            company = identity.company_by_code(session, "ACME")
            actor = Actor(company.id, "cli", "admin")
            listed = service.list_statements(session, actor, 1)
    finally:
        database.dispose()
    assert [(s.amounts["revenue"], s.ratios["debt_ratio"].value) for s in listed] == [
        ("1000.00", "55.00")
    ]
