"""creditguard credit check|exposure|policy|held|release|reject against a temporary SQLite file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.reference.service import seed_ecb_rates
from tests import builders as b
from tests.credit import helpers as h


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated SQLite file with company ACME and customer C1 (grade A, limit 1,000.00)."""
    address = f"sqlite:///{tmp_path / 'creditguard.db'}"
    database = Database(address)
    upgrade(database.engine)
    with database.write() as session:
        seed_ecb_rates(session, currencies=frozenset({"CNY", "USD"}))
    actor = b.company(database)
    b.customer(database, actor, code="C1")
    h.rate(database, actor, code="C1", grade="A", as_of=date(2026, 1, 1))
    h.set_limit(database, actor, code="C1", amount="1000.00")
    database.dispose()
    return address


def _run(runner: CliRunner, url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--company", "ACME", "--database-url", url])
    assert result.exit_code == code, result.output
    return result.output


def _check(runner: CliRunner, url: str, amount: str, order: str, *extra: str) -> str:
    return _run(
        runner,
        url,
        "credit",
        "check",
        "--customer",
        "C1",
        "--amount",
        amount,
        "--currency",
        "CNY",
        "--order",
        order,
        *extra,
    )


def test_check_reserve_exposure_and_held_release(runner: CliRunner, url: str) -> None:
    approved = json.loads(_check(runner, url, "600.00", "SO-1", "--reserve", "--json"))
    assert approved == {
        "decision": "approved",
        "reasons": [],
        "available": "1000.00",
        "currency": "CNY",
        "check_id": 1,
    }
    held = _check(runner, url, "400.01", "SO-2", "--reserve", "--lang", "zh-CN")
    assert held.splitlines() == [
        "暂停 — 可用额度 400.00 CNY (check 2)",
        "  [over_limit] 超出客户额度 1000.00 CNY，超出 0.01 CNY：敞口 600.00 CNY + 订单 400.01 CNY",
    ]
    view = json.loads(_run(runner, url, "credit", "exposure", "--customer", "C1", "--json"))
    assert (view["exposure"]["reserved"], view["available"]) == ("600.00", "400.00")
    listed = json.loads(_run(runner, url, "credit", "held", "--json"))
    assert [(r["id"], r["order_ref"], r["requested_by"]) for r in listed] == [(2, "SO-2", "cli")]
    own = _run(runner, url, "credit", "release", "2", "--note", "ok", code=1)
    assert "decided_by" in own
    released = json.loads(
        _run(runner, url, "credit", "release", "2", "--note", "ok", "--by", "user:9", "--json")
    )
    assert (released["status"], released["decided_by"]) == ("released", "user:9")
    view = json.loads(_run(runner, url, "credit", "exposure", "--customer", "C1", "--json"))
    assert view["exposure"]["reserved"] == "1000.01"
    assert _run(runner, url, "credit", "held", "--json").strip() == "[]"


def test_policy_show_and_set(runner: CliRunner, url: str, tmp_path: Path) -> None:
    shown = json.loads(_run(runner, url, "credit", "policy", "show", "--json"))
    assert shown["grades"]["C"]["prepayment_percent"] == "30"
    shown["grades"]["C"]["prepayment_percent"] = "40"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(shown), encoding="utf-8")
    saved = json.loads(_run(runner, url, "credit", "policy", "set", "--file", str(path), "--json"))
    assert (saved["version"], saved["grades"]["C"]["prepayment_percent"]) == (1, "40")
    shown["grades"]["D"]["limit"]["fixed_max"] = "-1.00"
    path.write_text(json.dumps(shown), encoding="utf-8")
    refused = _run(runner, url, "credit", "policy", "set", "--file", str(path), code=1)
    assert "grades.D.limit.fixed_max" in refused
    table = _run(runner, url, "credit", "policy", "show")
    assert "Limit policy version 1" in table


def test_notify_send_reports_what_it_delivered(runner: CliRunner, url: str) -> None:
    result = runner.invoke(app, ["notify", "send", "--database-url", url])
    assert (result.exit_code, result.output.strip()) == (0, "0 sent, 0 to retry, 0 failed")
    zh = runner.invoke(app, ["notify", "send", "--database-url", url, "--lang", "zh-CN"])
    assert zh.output.strip() == "已发送 0，待重试 0，失败 0"
