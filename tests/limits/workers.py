"""Process bodies for the review concurrency tests (imported by the spawned processes).

Each runs the nightly review of one company in its own process and database connection, as a
cron job and a manual run would, and answers what happened to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from creditguard.core.errors import Conflict
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.limits import repository as repo
from creditguard.limits import service
from creditguard.limits.service import review as reviewing
from creditguard.models import CreditLimit
from tests import builders as b
from tests.limits.ledger import AS_OF

WAIT = 30  # seconds a process waits for the other one, at most


def _run(url: str, company_id: int, start: Any) -> dict[str, Any]:
    """Start with the other process (``start``: a barrier), run the review, and say how it
    ended: its result, or the refusal's message in both languages."""
    db = Database(url)
    owner = Actor(company_id, "user:test", "admin")
    start.wait(timeout=WAIT)
    try:
        with db.write() as session:
            out = service.run_review(session, owner, AS_OF, b.clock())
        return {"reviewed": out.model_dump(mode="json")}
    except Conflict as error:
        return {"refused": [error.message("en"), error.message("zh-CN")]}
    finally:
        db.dispose()


def review_holding(url: str, company_id: int, start: Any, refused: Any) -> dict[str, Any]:
    """The review as it is, but the one that holds the lock keeps its transaction open (before
    writing) until the other one has been refused (``refused``: an event), as a long review
    of a million customers would: the two overlap for sure."""
    write = reviewing._write

    def held(*args: Any, **kwargs: Any) -> list[Any]:
        refused.wait(timeout=WAIT)
        return write(*args, **kwargs)

    reviewing._write = held
    outcome = _run(url, company_id, start)
    if "refused" in outcome:
        refused.set()
    return outcome


def review_without_lock(url: str, company_id: int, start: Any, read: Any) -> dict[str, Any]:
    """The lock skipped (the conditional update kept): both read the same limits (``read``: a
    barrier both pass before either writes), then both write."""
    repo.lock_review = lambda *_args: True
    write = reviewing._write

    def after_both_read(*args: Any, **kwargs: Any) -> list[Any]:
        read.wait(timeout=WAIT)
        return write(*args, **kwargs)

    reviewing._write = after_both_read
    return _run(url, company_id, start)


def set_unconditionally(
    session: Session, changes: Sequence[repo.LimitChange], values: Mapping[str, Any]
) -> set[int]:
    """The limit update before the revision check: by id alone, whatever the row became."""
    table = CreditLimit.__table__
    assert isinstance(table, Table)
    if changes:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("limit_id"))
            .values(amount_minor=bindparam("amount"), revision=bindparam("new"), **values)
        )
        params = [{"limit_id": c.limit_id, "amount": c.amount_minor, "new": c.revision + 1}
                  for c in changes]  # fmt: skip
        session.execute(stmt, params)
    return {c.limit_id for c in changes}


def review_naively(url: str, company_id: int, start: Any, read: Any) -> dict[str, Any]:
    """The broken variant: no lock and the unconditional update — the review as it was."""
    repo.set_limits = set_unconditionally
    return review_without_lock(url, company_id, start, read)
