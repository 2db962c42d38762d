"""Databases for the tests: SQLite always; PostgreSQL when CREDITGUARD_TEST_DATABASE_URL is set.

Each run migrates its own databases with Alembic (a fresh ``cg_test_<random>`` database on the
PostgreSQL server, dropped at the end), and every test starts from empty tables.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from creditguard.analytics import snapshot
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.models import Base
from creditguard.reference.service import seed_ecb_rates
from tests.migrating import admin_dsn

# Portfolio snapshots of this run (the API and the CLI keep them on disk) stay out of the tree.
os.environ["CREDITGUARD_SNAPSHOT_DIR"] = tempfile.mkdtemp(prefix="cg-snapshots-")
PG_URL = os.environ.get("CREDITGUARD_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("CREDITGUARD_REQUIRE_POSTGRES") == "1"
TEST_CURRENCIES = frozenset({"USD", "CNY", "JPY", "GBP", "HKD"})
KEEP = {"fx_rates", "alembic_version"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail(
                "CREDITGUARD_REQUIRE_POSTGRES=1 but CREDITGUARD_TEST_DATABASE_URL is not set"
            )
        pytest.skip("PostgreSQL tests skipped: set CREDITGUARD_TEST_DATABASE_URL to run them")
    name = f"cg_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(admin_dsn(PG_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {error}")
        pytest.skip(f"PostgreSQL tests skipped: {PG_URL} unreachable")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn(PG_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(url: str) -> Database:
    database = Database(url)
    upgrade(database.engine)
    with database.write() as session:
        seed_ecb_rates(session, currencies=TEST_CURRENCIES)
    return database


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "ledger.db"
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = _prepare(url)
    yield database
    database.dispose()


def _clean(database: Database) -> None:
    snapshot.forget()  # the tables are emptied under the process's portfolio snapshots
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP]
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # The append-only audit log refuses deletes: lift its triggers while emptying.
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _ in triggers:
                connection.execute(text(f"DROP TRIGGER {name}"))
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            for _, sql in triggers:
                connection.execute(text(sql))


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    _clean(database)
    yield database
    _clean(database)


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
