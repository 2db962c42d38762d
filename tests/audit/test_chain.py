"""The audit log's hash chain: intact when written by the service, every break detected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import Connection, Row, text
from sqlalchemy.orm import Session

from creditguard.audit.service import GENESIS, Event, record, record_many, verify
from creditguard.db import Database
from tests import builders as b

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _write(db: Database, company_id: int, n: int) -> None:
    for i in range(n):
        body = {"limit": Decimal("100000.00") + i, "on": T0.date(), "why": "复评 review"}
        with db.write() as session:
            event = Event("limit.set", f"customer:{i}", body)
            record(session, company_id, "user:1", event, T0 + timedelta(minutes=i))


def _tamper(db: Database, sql: str) -> None:
    """Change the log behind the service's back: the triggers are lifted for the test only."""
    with db.engine.begin() as connection:
        _lift(connection, db.dialect)
        connection.execute(text(sql))
    with db.engine.begin() as connection:
        _restore(connection, db.dialect)


def _lift(connection: Connection, dialect: str) -> None:
    if dialect == "sqlite":
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))


def _restore(connection: Connection, dialect: str) -> None:
    if dialect == "sqlite":
        refuse = "audit_log is append-only: entries are never changed or deleted"
        for verb in ("UPDATE", "DELETE"):
            connection.execute(
                text(
                    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                    f"BEGIN SELECT RAISE(ABORT, '{refuse}'); END"
                )
            )
    else:
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def test_a_chain_written_by_the_service_verifies(db: Database) -> None:
    actor = b.company(db)
    _write(db, actor.company_id, 5)
    with db.read() as session:
        result = verify(session, actor.company_id)
    assert (result.entries, result.breaks, result.intact) == (5, (), True)
    assert result.last_hash != GENESIS


def test_an_empty_log_verifies(db: Database) -> None:
    actor = b.company(db)
    with db.read() as session:
        result = verify(session, actor.company_id)
    assert (result.entries, result.last_hash, result.intact) == (0, GENESIS, True)


@pytest.mark.parametrize(
    ("sql", "codes"),
    [
        # a changed body: that entry's hash no longer matches its content
        (
            "UPDATE audit_log SET body = replace(body, '100002', '900002') WHERE seq = 3",
            [(3, "hash")],
        ),
        # a changed actor
        ("UPDATE audit_log SET actor = 'user:2' WHERE seq = 1", [(1, "hash")]),
        # a removed entry: a gap, and the next entry follows a hash that is no longer there
        ("DELETE FROM audit_log WHERE seq = 2", [(3, "gap"), (3, "prev_hash")]),
        # the last entry removed cannot be seen from the chain itself, but the count can
        ("DELETE FROM audit_log WHERE seq = 5", []),
    ],
)
def test_every_break_is_found(db: Database, sql: str, codes: list[tuple[int, str]]) -> None:
    actor = b.company(db)
    _write(db, actor.company_id, 5)
    _tamper(db, sql)
    with db.read() as session:
        result = verify(session, actor.company_id)
    assert [(x.seq, x.code) for x in result.breaks] == codes
    assert result.entries == (4 if sql.startswith("DELETE") else 5)


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(db: Database) -> None:
    """Recomputing the tampered entry's own hash does not help: the next entry still points back."""
    actor = b.company(db)
    _write(db, actor.company_id, 3)
    with db.read() as session:
        rows = session.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq")).all()
    _tamper(db, f"UPDATE audit_log SET hash = '{'f' * 64}' WHERE seq = 2")
    with db.read() as session:
        result = verify(session, actor.company_id)
    assert [(x.seq, x.code) for x in result.breaks] == [(2, "hash"), (3, "prev_hash")]
    assert rows[1][1] != "f" * 64


def test_entries_written_by_another_company_start_their_own_chain(db: Database) -> None:
    one = b.company(db, code="ONE")
    two = b.company(db, code="TWO")
    _write(db, one.company_id, 2)
    _write(db, two.company_id, 1)
    with db.read() as session:
        seqs = session.execute(
            text("SELECT company_id, seq, prev_hash FROM audit_log ORDER BY id")
        ).all()
        assert verify(session, two.company_id).intact
    assert [(c == one.company_id, s, p == GENESIS) for c, s, p in seqs] == [
        (True, 1, True),
        (True, 2, False),
        (False, 1, True),
    ]


class _Undo(Exception):
    """Raised to roll a write back after reading what it wrote."""


def _written(db: Database, company_id: int, write: Callable[[Session], object]) -> list[Row[Any]]:
    """What ``write`` appends to the log, read inside its transaction, then rolled back."""
    seen: list[Row[Any]] = []

    def write_and_undo() -> None:
        with db.write() as session:
            write(session)
            session.flush()
            query = text(
                "SELECT seq, at, actor, action, subject, body, prev_hash, hash FROM audit_log "
                "WHERE company_id = :c ORDER BY seq"
            )
            seen.extend(session.execute(query, {"c": company_id}).all())
            raise _Undo

    with pytest.raises(_Undo):
        write_and_undo()
    return seen


def test_record_many_writes_the_very_entries_record_writes(db: Database) -> None:
    """The bulk writer spells the canonical content out by hand; it must hash byte for byte as
    ``record`` does: awkward strings, a non-UTC instant, after entries already there."""
    actor = b.company(db)
    _write(db, actor.company_id, 2)
    at = datetime(2026, 11, 23, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    events = [
        Event("limit.set", 'customer:"7"', {"limit": Decimal("0.10"), "why": "降级 \\ downgrade"}),
        Event("limit.cut", "customer:8", {"note": "line\nbreak\ttab \u2028 é 客户", "n": 3}),
        Event("request.filed", "group:9", {"on": date(2026, 11, 23), "empty": {}, "list": [1]}),
    ]

    def one_by_one(session: Session) -> None:
        for event in events:
            record(session, actor.company_id, "系统:review", event, at)

    singly = _written(db, actor.company_id, one_by_one)
    bulk = _written(
        db, actor.company_id, lambda s: record_many(s, actor.company_id, "系统:review", events, at)
    )
    assert [r.seq for r in bulk] == [1, 2, 3, 4, 5]
    assert [r.hash for r in bulk] == [r.hash for r in singly]
    assert [tuple(r) for r in bulk] == [tuple(r) for r in singly]
    assert len({r.hash for r in bulk}) == 5


def test_a_bulk_writer_that_hashes_the_instant_unconverted_is_caught(db: Database) -> None:
    """The broken variant: hashing the instant as given (+08:00), not in UTC, gives other
    hashes, which ``verify`` reports, so the test above could fail."""
    actor = b.company(db)
    at = datetime(2026, 11, 23, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    with (
        db.write() as session,
        patch("creditguard.audit.service._utc", lambda moment: moment.isoformat()),
    ):
        record_many(session, actor.company_id, "user:1", [Event("limit.set", "customer:1", {})], at)
    with db.read() as session:
        result = verify(session, actor.company_id)
    assert [(x.seq, x.code) for x in result.breaks] == [(1, "hash")]
