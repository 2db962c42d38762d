"""The Alembic history builds exactly the schema the models declare, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import DatabaseError

from creditguard.db import Database
from creditguard.models import AuditEntry, Base
from tests import builders as b


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_every_tenant_table_carries_company_id(database: Database) -> None:
    shared = {"companies", "fx_rates", "alembic_version"}
    tables = set(inspect(database.engine).get_table_names()) - shared
    missing = sorted(
        t
        for t in tables
        if "company_id" not in {c["name"] for c in inspect(database.engine).get_columns(t)}
    )
    assert (len(tables), missing) == (34, [])


def test_the_audit_log_refuses_updates_and_deletes(db: Database) -> None:
    actor = b.company(db)
    with db.write() as session:
        session.add(
            AuditEntry(
                company_id=actor.company_id,
                seq=1,
                at=datetime(2026, 11, 23, tzinfo=UTC),
                actor="user:1",
                action="limit.set",
                subject="customer:1",
                body="{}",
                prev_hash="0" * 64,
                hash="1" * 64,
            )
        )
    for statement in (update(AuditEntry).values(actor="user:2"), delete(AuditEntry)):
        with pytest.raises(DatabaseError, match="append-only"), db.write() as session:
            session.execute(statement)
    with db.read() as session:
        assert session.scalars(select(AuditEntry.actor)).all() == ["user:1"]
