"""init, company add, user add, apikey add, serve; errors on stderr with exit code 1."""

from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from creditguard.cli.main import app, main
from creditguard.clock import SystemClock
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.service import IssuedToken, LoginPolicy
from creditguard.reference import service as reference

POLICY = LoginPolicy(ttl=timedelta(hours=1), max_failures=5, lockout=timedelta(minutes=15))


def added_rates(output: str) -> int:
    found = re.search(r"^(\d+) exchange rates added\.$", output, re.MULTILINE)
    assert found is not None, output
    return int(found.group(1))


def test_init_migrates_seeds_the_rates_once_and_adds_the_company_once(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'fresh.db'}"

    first = runner.invoke(app, ["init", "--database-url", url])
    second = runner.invoke(
        app, ["init", "--database-url", url, "--company", "ACME", "--company-name", "Acme"]
    )
    third = runner.invoke(
        app, ["init", "--database-url", url, "--company", "ACME", "--company-name", "Other"]
    )

    assert first.exit_code == 0, first.output
    assert added_rates(first.stdout) > 0
    assert second.exit_code == 0, second.output
    assert added_rates(second.stdout) == 0
    assert "Company ACME created (id 1)." in second.stdout
    assert third.exit_code == 0, third.output
    assert "Company ACME already exists." in third.stdout
    database = Database(url)
    with database.read() as session:
        assert identity.company_by_code(session, "ACME").name == "Acme"
        usd = reference.rate(session, "USD", "CNY", date(2024, 1, 2))
        assert usd.rate_date == date(2024, 1, 2)
    database.dispose()


def test_company_add_then_user_add_then_the_same_user_again(runner: CliRunner, url: str) -> None:
    user = ["user", "add", "--company", "ACME", "--email", "li.na@example.cn", "--name", "李娜"]
    user += ["--role", "collector", "--password", "correct horse battery", "--database-url", url]

    company = runner.invoke(app, ["company", "add", "ACME", "Acme Trading", "--database-url", url])
    first = runner.invoke(app, user)
    again = runner.invoke(app, user)

    assert (company.exit_code, company.stdout) == (0, "Company ACME created (id 1).\n")
    assert (first.exit_code, first.stdout) == (
        0,
        "User li.na@example.cn (collector) added to ACME.\n",
    )
    assert again.exit_code == 1
    assert again.stdout == ""
    assert again.stderr == (
        "Error\n  email = 'li.na@example.cn': user 'li.na@example.cn' already exists\n"
    )
    assert "correct horse battery" not in first.output + again.output


def test_the_duplicate_message_in_chinese(runner: CliRunner, url: str) -> None:
    runner.invoke(app, ["company", "add", "ACME", "Acme Trading", "--database-url", url])

    result = runner.invoke(
        app,
        ["company", "add", "ACME", "Acme again", "--database-url", url],
        env={"CREDITGUARD_LANG": "zh-CN"},
    )

    assert result.exit_code == 1
    assert result.stderr == "错误\n  code = 'ACME': 公司 'ACME' 已存在\n"


def test_user_add_asks_for_the_password_hidden_and_twice(runner: CliRunner, url: str) -> None:
    runner.invoke(app, ["company", "add", "ACME", "Acme Trading", "--database-url", url])
    command = ["user", "add", "--company", "ACME", "--email", "Wang@Example.cn", "--name", "王强"]
    command += ["--role", "credit_manager", "--database-url", url]

    result = runner.invoke(app, command, input="a long passphrase\na long passphrase\n")

    assert result.exit_code == 0, result.output
    assert "a long passphrase" not in result.output
    assert result.stdout.endswith("User wang@example.cn (credit_manager) added to ACME.\n")
    database = Database(url)
    with database.write() as session:
        issued = identity.login(
            session,
            company_code="ACME",
            email="wang@example.cn",
            password="a long passphrase",
            clock=SystemClock(),
            policy=POLICY,
        )
    database.dispose()
    assert isinstance(issued, IssuedToken)
    assert issued.user.role == "credit_manager"


def test_a_refused_password_is_never_echoed(runner: CliRunner, url: str) -> None:
    runner.invoke(app, ["company", "add", "ACME", "Acme Trading", "--database-url", url])
    command = ["user", "add", "--company", "ACME", "--email", "x@example.cn", "--name", "X"]
    command += ["--role", "viewer", "--password", "hunter2", "--database-url", url]

    result = runner.invoke(app, command)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error\n  password = '***': String should have at least 10 characters\n"
    )
    assert "hunter2" not in result.output


def test_an_unknown_company_is_named(runner: CliRunner, url: str) -> None:
    command = ["apikey", "add", "--company", "NOPE", "--name", "SAP sync", "--database-url", url]

    english = runner.invoke(app, command)
    chinese = runner.invoke(app, [*command, "--lang", "zh-CN"])

    assert (english.exit_code, chinese.exit_code) == (1, 1)
    assert english.stderr == "Error\n  company = 'NOPE': company 'NOPE' was not found\n"
    assert chinese.stderr == "错误\n  company = 'NOPE': 未找到公司 'NOPE'\n"


def test_apikey_add_prints_a_working_secret_once(runner: CliRunner, url: str) -> None:
    runner.invoke(app, ["company", "add", "ACME", "Acme Trading", "--database-url", url])

    result = runner.invoke(
        app, ["apikey", "add", "--company", "ACME", "--name", "SAP sync", "--database-url", url]
    )

    assert result.exit_code == 0, result.output
    notice, secret = result.stdout.splitlines()
    assert notice.startswith("API key 'SAP sync' (erp_client) created for ACME.")
    assert secret.startswith("cgk_")
    database = Database(url)
    with database.read() as session:
        actor = identity.authenticate(session, secret, SystemClock())
    database.dispose()
    assert actor.role == "erp_client"


def test_a_missing_database_is_not_created(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"

    result = runner.invoke(
        app, ["customer", "list", "--company", "ACME", "--database-url", f"sqlite:///{missing}"]
    )

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error\n  database_url = 'sqlite:///{missing}': "
        "no database here: run `creditguard init` first\n"
    )
    assert not missing.exists()


def test_a_usage_error_keeps_exit_code_2(runner: CliRunner, url: str) -> None:
    command = ["user", "add", "--company", "ACME", "--email", "x@example.cn", "--name", "X"]

    result = runner.invoke(app, [*command, "--role", "boss", "--password", "0123456789"])

    assert result.exit_code == 2
    assert "boss" in result.stderr


def test_serve_runs_uvicorn_on_the_app_factory(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any], str | None]] = []

    def fake_run(target: str, **options: Any) -> None:
        calls.append((target, options, os.environ.get("CREDITGUARD_DATABASE_URL")))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("CREDITGUARD_DATABASE_URL", "restored after the test")

    result = runner.invoke(
        app,
        ["serve", "--host", "127.0.0.2", "--port", "9000", "--database-url", "sqlite:///x.db"],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "Serving http://127.0.0.2:9000/docs\n"
    assert calls == [
        (
            "creditguard.api.app:create_app",
            {"factory": True, "host": "127.0.0.2", "port": 9000},
            "sqlite:///x.db",
        )
    ]


def test_user_data_is_printed_verbatim_never_as_markup(runner: CliRunner, url: str) -> None:
    runner.invoke(app, ["company", "add", "ACME", "Acme Trading", "--database-url", url])
    command = ["user", "add", "--company", "ACME", "--email", "[/bold]@example.cn"]
    command += ["--name", "X", "--role", "viewer", "--password", "0123456789abc"]

    first = runner.invoke(app, [*command, "--database-url", url])
    again = runner.invoke(app, [*command, "--database-url", url])

    assert first.stdout == "User [/bold]@example.cn (viewer) added to ACME.\n"
    assert again.stderr == (
        "Error\n  email = '[/bold]@example.cn': user '[/bold]@example.cn' already exists\n"
    )


def test_a_database_without_schema_says_to_run_init(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()

    result = runner.invoke(
        app, ["company", "add", "ACME", "Acme", "--database-url", f"sqlite:///{empty}"]
    )

    assert result.exit_code == 1
    assert result.stderr == (
        "Error\n  database_url: the database has no schema yet: run `creditguard init` first\n"
    )


def test_the_script_entry_point_exits_1_with_the_message(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CREDITGUARD_LANG", raising=False)
    monkeypatch.setattr(
        "sys.argv", ["creditguard", "customer", "list", "--company", "NOPE", "--database-url", url]
    )

    with pytest.raises(SystemExit) as exit_:
        main()

    assert exit_.value.code == 1
    assert capsys.readouterr().err == "Error\n  company = 'NOPE': company 'NOPE' was not found\n"


def test_company_list_as_json(runner: CliRunner, url: str) -> None:
    runner.invoke(app, ["company", "add", "ACME", "Acme 贸易", "--database-url", url])
    runner.invoke(
        app,
        [
            "company",
            "add",
            "BETA",
            "Beta GmbH",
            "--base-currency",
            "EUR",
            "--country",
            "DE",
            "--timezone",
            "Europe/Berlin",
            "--locale",
            "en",
            "--database-url",
            url,
        ],
    )
    result = runner.invoke(app, ["company", "list", "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "id": 1,
            "code": "ACME",
            "name": "Acme 贸易",
            "base_currency": "CNY",
            "timezone": "Asia/Shanghai",
            "locale": "zh-CN",
            "country": "CN",
        },
        {
            "id": 2,
            "code": "BETA",
            "name": "Beta GmbH",
            "base_currency": "EUR",
            "timezone": "Europe/Berlin",
            "locale": "en",
            "country": "DE",
        },
    ]
