"""db.direct: hot statements compiled once by SQLAlchemy and sent by psycopg, in the session's
transaction, with the same rows as SQLAlchemy's own execution; anything the driver would not
do alone goes through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, insert, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from creditguard.db import Database, direct
from creditguard.models import Company
from tests.migrating import admin_dsn

PG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
CODE: BindParameter[str] = bindparam("code")
BY_CODE = select(Company.id, Company.code, Company.base_currency).where(Company.code == CODE)
# Constants SQLAlchemy binds itself (a literal, each side of an OR), beside the caller's code.
WITH_CONSTANTS = select(Company.code, literal("x").label("tag")).where(
    or_(Company.base_currency == "CNY", Company.base_currency == "USD"), Company.code == CODE
)
INSERT = insert(Company).values(
    code=CODE,
    name=bindparam("name"),
    base_currency="CNY",
    timezone="Asia/Shanghai",
    locale="zh-CN",
    country="CN",
    created_at=bindparam("created_at", type_=Company.__table__.c.created_at.type),
)
INSERT_RETURNING = INSERT.returning(Company.id, Company.code)


def _company(db: Database, code: str, currency: str = "CNY") -> int:
    with db.write() as session:
        made = Company(
            code=code,
            name=f"{code} Ltd",
            base_currency=currency,
            timezone="Asia/Shanghai",
            locale="zh-CN",
            country="CN",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        session.add(made)
        session.flush()
        return made.id


def test_rows_are_sqlalchemys_rows(db: Database) -> None:
    first = _company(db, "D-1")
    _company(db, "D-2", "USD")
    with db.read() as session:
        for code in ("D-1", "D-2", "none"):
            params = {"code": code}
            expected = [tuple(r) for r in session.execute(BY_CODE, params)]
            assert [tuple(r) for r in direct.rows(session, BY_CODE, params)] == expected
        assert [tuple(r) for r in direct.rows(session, BY_CODE, {"code": "D-1"})] == [
            (first, "D-1", "CNY")
        ]
        assert [tuple(r) for r in direct.rows(session, WITH_CONSTANTS, {"code": "D-2"})] == [
            ("D-2", "x")
        ]


def test_postgresql_statements_go_to_the_driver_with_their_constants() -> None:
    plain = direct.compiled(WITH_CONSTANTS, PG)
    assert plain is not None
    assert sorted(plain.constants.values()) == ["CNY", "USD", "x"]
    assert plain.processors == {}
    assert "%(code)s" in plain.sql
    assert direct.compiled(WITH_CONSTANTS, PG) is plain  # compiled once


def test_a_bind_processor_is_applied_and_a_result_processor_declines() -> None:
    plain = direct.compiled(INSERT_RETURNING, PG)
    assert plain is not None
    assert set(plain.processors) == {"created_at"}  # UTCDateTime: any zone to UTC
    shanghai = datetime(2026, 11, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    assert plain.processors["created_at"](shanghai) == datetime(2026, 11, 1, tzinfo=UTC)
    # Reading the UTCDateTime column back needs its result processor: SQLAlchemy's path.
    assert direct.compiled(select(Company.created_at), PG) is None


@pytest.mark.parametrize(
    "statement",
    [
        select(Company.id).where(Company.code.in_(bindparam("codes", expanding=True))),
        select(Company.id).where(Company.code.in_(("A", "B"))),  # an expanding constant
        INSERT,  # returns no rows
    ],
    ids=["expanding", "in-list", "no-rows"],
)
def test_what_the_driver_cannot_run_alone_goes_through_sqlalchemy(statement: Any) -> None:
    assert direct.compiled(statement, PG) is None


def test_sqlite_always_goes_through_sqlalchemy() -> None:
    assert direct.compiled(BY_CODE, sqlite.dialect()) is None


def test_an_insert_runs_in_the_sessions_transaction(db: Database) -> None:
    """Rolled back with the session: the driver's statement was inside its transaction. A
    broken variant that sends it on a connection of its own keeps the row: the count tells."""
    created = datetime(2026, 11, 2, 9, tzinfo=timezone(timedelta(hours=8)))
    params = {"code": "D-9", "name": "九号", "created_at": created}
    with db.write() as session:
        ((_, code),) = direct.rows(session, INSERT_RETURNING, params)
        assert code == "D-9"
        session.rollback()
    with db.read() as session:
        assert session.scalar(select(Company.id).where(Company.code == "D-9")) is None
    if db.dialect == "postgresql":  # the broken variant: a connection of its own, autocommit
        with psycopg.connect(admin_dsn(db.url), autocommit=True) as other, db.write() as session:
            plain = direct.compiled(INSERT_RETURNING, PG)
            assert plain is not None
            values = {
                **plain.constants,
                **params,
                "created_at": plain.processors["created_at"](created),
            }
            other.execute(plain.sql, values)
            session.rollback()
        with db.read() as session:
            assert session.scalar(select(Company.id).where(Company.code == "D-9")) is not None
    with db.write() as session:
        ((new_id, _),) = direct.rows(session, INSERT_RETURNING, params | {"code": "D-10"})
    with db.read() as session:
        stored = session.scalars(select(Company).where(Company.code == "D-10")).one()
    assert (stored.id, stored.name) == (new_id, "九号")
    assert stored.created_at == datetime(2026, 11, 2, 1, tzinfo=UTC)  # the processor's UTC


# Lists whose elements are hard to write as an array: quotes, backslashes, braces, commas,
# blanks, the word NULL, empty strings, non-ASCII text, NULL elements.
ARRAYS: list[tuple[str, list[Any]]] = [
    ("text", ["plain", 'a "quoted" one', "back\\slash", "{braces}", "a,b", " padded ", "NULL"]),
    ("text", ["", "null", "九号客户", "tab\there", "new\nline", "\\", '"', "'"]),
    ("text", [None, "x", None]),
    ("text", []),
    ("varchar(64)", ["C-00012", "订单-7"]),
    ("bigint", [0, -1, 9_223_372_036_854_775_807, None]),
    ("integer", [42]),
    ("boolean", [True, False, None]),
    ("date", [date(2026, 11, 24), date(1, 1, 1), date(9999, 12, 31), None]),
]


@pytest.mark.parametrize(("kind", "items"), ARRAYS)
def test_arrays_written_here_read_back_as_psycopgs(
    db: Database, kind: str, items: list[Any]
) -> None:
    """direct.array_text against psycopg's own list dumper: PostgreSQL reads both into the
    same array (compared as PostgreSQL writes an array back out). Broken variants tried: a
    backslash or a double quote not escaped, a string not quoted (the word NULL, blanks)."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's arrays")
    ours = direct.array_text(items, "utf-8")
    assert ours is not None
    with psycopg.connect(admin_dsn(db.url)) as connection:
        query = f"SELECT (%s::{kind}[])::text, (%s::{kind}[])::text".encode()
        theirs = connection.execute(query, [items, items]).fetchone()
        pgconn = connection.pgconn
        found = pgconn.exec_params(
            f"SELECT ($1::{kind}[])::text, ($2::{kind}[])::text".encode(),
            [ours, ours],
        )
        assert found.status == psycopg.pq.ExecStatus.TUPLES_OK, pgconn.error_message
        assert theirs is not None
        read = [found.get_value(0, column) for column in (0, 1)]
        assert tuple(None if one is None else one.decode() for one in read) == theirs


def test_other_lists_are_left_to_psycopg() -> None:
    """Elements of another type (a float, a datetime, a nested list, an int subclass) make
    array_text decline: psycopg dumps that list."""
    assert direct.array_text([1.5], "utf-8") is None
    assert direct.array_text([datetime(2026, 11, 24, tzinfo=UTC)], "utf-8") is None
    assert direct.array_text([[1, 2]], "utf-8") is None
    assert direct.array_text([1, True, HTTPStatus.OK], "utf-8") is None
    assert direct.array_text([1, True], "utf-8") == b"{1,t}"
