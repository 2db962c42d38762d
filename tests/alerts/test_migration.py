"""Migration 0010 (risk_alerts) up, down and up again, on both engines; its constraints hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from creditguard.alerts import service
from creditguard.alerts.schemas import AlertIn
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.models import RiskAlert
from tests import builders as b
from tests.migrating import downgrade, empty_database


@pytest.fixture
def fresh(database: Database, tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, for migrating up and down."""
    with empty_database(database, tmp_path, "alerts") as url:
        yield url


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
        downgrade(database, "0009")
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
