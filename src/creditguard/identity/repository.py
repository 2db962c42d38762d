"""Every query about companies, users, tokens, API keys and idempotency records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from creditguard.db import direct
from creditguard.db.bulk import unnested
from creditguard.db.engine import TAKE_ID, lock_first
from creditguard.models import ApiKey, AuthToken, Company, IdempotencyRecord, User


def get_company(session: Session, company_id: int) -> Company | None:
    return session.get(Company, company_id)


def get_company_by_code(session: Session, code: str) -> Company | None:
    return session.scalar(select(Company).where(Company.code == code))


def list_companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.id)))


def get_user(session: Session, company_id: int, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.company_id == company_id, User.id == user_id))


def get_user_by_email(session: Session, company_id: int, email: str) -> User | None:
    return session.scalar(select(User).where(User.company_id == company_id, User.email == email))


def list_users(session: Session, company_id: int) -> list[User]:
    return list(
        session.scalars(select(User).where(User.company_id == company_id).order_by(User.id))
    )


def get_token(session: Session, token_hash: bytes) -> tuple[AuthToken, User] | None:
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def get_api_key(session: Session, key_hash: bytes) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


def list_api_keys(session: Session, company_id: int) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.id))
    )


def get_idempotency(
    session: Session, company_id: int, principal: str, key: str
) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.company_id == company_id,
            IdempotencyRecord.principal == principal,
            IdempotencyRecord.key == key,
        )
    )


def finish_idempotency(
    session: Session, record_id: int, lease: int, *, status_code: int, body: str, at: datetime
) -> bool:
    """Store the response, only if our lease still holds the record."""
    result = session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id, IdempotencyRecord.lease == lease)
        .values(state="done", status_code=status_code, response_body=body, finished_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


Claimed = tuple[int, int, str, str, int]  # a record made: id, company, principal, key, lease
# A claim's columns with a value of each row's own (an array each, on PostgreSQL).
_CLAIM_COLUMNS = ("company_id", "principal", "key", "request_hash", "method", "path", "lease")


def claim_idempotency_many(
    session: Session, rows: Sequence[dict[str, Any]], *, commit: bool = False
) -> list[Claimed]:
    """Insert each claim (a record in flight) whose key is not there yet, skipping the others
    (and a key twice among these after its first); the records made. The rows share their
    state and creation time. PostgreSQL: one statement, and with ``commit=True`` the
    transaction's BEGIN, its id taken (as every writer's, before drawing a record's id from
    the sequence: see :func:`creditguard.db.engine.lock_first`), the statement and its COMMIT
    in one round trip (the session then runs nothing more; see
    :func:`creditguard.db.direct.rows_together`). The session must not have begun."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        statement = (
            sqlite_insert(IdempotencyRecord)
            .on_conflict_do_nothing(index_elements=["company_id", "principal", "key"])
            .returning(*_claimed_columns())
        )
        return [tuple(row) for row in session.execute(statement, list(rows))]
    _, made = direct.rows_together(session, _claim_steps(session, rows), commit=commit)
    return [tuple(row) for row in made]


def _claim_steps(session: Session, rows: Sequence[dict[str, Any]]) -> list[direct.Step]:
    """The transaction's id, then the claims (PostgreSQL): the session is declared to take
    its id first (:func:`lock_first`), so its BEGIN does not."""
    params = _claim_arrays(rows)
    lock_first(session)  # the transaction's id taken first, in the same round trip
    return [(TAKE_ID, {}), (_claim_many(), params)]


def _claim_arrays(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The claims' records as parameters: an array per column of :data:`_CLAIM_COLUMNS`, and
    the state and creation time they all share."""
    shared = {(row["state"], row["created_at"]) for row in rows}
    if len(shared) != 1:
        raise ValueError("claims written together share their state and creation time")
    params: dict[str, Any] = {name: [row[name] for row in rows] for name in _CLAIM_COLUMNS}
    params["state"], params["created_at"] = shared.pop()
    return params


def claim_idempotency_ahead(
    session: Session, rows: Sequence[dict[str, Any]]
) -> Callable[[], list[Claimed] | None]:
    """:func:`claim_idempotency_many` in the session's transaction, a unit of work's: on
    PostgreSQL its id taken and the statement sent with the transaction's first round trip
    (:func:`creditguard.db.direct.ahead`), the claims in key order (two units claiming the same
    keys wait for each other in one order, never in a cycle); on SQLite at once. The records
    made, once sent (None before, or if never sent). Call before the session's first
    statement: its transaction is declared to take its id first (:func:`lock_first`)."""
    ordered = sorted(rows, key=lambda row: (row["company_id"], row["principal"], row["key"]))
    if not rows or session.get_bind().dialect.name != "postgresql":
        made = claim_idempotency_many(session, ordered)
        return lambda: made
    pending = direct.ahead(session, _claim_steps(session, ordered))
    return lambda: None if pending.rows is None else [tuple(row) for row in pending.rows[1]]


def _claimed_columns() -> tuple[Any, ...]:
    table = IdempotencyRecord.__table__
    return (table.c.id, table.c.company_id, table.c.principal, table.c.key, table.c.lease)


@cache
def _claim_many() -> ReturningInsert[Any]:
    """``INSERT INTO idempotency_keys (...) SELECT ... FROM unnest(...) ON CONFLICT DO
    NOTHING RETURNING ...``: the claims of several requests in one statement (PostgreSQL)."""
    table = IdempotencyRecord.__table__
    given = unnested(table, _CLAIM_COLUMNS)
    rows = select(
        *[given.c[name] for name in _CLAIM_COLUMNS],
        bindparam("state", type_=table.c.state.type),
        bindparam("created_at", type_=table.c.created_at.type),
    )
    return (
        pg_insert(IdempotencyRecord)
        .from_select([*_CLAIM_COLUMNS, "state", "created_at"], rows)
        .on_conflict_do_nothing(index_elements=["company_id", "principal", "key"])
        .returning(*_claimed_columns())
    )


def finish_idempotency_step(
    done: Sequence[tuple[dict[str, Any], str]], *, status_code: int, at: datetime
) -> direct.Step:
    """The responses of claims made in this transaction (each its claim's record, as
    :func:`claim_idempotency_many` was given it, and a body) as a statement to send with
    others (PostgreSQL): it fails (:data:`LEASE_LOST`) unless it stores every response, so
    that nothing sent after it in its round trip, a COMMIT included, runs.

    Each record is found by its key through the key's unique index, as ``INSERT ... ON
    CONFLICT DO UPDATE`` finds it (stored only while its lease holds): never a plan chosen
    from the table's statistics, which a join on ids followed into a scan of the whole table
    when they were older than the table's growth (measured: 13-15 ms a check instead of
    4.5 once the keys had grown from none to 60,000 in a minute). A record gone meanwhile is
    written anew, done."""
    params = _claim_arrays([record for record, _ in done])
    del params["state"]  # written done
    params["response_body"] = [body for _, body in done]
    params |= {"status_code": status_code, "at": at, "expected": len(done)}
    return _finish_claimed(), params


def written_responses() -> Insert:
    """``INSERT INTO idempotency_keys ... SELECT ... FROM unnest(...)``: the claims' records,
    done, with their responses (PostgreSQL); what to do on conflict is the caller's."""
    table = IdempotencyRecord.__table__
    named = (*_CLAIM_COLUMNS, "response_body")
    given = unnested(table, named)
    rows = select(
        *[given.c[name] for name in named],
        literal("done", type_=table.c.state.type),
        bindparam("created_at", type_=table.c.created_at.type),
        bindparam("status_code", type_=table.c.status_code.type),
        bindparam("at", type_=table.c.finished_at.type),
    )
    return pg_insert(IdempotencyRecord).from_select(
        [*named, "state", "created_at", "status_code", "finished_at"], rows
    )


@cache
def _finish_claimed() -> Select[int]:
    """``INSERT ... SELECT ... FROM unnest(...) ON CONFLICT (company_id, principal, key) DO
    UPDATE ... WHERE lease = excluded.lease RETURNING id``, failing (:data:`LEASE_LOST`)
    unless every response was stored: with its COMMIT in the same round trip, the COMMIT
    then does not run."""
    table = IdempotencyRecord.__table__
    written = written_responses()
    stored = (
        written.on_conflict_do_update(
            index_elements=["company_id", "principal", "key"],
            set_={
                "state": written.excluded.state,
                "status_code": written.excluded.status_code,
                "response_body": written.excluded.response_body,
                "finished_at": written.excluded.finished_at,
            },
            where=table.c.lease == written.excluded.lease,
        )
        .returning(table.c.id)
        .cte("stored")
    )
    return _all_stored(stored)


# What _finish_claimed raises with when a lease no longer holds. Plain SQL has no RAISE: a text
# that is not a number, cast to one, fails (22P02); computed from the rows updated, so it is
# cast only then, never folded into a constant when the statement is planned.
LEASE_LOST = "idempotency lease lost"


def _all_stored(stored: Any) -> Select[int]:
    """One row, the number of records ``stored`` (a CTE) returned; an error (LEASE_LOST)
    unless it is ``expected``."""
    counted = select(func.count().label("n")).select_from(stored).subquery("counted")
    expected = bindparam("expected", type_=Integer)
    verdict = case((counted.c.n == expected, cast(counted.c.n, Text)), else_=literal(LEASE_LOST))
    return select(cast(verdict, Integer)).select_from(counted)


def release_idempotency(session: Session, record_id: int, lease: int) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id,
            IdempotencyRecord.lease == lease,
            IdempotencyRecord.state == "in_flight",
        )
    )


def take_over_idempotency(
    session: Session, record_id: int, old_lease: int, new_lease: int, at: datetime
) -> bool:
    result = session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == record_id,
            IdempotencyRecord.lease == old_lease,
            IdempotencyRecord.state == "in_flight",
        )
        .values(lease=new_lease, created_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
