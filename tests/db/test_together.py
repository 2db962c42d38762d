"""db.direct.rows_together: several statements in one round trip on PostgreSQL (libpq's
pipeline mode), the transaction's BEGIN with them and, asked, its COMMIT; each statement's
rows as it returns them alone; one after another on SQLite."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from creditguard.db import Database, direct, make_engine
from creditguard.db.engine import lock_first
from creditguard.models import Company
from tests.db.test_direct import BY_CODE, INSERT_RETURNING
from tests.migrating import admin_dsn

CREATED = datetime(2026, 11, 2, 1, tzinfo=UTC)
COUNT = select(func.count(Company.id), bindparam("tag", type_=Company.code.type))


def _insert(code: str) -> direct.Step:
    return INSERT_RETURNING, {"code": code, "name": f"{code} Ltd", "created_at": CREATED}


def _codes(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Company.code).order_by(Company.code)))


@contextmanager
def _trips() -> Iterator[list[list[bytes]]]:
    """The round trips db.direct sends together: each its commands' SQL (or names)."""
    trips: list[list[bytes]] = []
    exchange = direct._exchange

    def noted(driver: Any, commands: Any) -> Any:
        trips.append([c.sql if c.plain is None else c.plain.name for c in commands])
        return exchange(driver, commands)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(direct, "_exchange", noted)
        yield trips


@pytest.fixture
def single(db: Database) -> Iterator[Database]:
    """The test's PostgreSQL database through a pool of one connection: every unit of work
    on the same connection, with its prepared statements."""
    if db.dialect != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    one = Database(db.url, make_engine(db.url, pool_size=1, max_overflow=0))
    yield one
    one.dispose()


def _other_connection(db: Database) -> psycopg.Connection[Any]:
    return psycopg.connect(admin_dsn(db.url), autocommit=True)


def test_each_statement_returns_its_own_rows_in_order(db: Database) -> None:
    """The second statement sees the first's row: each runs after the one before it."""
    with db.write() as session:
        found = direct.rows_together(
            session,
            [
                _insert("T-1"),
                (BY_CODE, {"code": "T-1"}),
                (COUNT, {"tag": "n"}),
                (BY_CODE, {"code": "none"}),
            ],
        )
    ((made, code),) = found[0]
    assert code == "T-1"
    assert [[tuple(row) for row in rows] for rows in found[1:]] == [
        [(made, "T-1", "CNY")],
        [(1, "n")],
        [],
    ]
    assert _codes(db) == ["T-1"]


def test_on_postgresql_begin_and_the_statements_are_one_round_trip(single: Database) -> None:
    with _trips() as trips, single.write() as session:
        lock_first(session)  # no pg_current_xact_id() first: see db.engine
        direct.rows_together(session, [_insert("T-1"), (BY_CODE, {"code": "T-1"})])
        direct.rows_together(session, [(BY_CODE, {"code": "T-1"})])  # in the transaction
    name_insert = direct.compiled(INSERT_RETURNING, session.get_bind().dialect)
    name_by_code = direct.compiled(BY_CODE, session.get_bind().dialect)
    assert name_insert is not None
    assert name_by_code is not None
    assert trips == [[b"BEGIN", name_insert.name, name_by_code.name], [name_by_code.name]]


def test_committed_with_its_statements_and_nothing_may_follow(db: Database) -> None:
    """commit=True: the rows are committed in the round trip (another connection sees them
    before the session's own commit, which sends nothing); a statement after it is refused,
    through SQLAlchemy or db.direct, for it would run in a transaction of its own. Without the
    guard (the broken variant) the SELECT would run and the test fail. The next unit of work
    on the connection runs as any other."""
    with db.write() as session:
        direct.rows_together(session, [_insert("T-1")], commit=True)
        if db.dialect == "postgresql":
            with _other_connection(db) as other:
                seen = other.execute("SELECT code FROM companies").fetchall()
            assert seen == [("T-1",)]
            with pytest.raises(RuntimeError, match="committed with its last statement"):
                session.execute(text("SELECT 1"))
            with pytest.raises(RuntimeError, match="committed with its last statement"):
                direct.rows(session, BY_CODE, {"code": "T-1"})
    assert _codes(db) == ["T-1"]
    for _ in range(3):  # whichever pooled connection: no guard left behind
        with db.write() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
            direct.rows_together(session, [_insert(f"T-{_ + 2}")])
    assert _codes(db) == ["T-1", "T-2", "T-3", "T-4"]


def test_the_sessions_own_changes_are_flushed_before_the_commit(db: Database) -> None:
    """An ORM object added in the unit of work is written before the COMMIT that ends it
    (left for the session's commit, it would come after: refused, and lost)."""
    with db.write() as session:
        session.add(
            Company(
                code="T-0",
                name="T-0 Ltd",
                base_currency="CNY",
                timezone="Asia/Shanghai",
                locale="zh-CN",
                country="CN",
                created_at=CREATED,
            )
        )
        direct.rows_together(session, [_insert("T-1")], commit=True)
    assert _codes(db) == ["T-0", "T-1"]


def test_a_failing_statement_stops_the_rest_and_nothing_is_written(db: Database) -> None:
    """The second insert breaks the unique code: raised as SQLAlchemy raises it; the third
    never runs; the unit of work's rollback undoes the first."""
    with pytest.raises(IntegrityError), db.write() as session:
        direct.rows_together(session, [_insert("T-1"), _insert("T-1"), _insert("T-2")])
    assert _codes(db) == []
    with db.write() as session:  # the connection is usable again
        direct.rows_together(session, [_insert("T-3")], commit=True)
    assert _codes(db) == ["T-3"]


def _deallocate_unseen(session: Session) -> None:
    """DEALLOCATE ALL on the session's connection, unseen by psycopg and by db.direct."""
    driver: Any = session.connection().connection.driver_connection
    assert driver.pgconn.exec_(b"DEALLOCATE ALL").status == psycopg.pq.ExecStatus.COMMAND_OK


def test_statements_deallocated_unseen_are_prepared_again(single: Database) -> None:
    """A round trip that begins the transaction is sent again, every statement prepared
    anew (the broken variant, without it, fails with 'prepared statement does not exist');
    later in a transaction, the round trip fails (the unit of work then fails as on any
    database error) and the next prepares them again."""
    with single.write() as session:
        direct.rows_together(session, [(BY_CODE, {"code": "x"})])  # prepared
        _deallocate_unseen(session)
    with _trips() as trips, single.write() as session:
        lock_first(session)  # the round trip begins the transaction
        found = direct.rows_together(session, [_insert("T-1"), (BY_CODE, {"code": "T-1"})])
    assert [tuple(row)[1:] for row in found[1]] == [("T-1", "CNY")]
    assert [trip[0] for trip in trips] == [b"BEGIN", b"ROLLBACK", b"BEGIN"]
    with single.write() as session:
        session.execute(text("SELECT 1"))  # the transaction begins here
        _deallocate_unseen(session)
        with pytest.raises(ProgrammingError, match="does not exist"):
            direct.rows_together(session, [(BY_CODE, {"code": "T-1"})])
        session.rollback()
    with single.write() as session:
        session.execute(text("SELECT 1"))
        assert len(direct.rows_together(session, [(BY_CODE, {"code": "T-1"})])[0]) == 1
    assert _codes(single) == ["T-1"]


def test_after_a_rollback_the_statements_are_prepared_again_at_once(single: Database) -> None:
    """psycopg deallocates every prepared statement when it rolls back (once it has prepared
    one of its own): the next round trip prepares db.direct's again, without a failed try
    first (the broken variant, not forgetting them at the rollback, takes three)."""
    with single.write() as session:
        direct.rows_together(session, [(BY_CODE, {"code": "x"})])
        for _ in range(6):  # psycopg prepares a statement run five times
            session.execute(text("SELECT 1"))
        session.rollback()
    with _trips() as trips, single.write() as session:
        assert direct.rows_together(session, [(BY_CODE, {"code": "x"})]) == [[]]
    assert len(trips) == 1


def test_without_prepared_statements_the_statements_are_unnamed(single: Database) -> None:
    """psycopg told to prepare nothing (prepare_threshold=None, behind a transaction-pooling
    proxy): db.direct prepares nothing either."""
    with single.write() as session:
        driver: Any = session.connection().connection.driver_connection
        driver.prepare_threshold = None
        try:
            direct.forget_prepared(driver)
            with _trips():
                found = direct.rows_together(session, [_insert("T-1"), (COUNT, {"tag": "n"})])
            names = session.execute(
                text("SELECT name FROM pg_prepared_statements WHERE name LIKE 'creditguard_%'")
            ).all()
        finally:
            driver.prepare_threshold = 5
    assert [tuple(row) for row in found[1]] == [(1, "n")]
    assert names == []


def test_generic_plans_from_the_first_execution(db: Database) -> None:
    """generic=True: the statement runs on its generic plan at once (PostgreSQL plans a
    custom plan for each of a prepared statement's first five executions, and for ever
    after where it finds the generic plan dearer: the control), and only these statements:
    the next run in the transaction is planned as usual again."""
    if db.dialect != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    plans = text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = :name"
    )
    with db.write() as session:
        plain = direct.compiled(BY_CODE, session.get_bind().dialect)
        assert plain is not None
        direct.forget_prepared(session.connection().connection.driver_connection)
        for _ in range(3):
            direct.rows_together(session, [(BY_CODE, {"code": "x"})])
        custom = session.execute(plans, {"name": plain.name.decode()}).one()
        for _ in range(3):
            direct.rows_together(session, [(BY_CODE, {"code": "x"})], generic=True)
        generic = session.execute(plans, {"name": plain.name.decode()}).one()
        direct.rows_together(session, [(BY_CODE, {"code": "x"})])
        after = session.execute(plans, {"name": plain.name.decode()}).one()
    assert tuple(custom) == (0, 3)
    assert tuple(generic) == (3, 3)
    assert tuple(after) == (3, 4)


def test_a_connection_lost_in_a_round_trip_is_raised_and_replaced(single: Database) -> None:
    """The server gone mid-unit: SQLAlchemy's OperationalError (which the API answers as a
    retryable 503) at once, the connection invalidated, and the next unit of work on a new
    one. The broken variant, psycopg's own error let through, fails at the raise."""
    with single.write() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with _other_connection(single) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(OperationalError) as raised:
            direct.rows_together(session, [(BY_CODE, {"code": "x"}), (COUNT, {"tag": "n"})])
        assert raised.value.connection_invalidated
        session.rollback()
    with single.write() as session:
        assert direct.rows_together(session, [(BY_CODE, {"code": "x"})]) == [[]]


class _CountingLibpq:
    """The process's libpq, its pipeline syncs counted."""

    def __init__(self, library: Any) -> None:
        self.library = library
        self.syncs = 0

    def PQpipelineSync(self, pointer: int) -> int:  # noqa: N802 - libpq's name
        self.syncs += 1
        result: int = self.library.PQpipelineSync(pointer)
        return result


def test_each_round_trip_is_sent_through_libpq_with_the_gil_released(single: Database) -> None:
    """The sync that sends a round trip goes through ctypes (a CDLL's calls release the GIL;
    psycopg's hold it while the kernel may run PostgreSQL's backend on this core), on the
    very libpq psycopg runs on. Broken variants tried: the library not found (None), and
    psycopg's own sync kept (no call counted)."""
    if sys.platform != "linux":
        pytest.skip("the loaded libpq is found in /proc/self/maps")
    assert isinstance(direct.LIBPQ, ctypes.CDLL)
    assert not isinstance(direct.LIBPQ, ctypes.PyDLL)  # a PyDLL would keep the GIL
    loaded = {
        line.split(maxsplit=5)[5].strip()
        for line in Path("/proc/self/maps").read_text().splitlines()
        if "/libpq" in line
    }
    assert loaded == {direct.LIBPQ._name}
    counting = _CountingLibpq(direct.LIBPQ)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(direct, "LIBPQ", counting)
        with _trips() as trips, single.write() as session:
            direct.rows_together(session, [(BY_CODE, {"code": "x"}), (COUNT, {"tag": "n"})])
            direct.rows_together(session, [(COUNT, {"tag": "m"})], commit=True)
    assert len(trips) == 2
    assert counting.syncs == 2


def test_without_the_library_psycopg_sends_the_round_trip(single: Database) -> None:
    """Where the libpq cannot be told (not Linux, two loaded), psycopg's own sync."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(direct, "LIBPQ", None)
        with single.write() as session:
            found = direct.rows_together(session, [(BY_CODE, {"code": "x"}), (COUNT, {"tag": "n"})])
    assert found == [[], [(0, "n")]]


@pytest.mark.parametrize(
    ("through", "why"),
    [
        ("ctypes", "sending pipeline sync failed: cannot send pipeline when not in pipeline mode"),
        ("psycopg", "connection not in pipeline mode"),  # psycopg's own check, before libpq's
    ],
)
def test_a_refused_sync_is_an_error_naming_why(single: Database, through: str, why: str) -> None:
    """Either way, a sync refused is psycopg's OperationalError with the reason."""
    with pytest.MonkeyPatch.context() as patch:
        if through == "psycopg":
            patch.setattr(direct, "LIBPQ", None)
        with (
            _other_connection(single) as connection,  # not in pipeline mode: refused
            pytest.raises(psycopg.OperationalError) as raised,
        ):
            direct._sync(connection.pgconn)
    assert str(raised.value) == why


def _begun(trips: list[list[bytes]]) -> list[list[bytes]]:
    """``trips`` with each BEGIN as plain BEGIN (a pooled connection may name its level)."""
    return [[b"BEGIN" if c.startswith(b"BEGIN") else c for c in trip] for trip in trips]


def _compiled_name(statement: Any, db: Database) -> bytes:
    with db.read() as session:
        plain = direct.compiled(statement, session.connection().dialect)
    assert plain is not None
    return plain.name


def test_statements_queued_ahead_run_first_in_the_next_round_trip(db: Database) -> None:
    """db.direct.ahead: sent with the next round trip, after its BEGIN and before its own
    statements (the second sees the row the queued one wrote), their rows apart."""
    if db.dialect != "postgresql":
        pytest.skip("round trips are PostgreSQL's")
    with _trips() as trips, db.write() as session:
        lock_first(session)
        pending = direct.ahead(session, [_insert("A-1")])
        sent = [pending.rows is not None]
        (counted,) = direct.rows_together(session, [(COUNT, {"tag": "n"})])
    assert [*sent, pending.rows is not None] == [False, True]
    assert [[code for _, code in rows] for rows in pending.rows or []] == [["A-1"]]
    assert [tuple(row) for row in counted] == [(1, "n")]
    names = [_compiled_name(INSERT_RETURNING, db), _compiled_name(COUNT, db)]
    assert _begun(trips) == [[b"BEGIN", *names]]
    assert _codes(db) == ["A-1"]


def test_statements_queued_ahead_run_before_a_statement_sqlalchemy_sends(db: Database) -> None:
    """A statement through SQLAlchemy first: the queued ones are sent before it, in a round
    trip of their own; a unit that sends nothing drops them (rows None, nothing written)."""
    if db.dialect != "postgresql":
        pytest.skip("round trips are PostgreSQL's")
    with _trips() as trips, db.write() as session:
        lock_first(session)
        pending = direct.ahead(session, [_insert("A-2")])
        seen = session.scalar(select(func.count(Company.id)).where(Company.code == "A-2"))
    assert (seen, pending.rows is not None) == (1, True)
    assert _begun(trips) == [[b"BEGIN", _compiled_name(INSERT_RETURNING, db)]]
    with db.write() as session:
        dropped = direct.ahead(session, [_insert("A-3")])
    assert dropped.rows is None
    assert _codes(db) == ["A-2"]
