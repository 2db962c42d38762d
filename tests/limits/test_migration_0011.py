"""Migration 0011 (one pending review request per limit: the index takes the scope) up, down
and up again, on both engines: what each index allows and refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError

from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.models import LimitRequest
from tests import builders as b
from tests.migrating import downgrade, empty_database

INDEX = "uq_limit_requests_pending_review"


@pytest.fixture
def fresh(database: Database, tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, for migrating up and down."""
    with empty_database(database, tmp_path, "limits") as url:
        yield url


def _columns(database: Database) -> list[str]:
    [found] = [i for i in inspect(database.engine).get_indexes("limit_requests")
               if i["name"] == INDEX]  # fmt: skip
    assert found["unique"]
    return [str(name) for name in found["column_names"]]


def _ask(database: Database, company_id: int, customer_id: int, scope: str) -> int:
    """A pending review request of ``scope`` on the customer, as the review files it."""
    row = LimitRequest(
        company_id=company_id, customer_id=customer_id, scope=scope, currency="CNY",
        amount_minor=200_000_000, previous_minor=100_000_000, reason="review", origin="review",
        required_role="approver", status="pending", requested_at=b.NOW,
        requested_by="system:review",
    )  # fmt: skip
    with database.write() as session:
        session.add(row)
        session.flush()
        return row.id


def test_migration_0011_up_down_up(fresh: str) -> None:
    database = Database(fresh)
    try:
        upgrade(database.engine)
        assert _columns(database) == ["company_id", "customer_id", "scope"]
        actor = b.company(database)
        parent = b.customer(database, actor, code="R")
        own = _ask(database, actor.company_id, parent, "customer")
        group = _ask(database, actor.company_id, parent, "group")  # beside it: one per scope
        with pytest.raises(IntegrityError):  # still one per limit
            _ask(database, actor.company_id, parent, "group")
        # Down while the parent has both pending: the old index cannot hold, nothing changes.
        with pytest.raises(IntegrityError):
            downgrade(database, "0010")
        assert _columns(database) == ["company_id", "customer_id", "scope"]
        with database.write() as session:  # one of them decided: down it goes
            session.execute(
                update(LimitRequest).where(LimitRequest.id == group).values(status="withdrawn")
            )
        downgrade(database, "0010")
        assert _columns(database) == ["company_id", "customer_id"]
        with pytest.raises(IntegrityError):  # 0009's index: one per customer, whatever scope
            _ask(database, actor.company_id, parent, "group")
        upgrade(database.engine)
        assert _columns(database) == ["company_id", "customer_id", "scope"]
        assert _ask(database, actor.company_id, parent, "group") > own
    finally:
        database.dispose()
