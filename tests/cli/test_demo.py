"""creditguard demo: a fresh database, a sample portfolio through the services, the login."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.clock import SystemClock
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.service import IssuedToken, LoginPolicy

POLICY = LoginPolicy(ttl=timedelta(hours=1), max_failures=5, lockout=timedelta(minutes=15))
LOGIN = "Login: company DEMO, e-mail demo@creditguard.local, password creditguard-demo\n"


def test_demo_builds_a_fresh_portfolio_and_prints_the_login(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    served: list[tuple[str, dict[str, Any], str | None]] = []

    def fake_run(target: str, **options: Any) -> None:
        served.append((target, options, os.environ.get("CREDITGUARD_DATABASE_URL")))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("CREDITGUARD_DATABASE_URL", "restored after the test")
    small = ["--customers", "20", "--invoices", "200", "--database-url", url]
    smaller = ["--customers", "10", "--invoices", "50", "--seed", "3", "--database-url", url]

    first = runner.invoke(app, ["demo", "--no-serve", *small])
    # A second run starts again from nothing (no "company DEMO already exists"), then serves.
    second = runner.invoke(app, ["demo", "--port", "8123", *smaller])

    assert first.exit_code == 0, first.output
    assert first.stdout.endswith(f"API: http://127.0.0.1:8000/docs  ({url})\n{LOGIN}")
    assert second.exit_code == 0, second.output
    assert second.stdout.endswith(f"API: http://127.0.0.1:8123/docs  ({url})\n{LOGIN}")
    assert served == [
        (
            "creditguard.api.app:create_app",
            {"factory": True, "host": "127.0.0.1", "port": 8123},
            url,
        )
    ]
    invoices = json.loads(
        runner.invoke(
            app,
            [
                "invoice",
                "list",
                "--company",
                "DEMO",
                "--limit",
                "1",
                "--json",
                "--database-url",
                url,
            ],
        ).stdout
    )
    assert invoices["total"] == 50  # the first run's 200 are gone
    customers = json.loads(
        runner.invoke(
            app,
            [
                "customer",
                "list",
                "--company",
                "DEMO",
                "--limit",
                "1",
                "--json",
                "--database-url",
                url,
            ],
        ).stdout
    )
    assert customers["total"] == 10
    database = Database(url)
    with database.write() as session:
        issued = identity.login(
            session,
            company_code="DEMO",
            email="demo@creditguard.local",
            password="creditguard-demo",
            clock=SystemClock(),
            policy=POLICY,
        )
    database.dispose()
    assert isinstance(issued, IssuedToken)
    assert issued.user.role == "admin"
