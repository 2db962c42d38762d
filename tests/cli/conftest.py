"""CLI tests: the real commands against a temporary SQLite file, through Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditguard.db import Database
from creditguard.db.migrate import upgrade


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated, empty SQLite database (no exchange rates: CNY-only tests need none)."""
    address = f"sqlite:///{tmp_path / 'creditguard.db'}"
    database = Database(address)
    upgrade(database.engine)
    database.dispose()
    return address
