"""Engines and units of work for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from creditguard.db import direct

READONLY = "creditguard_readonly"
# A write transaction whose first statement locks rows (SELECT ... FOR UPDATE); see lock_first.
LOCKS_FIRST = "creditguard_locks_first"
IDLE = TransactionStatus.IDLE


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN IMMEDIATE can serialise
        # writers up front (no lock upgrade deadlocks between two writers).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get(READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes its transaction id before it draws any id from a sequence, so a
        # reader that sees it in progress (pg_current_snapshot) knows its rows will carry ids
        # above what that reader's previous snapshot held (see analytics.snapshot).
        options = connection.get_execution_options()
        if options.get(READONLY, False) or options.get("isolation_level") == "AUTOCOMMIT":
            return
        if options.get(LOCKS_FIRST, False):  # its first statement takes the id (lock_first)
            return
        connection.exec_driver_sql("SELECT pg_current_xact_id()")

    @event.listens_for(engine, "before_cursor_execute")
    def _not_after_commit(connection: Any, *_: Any) -> None:
        # a unit of work committed with its last statement (db.direct.rows_together): a
        # statement now would run in a transaction of its own, apart from the unit's
        direct.check_open(connection)
        direct.send_ahead(connection)  # statements queued to run first run first

    @event.listens_for(engine, "commit")
    def _committed(connection: Any) -> None:
        connection.info.pop(direct.COMMITTED, None)
        connection.info.pop(direct.AHEAD, None)  # never sent: its rows stay None

    @event.listens_for(engine, "rollback")
    def _rolled_back(connection: Any) -> None:
        if connection.invalidated:  # its connection is gone, with all it held
            return
        connection.info.pop(direct.COMMITTED, None)
        connection.info.pop(direct.AHEAD, None)
        driver = connection.connection.driver_connection
        if driver.pgconn.transaction_status != IDLE:  # psycopg deallocates all it prepared
            direct.forget_prepared(driver)


# The statement a writer runs first to take its transaction id (see _configure_postgresql).
TAKE_ID = select(func.pg_current_xact_id())


def lock_first(session: Session) -> None:
    """Declare that the session's unit of work begins by locking rows (SELECT ... FOR UPDATE).

    PostgreSQL gives a transaction its id when it first locks or writes a row, so such a
    transaction has its id before it can draw one from a sequence: the ``SELECT
    pg_current_xact_id()`` every other writer runs at BEGIN (one round trip) is not needed.
    Called once the session's transaction already has its connection, it changes nothing (the
    id was taken at BEGIN then). A unit of work whose first statement writes may declare the
    same if it sends :data:`TAKE_ID` first, in the same round trip
    (:func:`creditguard.db.direct.rows_together`).
    """
    session.execution_options = session.execution_options.union({LOCKS_FIRST: True})


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # A ping per checkout doubles the round trips of a short request; recycle instead, and let
    # a dropped connection surface as a retryable error.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


class Database:
    """One engine and its session factories. ``write()`` commits on success, rolls back on error."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._readonly = sessionmaker(
            self.engine.execution_options(**{READONLY: True}),
            expire_on_commit=False,
            autoflush=False,
        )
        self._autocommit = (
            sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"))
            if self.engine.dialect.name == "postgresql"
            else None
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work: everything inside commits together, or nothing does."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._readonly() as session, session.begin():
            yield session

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A session for one-statement reads: no BEGIN/COMMIT round trips on PostgreSQL."""
        if self._autocommit is None:
            with self.read() as session:
                yield session
            return
        with self._autocommit() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
