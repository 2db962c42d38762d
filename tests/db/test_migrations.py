"""The Alembic history builds exactly the schema the models declare, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from creditguard.db import Database
from creditguard.models import Base


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
    assert (len(tables), missing) == (22, [])
