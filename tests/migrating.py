"""Helpers of the migration tests: an empty database to migrate up and down, and a downgrade."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command
from sqlalchemy.engine import make_url

from creditguard.db import Database
from creditguard.db.migrate import alembic_config


def admin_dsn(url: str) -> str:
    """A libpq connection string for ``url``'s server (psycopg, not SQLAlchemy's URL)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def empty_database(database: Database, tmp_path: Path, tag: str) -> Iterator[str]:
    """The URL of an empty database of ``database``'s engine (a file under ``tmp_path`` on
    SQLite, ``cg_test_<tag>_<random>`` on the PostgreSQL server, dropped afterwards)."""
    if database.dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    server = os.environ["CREDITGUARD_TEST_DATABASE_URL"]
    name = f"cg_test_{tag}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_dsn(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def downgrade(database: Database, revision: str) -> None:
    """Migrate ``database`` down to ``revision``."""
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
