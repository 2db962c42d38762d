"""CLI tests: the real commands against a temporary SQLite file, through Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditguard.db import Database
from creditguard.db.migrate import upgrade


@pytest.fixture
def runner() -> CliRunner:
    # The commands must not pick up the developer's own database or language.
    return CliRunner(
        env={
            "CREDITGUARD_DATABASE_URL": None,
            "CREDITGUARD_LANG": None,
            "FORCE_COLOR": None,
            "COLUMNS": "200",
        }
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated, empty SQLite database (no exchange rates: CNY-only tests need none)."""
    address = f"sqlite:///{tmp_path / 'creditguard.db'}"
    database = Database(address)
    upgrade(database.engine)
    database.dispose()
    return address
