"""creditguard limit ... and audit verify|log against a temporary SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import UserIn
from tests import builders as b
from tests.audit.test_chain import _lift, _restore


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated SQLite file: company ACME, customer C1, a salesperson, a manager, the CFO."""
    address = f"sqlite:///{tmp_path / 'creditguard.db'}"
    database = Database(address)
    upgrade(database.engine)
    actor = b.company(database)
    b.customer(database, actor, code="C1")
    with database.write() as session:
        for name, role in (("sales", "sales"), ("manager", "credit_manager"), ("cfo", "approver")):
            data = UserIn(email=f"{name}@acme.cn", display_name=name, password="x" * 12, role=role)
            identity.add_user(session, actor.company_id, data, b.clock())
    database.dispose()
    return address


def _run(runner: CliRunner, url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--database-url", url])
    assert result.exit_code == code, result.output
    return result.output


def _limit(runner: CliRunner, url: str, *args: str, code: int = 0) -> str:
    return _run(runner, url, "limit", *args, "--company", "ACME", code=code)


def _ask(runner: CliRunner, url: str, amount: str) -> int:
    made = json.loads(
        _limit(
            runner,
            url,
            "request",
            "C1",
            "--amount",
            amount,
            "--currency",
            "CNY",
            "--reason",
            "旺季",
            "--user",
            "sales@acme.cn",
            "--json",
        )
    )
    assert (made["requested_by"], made["status"]) == ("user:1", "pending")
    return int(made["id"])


def test_request_and_decide_by_authority(runner: CliRunner, url: str) -> None:
    asked = _ask(runner, url, "1000000.01")
    shown = _limit(runner, url, "show", str(asked))
    assert "approver" in shown
    assert "1,000,000.01" in shown
    own = _limit(runner, url, "approve", str(asked), "--user", "sales@acme.cn", code=1)
    assert "role = 'sales': role 'sales' may not limits:approve" in own
    low = _limit(runner, url, "approve", str(asked), "--user", "manager@acme.cn", code=1)
    assert "role = 'credit_manager': above the authority of credit_manager" in low
    zh = _limit(runner, url, "approve", str(asked), "--user", "manager@acme.cn",
                "--lang", "zh-CN", code=1)  # fmt: skip
    assert "超出 credit_manager 的审批权限" in zh
    done = json.loads(
        _limit(
            runner, url, "approve", str(asked), "--user", "cfo@acme.cn", "--note", "ok", "--json"
        )
    )
    assert (done["status"], done["decided_by"], done["decision_note"]) == (
        "applied",
        "user:3",
        "ok",
    )
    again = _limit(runner, url, "reject", str(asked), "--user", "cfo@acme.cn", code=1)
    assert "already applied" in again
    listed = json.loads(_limit(runner, url, "list", "--status", "applied", "--json"))
    assert [r["id"] for r in listed] == [asked]


def test_self_approval_is_refused_in_the_cli_too(runner: CliRunner, url: str) -> None:
    made = json.loads(
        _limit(
            runner,
            url,
            "request",
            "C1",
            "--amount",
            "5000",
            "--currency",
            "CNY",
            "--reason",
            "r",
            "--json",
        )
    )
    assert made["requested_by"] == "cli"
    refused = _limit(runner, url, "approve", str(made["id"]), code=1)
    assert "approver = 'cli': the requester may not approve their own request" in refused
    withdrawn = json.loads(_limit(runner, url, "withdraw", str(made["id"]), "--json"))
    assert withdrawn["status"] == "withdrawn"


def test_bad_input_is_named(runner: CliRunner, url: str) -> None:
    bad = _limit(runner, url, "request", "C1", "--amount", "-1", "--currency", "USD",
                 "--reason", "r", code=1)  # fmt: skip
    assert "currency = 'USD': limits are set in the company's base currency CNY" in bad
    assert "amount = '-1': must not be negative" in bad
    unknown = _limit(runner, url, "approve", "1", "--user", "nobody@acme.cn", code=1)
    assert "user = 'nobody@acme.cn'" in unknown


def test_audit_verify_intact_then_tampered(runner: CliRunner, url: str) -> None:
    asked = _ask(runner, url, "500000")
    _limit(runner, url, "approve", str(asked), "--user", "manager@acme.cn")
    intact = _run(runner, url, "audit", "verify")
    database = Database(url)
    with database.read() as session:
        last = session.scalar(text("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1"))
    assert intact.strip() == f"ACME: 3 entries checked, intact; last hash {last}"
    entries = json.loads(
        _run(runner, url, "audit", "log", "--company", "ACME", "--subject", "customer:1", "--json")
    )
    assert [(e["seq"], e["action"], e["body"]["after"]) for e in entries] == [
        (3, "limit.set", "500000.00")
    ]
    anchor = ("--company", "ACME", "--expect-count", "3", "--expect-hash", str(last))
    assert "intact" in _run(runner, url, "audit", "verify", *anchor)
    with database.engine.begin() as connection:
        _lift(connection, "sqlite")
        connection.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    with database.engine.begin() as connection:
        _restore(connection, "sqlite")
    # the tail removed: the chain alone cannot tell, the anchor can
    assert "2 entries checked, intact" in _run(runner, url, "audit", "verify")
    cut = _run(runner, url, "audit", "verify", *anchor, code=1)
    assert "seq 3 [count] the log holds 2 entries, fewer than the 3 of the anchor" in cut
    with database.engine.begin() as connection:
        _lift(connection, "sqlite")
        connection.execute(text("UPDATE audit_log SET actor = 'user:9' WHERE seq = 1"))
    with database.engine.begin() as connection:
        _restore(connection, "sqlite")
    database.dispose()
    broken = _run(runner, url, "audit", "verify", "--lang", "zh-CN", code=1)
    assert "ACME：已校验 2 条，已损坏" in broken
    assert "seq 1 [hash] 第 1 条：内容与其哈希不符" in broken


def test_review_from_the_cli(runner: CliRunner, url: str) -> None:
    asked = _ask(runner, url, "500000")
    _limit(runner, url, "approve", str(asked), "--user", "manager@acme.cn")
    dry = _limit(runner, url, "review", "--as-of", "2026-11-22", "--dry-run")
    # approved today: a person's decision is left alone by the review for 30 days
    assert dry.strip() == (
        "2026-11-22 (dry run): 1 limits reviewed (1 customers), 0 increased, 0 cut, "
        "0 sent for approval, 0 skipped (request pending)"
    )
    day = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()  # the CLI's clock is real
    later = json.loads(_limit(runner, url, "review", "--as-of", day, "--json"))
    # unrated, so treated as grade D (cash only): cut to nothing, at once
    assert (later["cut"], later["increased"], later["sent_for_approval"]) == (1, 0, 0)
    held = json.loads(_run(runner, url, "audit", "log", "--company", "ACME", "--json"))[-1]
    assert (held["actor"], held["body"]["before"], held["body"]["after"]) == (
        "system:review",
        "500000.00",
        "0.00",
    )
