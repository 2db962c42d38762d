"""Migration 0010 (risk_alerts) up, down and up again, on both engines; its constraints hold."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from creditguard.alerts import service
from creditguard.alerts.schemas import AlertIn
from creditguard.db import Database
from creditguard.db.migrate import alembic_config, upgrade
from creditguard.models import RiskAlert
from tests import builders as b


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh(database: Database, tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, for migrating up and down."""
    if database.dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    server = os.environ["CREDITGUARD_TEST_DATABASE_URL"]
    name = f"cg_test_alerts_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_dsn(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_dsn(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _record(database: Database) -> list[int]:
    actor = b.company(database)
    customer = b.customer(database, actor, code="C1")
    data = AlertIn(kind="enforcement", observed_on=date(2026, 11, 20))
    with database.write() as session:
        made = service.record(session, actor, customer, data, b.clock())
        return [made.id]


def test_migration_0010_up_down_up(fresh: str) -> None:
    database = Database(fresh)
    try:
        upgrade(database.engine)
        assert _record(database) == [1]
        _downgrade(database, "0009")
        assert "risk_alerts" not in inspect(database.engine).get_table_names()
        upgrade(database.engine)
        found = inspect(database.engine).get_indexes("risk_alerts")
        # PostgreSQL lists the unique constraint's own index too
        indexes = {i["name"] for i in found if not i.get("duplicates_constraint")}
        assert indexes == {
            "ix_risk_alerts_company_id",
            "ix_risk_alerts_open",
            "ix_risk_alerts_customer",
        }
        with database.read() as session:
            assert session.query(RiskAlert).count() == 0  # the alerts went with the table
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("column", "value"),
    [("kind", "fire"), ("severity", "extreme"), ("status", "gone"), ("closed_at", None)],
)
def test_the_database_refuses_what_the_service_never_writes(
    db: Database, column: str, value: object
) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor, code="C1")
    row = {"company_id": actor.company_id, "customer_id": customer, "kind": "other",
           "severity": "low", "observed_on": date(2026, 11, 1), "recorded_on": date(2026, 11, 2),
           "source": "manual", "status": "open", "created_at": b.NOW, "created_by": "x"}  # fmt: skip
    if column == "closed_at":  # closed without a closing instant
        row["status"] = "closed"
    else:
        row[column] = value
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(RiskAlert(**row))
