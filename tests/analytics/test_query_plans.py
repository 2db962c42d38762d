"""How SQLite runs the snapshot's read of changed customers: by the revision index, never a
walk of every customer of the company (0.5 s each refresh at 1M customers, for the handful
changed since the last one). SQLite plans without statistics, so the plan is the same on a
tiny database as on a large one: the test reads it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from creditguard.analytics import repository as repo
from creditguard.db import Database
from creditguard.models import Customer
from tests import builders as b


def _plan(session: Session, stmt: object) -> list[str]:
    compiled = stmt.compile(  # type: ignore[attr-defined]
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
    return [row[3] for row in rows]


def test_changed_customers_are_found_by_the_revision_index(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    with db.read() as session:
        plan = _plan(session, repo.people_stmt(actor.company_id, 7))
        # The broken variant: the company compared as it is, so its index is taken.
        plain = repo.people_stmt(actor.company_id, 7).where(Customer.company_id == actor.company_id)
        walk = _plan(session, plain)
        changed = repo.people_after(session, actor.company_id, 0)
    assert plan == ["SEARCH customers USING INDEX ix_customers_revision (revision>?)"]
    assert walk == ["SEARCH customers USING INDEX ix_customers_company_id (company_id=?)"]
    assert changed["customer"].to_list() == ["C1"]
