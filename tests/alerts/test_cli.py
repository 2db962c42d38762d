"""creditguard alert add|list|close against a temporary SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import UserIn
from tests import builders as b


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated SQLite file: company ACME, customer C1, a collector."""
    address = f"sqlite:///{tmp_path / 'creditguard.db'}"
    database = Database(address)
    upgrade(database.engine)
    actor = b.company(database)
    b.customer(database, actor, code="C1")
    with database.write() as session:
        data = UserIn(email="li@acme.cn", display_name="li", password="x" * 12, role="collector")
        identity.add_user(session, actor.company_id, data, b.clock())
    database.dispose()
    return address


def _alert(runner: CliRunner, url: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["alert", *args, "--company", "ACME", "--database-url", url])
    assert result.exit_code == code, result.output
    return result.output


def _json(runner: CliRunner, url: str, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(_alert(runner, url, *args, "--json"))
    return found


def test_add_list_and_close(runner: CliRunner, url: str) -> None:
    feed = ("add", "C1", "--kind", "bankruptcy_filing", "--observed-on", "2026-11-02",
            "--source", "qichacha", "--ref", "QCC-9", "--note", "破产重整申请")  # fmt: skip
    [made] = _json(runner, url, *feed)
    assert {k: made[k] for k in ("customer_ref", "kind", "severity", "status", "created_by")} == {
        "customer_ref": "C1",
        "kind": "bankruptcy_filing",
        "severity": "critical",
        "status": "open",
        "created_by": "cli",
    }
    assert _json(runner, url, *feed) == [made]  # sent again: the same alert
    shown = _alert(runner, url, "list", "--lang", "zh-CN")
    assert "破产申请" in shown
    assert "严重" in shown
    assert [a["id"] for a in _json(runner, url, "list", "--customer", "C1")] == [made["id"]]
    [closed] = _json(runner, url, "close", str(made["id"]), "--note", "撤回 withdrawn")
    assert (closed["status"], closed["close_note"]) == ("closed", "撤回 withdrawn")
    assert _json(runner, url, "list", "--status", "open") == []
    again = _alert(runner, url, "close", str(made["id"]), "--note", "x", code=1)
    assert f"status = 'closed': alert {made['id']} is already closed" in again


def test_bad_input_and_roles(runner: CliRunner, url: str) -> None:
    bad = _alert(runner, url, "add", "C1", "--kind", "fire", "--observed-on", "2026-11-02", code=1)
    assert "kind = 'fire'" in bad
    day = _alert(runner, url, "add", "C1", "--kind", "other", "--observed-on", "2026-11-31", code=1)
    assert "observed_on = '2026-11-31'" in day
    nobody = _alert(runner, url, "add", "C9", "--kind", "other", "--observed-on", "2026-11-02",
                    code=1)  # fmt: skip
    assert "customer = 'C9'" in nobody
    as_collector = ("--user", "li@acme.cn")
    refused = _alert(runner, url, "add", "C1", "--kind", "other", "--observed-on", "2026-11-02",
                     *as_collector, code=1)  # fmt: skip
    assert "role 'collector' may not alerts:write" in refused
    assert _json(runner, url, "list", *as_collector) == []
