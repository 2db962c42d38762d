"""Hot statements run straight on the driver: written and compiled by SQLAlchemy, sent by psycopg.

SQLAlchemy's execution path costs about 0.15 ms of CPU per statement (compiled-cache look-up,
parameter construction, execution context, result metadata): on an order credit check, whose
four statements each take PostgreSQL ~0.1 ms, that is more than the database's work. For a
statement built once (a module-level Core statement), :func:`rows` compiles it once per dialect
and, on PostgreSQL, sends it with its parameters on the session's own psycopg connection —
the same connection, inside the same transaction — as a round trip of one statement (below:
prepared on each connection once, libpq's own calls, the GIL released while it is sent; about
half the CPU of psycopg's ``cursor.execute``). Anything the driver would not do alone makes
the statement go through SQLAlchemy as usual: a bound value or result column whose type
processes values in Python (other than a bind processor, which is applied here), an
expanding (IN list) or literal-execute parameter (write ``a = x OR a = y`` for a constant
list).
SQLite always goes through SQLAlchemy (its dates and times are converted by SQLAlchemy).

Round trips. :func:`rows_together` sends several statements in one round trip (libpq's
pipeline mode, driven here without psycopg's Python pipeline, whose machinery cost more CPU
than the round trips it saved): each statement runs after the one before it has finished,
as if sent alone, and the first that fails aborts the rest. A transaction not yet begun on
the server begins in the same round trip (its BEGIN first, which psycopg would otherwise send
alone), and ``commit=True`` ends it there (COMMIT last): the unit of work's commit then finds
nothing left to do. Nothing may run in that session after such a commit but the commit
itself (:data:`COMMITTED`). Statements sent this way are prepared on each connection once, as
psycopg prepares a statement it sees often. The round trip is sent with the GIL released
(:data:`LIBPQ`): psycopg's call would hold it while the kernel runs PostgreSQL's backend.
"""

from __future__ import annotations

import ctypes
import re
import weakref
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Any

import psycopg
from psycopg import generators, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq.misc import error_message
from sqlalchemy import Dialect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable, ReturnsRows

# Set in a connection's info once rows_together committed its transaction, until SQLAlchemy
# commits or rolls back (db.engine): a statement in between would run in a new transaction.
COMMITTED = "creditguard_committed"


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as PostgreSQL SQL with named (pyformat) parameters, and numbered."""

    sql: str
    constants: Mapping[str, Any]  # values SQLAlchemy bound itself (literals in the statement)
    processors: Mapping[str, Callable[[Any], Any]]  # bind processors of the caller's values
    numbered: bytes  # the SQL with $1, $2 ... for a prepared statement
    order: tuple[str, ...]  # the parameter each number stands for
    name: bytes  # the prepared statement's name, on every connection


_compiled: dict[tuple[int, str], tuple[Executable, Compiled | None]] = {}
_names = count(1)
_PARAMETER = re.compile(r"%\(([^)]+)\)s|%%")


def compiled(statement: Executable, dialect: Dialect) -> Compiled | None:
    """``statement`` compiled for ``dialect``, once; None when the driver cannot run it alone."""
    key = (id(statement), dialect.name)
    found = _compiled.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    plain = _compile(statement, dialect)
    _compiled[key] = (statement, plain)  # the statement kept alive: its id stays its own
    return plain


def _compile(statement: Executable, dialect: Dialect) -> Compiled | None:
    if dialect.name != "postgresql" or not isinstance(statement, ReturnsRows):
        return None
    if not statement.exported_columns:  # no rows to fetch (a DML statement without RETURNING)
        return None
    for column in statement.exported_columns:
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            return None
    done = statement.compile(dialect=dialect)
    if any(b.expanding or b.literal_execute or b.callable for b in done.bind_names):
        return None
    constants: dict[str, Any] = {}
    processors: dict[str, Callable[[Any], Any]] = {}
    for bind, name in done.bind_names.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if not bind.required:  # a value written into the statement
            constants[name] = bind.value if processor is None else processor(bind.value)
        elif processor is not None:
            processors[name] = processor
    numbered, order = _numbered(done.string)
    if set(order) != set(done.bind_names.values()):
        return None
    name = f"creditguard_{next(_names)}"
    return Compiled(done.string, constants, processors, numbered.encode(), order, name.encode())


def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its pyformat parameters numbered ($1 for the first name, again wherever
    that name is), and the names in their numbers' order."""
    order: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        name = found.group(1)
        if name is None:  # %% is a percent sign
            return "%"
        return f"${order.setdefault(name, len(order) + 1)}"

    return _PARAMETER.sub(number, sql), tuple(order)


def rows(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """Every row ``statement`` returns with ``params``, in the session's transaction (begun
    in the same round trip when it is the transaction's first statement)."""
    connection = session.connection()
    plain = compiled(statement, connection.dialect)
    if plain is None:
        return connection.execute(statement, dict(params)).all()
    check_open(connection)
    driver: Any = connection.connection.driver_connection
    (found,) = _together(connection, driver, [(plain, params)], begin=_begins(driver), commit=False)
    return found


Step = tuple[Executable, Mapping[str, Any]]
GENERIC_PLANS = b"SET LOCAL plan_cache_mode = force_generic_plan"
USUAL_PLANS = b"SET LOCAL plan_cache_mode TO DEFAULT"  # as the session began (configuration)
# libpq closes a prepared statement in a pipeline from 17 (the libpq loaded: once a process)
CLOSES_IN_PIPELINE = pq.version() >= 170000


def rows_together(
    session: Session, steps: Sequence[Step], *, commit: bool = False, generic: bool = False
) -> list[Sequence[Sequence[Any]]]:
    """The rows of each statement, run one after another in the session's transaction.

    PostgreSQL: all in one round trip, with the transaction's BEGIN when it has not begun,
    and with ``commit=True`` its COMMIT (the session must then run nothing more before its
    own commit, which sends nothing). SQLite, or a statement the driver cannot run alone:
    one :func:`rows` after another, and the session's commit commits.

    ``generic=True``: PostgreSQL runs these statements on their generic plans (``SET LOCAL
    plan_cache_mode`` before them, and back to the session's setting after), planned once
    per connection. For a statement over arrays (``unnest``), it otherwise estimates a generic
    plan dearer than the plan for the arrays given, and plans every execution again (for the
    facts of a unit of checks, 0.6 ms: four times their execution)."""
    if not steps:
        return []
    if commit and (session.new or session.dirty or session.deleted):
        session.flush()  # the unit's ORM changes before its COMMIT, not after
    connection = session.connection()
    plains = [compiled(statement, connection.dialect) for statement, _ in steps]
    if any(plain is None for plain in plains):
        return [rows(session, statement, params) for statement, params in steps]
    check_open(connection)
    driver: Any = connection.connection.driver_connection
    planned = [(plain, params) for plain, (_, params) in zip(plains, steps, strict=True) if plain]
    begin = _begins(driver)
    found = _together(connection, driver, planned, begin=begin, commit=commit, generic=generic)
    if commit:
        connection.info[COMMITTED] = True
    return found


# Statements queued on a connection (in its info) for its next round trip (:func:`ahead`).
AHEAD = "creditguard_ahead"


@dataclass(slots=True)
class Ahead:
    """Statements sent with a session's next round trip, first after its BEGIN; their rows
    once that round trip has run (None before, and when it failed)."""

    planned: list[tuple[Compiled, Mapping[str, Any]]]
    rows: list[Sequence[Sequence[Any]]] | None = None


def ahead(session: Session, steps: Sequence[Step]) -> Ahead:
    """Queue ``steps`` to be sent with the next round trip of the session's transaction
    (PostgreSQL), first after its BEGIN: a statement whose rows are wanted only after that
    round trip costs none of its own. That is the next :func:`rows` or :func:`rows_together`;
    a statement SQLAlchemy sends first sends them before it, in a round trip of their own
    (:func:`send_ahead`, from the engine's ``before_cursor_execute``), so they always run
    first. Nothing is sent when the transaction ends first (the rows stay None): the caller
    must read them before relying on what the statements did."""
    connection = session.connection()
    check_open(connection)
    planned: list[tuple[Compiled, Mapping[str, Any]]] = []
    for statement, params in steps:
        plain = compiled(statement, connection.dialect)
        if plain is None:
            raise ValueError(f"the driver cannot run this statement alone: {statement}")
        planned.append((plain, params))
    pending = Ahead(planned)
    connection.info.setdefault(AHEAD, []).append(pending)
    return pending


def send_ahead(connection: Connection) -> None:
    """Send what :func:`ahead` queued on this connection, if anything, in a round trip of its
    own (with the transaction's BEGIN when it has not begun)."""
    if not connection.info.get(AHEAD):
        return
    driver: Any = connection.connection.driver_connection
    _together(connection, driver, [], begin=_begins(driver), commit=False)


def check_open(connection: Connection) -> None:
    """Refuse a statement in a unit of work already committed with its last statement."""
    if connection.info.get(COMMITTED, False):
        raise RuntimeError("the unit of work was committed with its last statement (db.direct)")


def _begin(driver: Any) -> bytes:
    """The BEGIN psycopg sends first in this connection's transactions (with the isolation
    level, read-only and deferrable settings the connection has, as psycopg words them)."""
    parts = [b"BEGIN"]
    if driver.isolation_level is not None:
        level = psycopg.IsolationLevel(driver.isolation_level).name.replace("_", " ")
        parts += [b"ISOLATION LEVEL", level.encode()]
    if driver.read_only is not None:
        parts.append(b"READ ONLY" if driver.read_only else b"READ WRITE")
    if driver.deferrable is not None:
        parts.append(b"DEFERRABLE" if driver.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _begins(driver: Any) -> bool:
    """Whether the next statement begins a transaction (psycopg would send BEGIN first)."""
    idle = driver.pgconn.transaction_status == pq.TransactionStatus.IDLE
    return idle and not driver.autocommit


# The statements each connection has prepared (by name); a connection is a psycopg one.
_prepared: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()


def forget_prepared(driver: Any) -> None:
    """Forget what ``driver`` (a psycopg connection) has prepared here: psycopg deallocates
    every prepared statement of a connection when it rolls a transaction back (and after
    DDL), so the next round trip prepares them again."""
    _prepared.pop(driver, None)


def _together(
    connection: Connection,
    driver: Any,
    planned: Sequence[tuple[Compiled, Mapping[str, Any]]],
    *,
    begin: bool,
    commit: bool,
    generic: bool = False,
) -> list[Sequence[Sequence[Any]]]:
    """Send ``planned`` in one round trip (with BEGIN first and COMMIT last as asked) and
    read their rows; the first error raised as SQLAlchemy raises a driver's error.

    A statement thought prepared but gone from the server (deallocated by something we did
    not see) fails its round trip; when that round trip began the transaction, nothing else
    ran in it: it is rolled back and sent once more, every statement prepared again."""
    transformer = Transformer(driver)
    waiting: list[Ahead] = connection.info.pop(AHEAD, [])
    first = [step for pending in waiting for step in pending.planned]
    arguments = []
    for plain, params in [*first, *planned]:
        values = _values(plain, params)
        ordered = [values[name] for name in plain.order]
        arguments.append(_dumped(transformer, ordered))
    head = [Command(_begin(driver))] if begin else []
    middle = [Command(GENERIC_PLANS)] if generic else []
    tail = [Command(USUAL_PLANS)] if generic else []  # for these statements only
    if commit:
        tail.append(Command(b"COMMIT"))

    def commands_of(prepared: set[bytes]) -> list[Command]:
        sent = _statements(driver, [*first, *planned], arguments, prepared)
        return [*head, *sent[: len(first)], *middle, *sent[len(first) :], *tail]

    with driver.lock, _lost(connection, driver):
        prepared = _prepared.setdefault(driver, set())
        commands = commands_of(prepared)
        results = _exchange(driver, commands)
        failure = _failure(driver, commands, results, prepared)
        if failure is not None and isinstance(failure[1], psycopg.errors.InvalidSqlStatementName):
            prepared.clear()  # prepared again next time
            if begin:  # nothing else ran in the transaction: again, at once
                _exchange(driver, [Command(b"ROLLBACK")])
                commands = commands_of(prepared)
                results = _exchange(driver, commands)
                failure = _failure(driver, commands, results, prepared)
    if failure is not None:
        command, error = failure
        sql = command.plain.sql if command.plain is not None else command.sql.decode()
        raise DBAPIError.instance(
            sql, command.params, error, psycopg.Error, dialect=connection.dialect
        ) from error
    found: list[Sequence[Sequence[Any]]] = []
    for command, (_, result) in zip(commands, results, strict=True):
        if command.plain is not None and result is not None:
            transformer.set_pgresult(result)
            found.append(transformer.load_rows(0, result.ntuples, tuple))
    for pending in waiting:  # the statements queued ahead came first
        pending.rows, found = found[: len(pending.planned)], found[len(pending.planned) :]
    return found


def _statements(
    driver: Any,
    planned: Sequence[tuple[Compiled, Mapping[str, Any]]],
    arguments: Sequence[Sequence[Any]],
    prepared: set[bytes],
) -> list[Command]:
    """The commands running ``planned``: each a prepared statement (prepared first where the
    connection has not yet: closed, then prepared, so that a statement still there is no
    error), or unnamed where psycopg prepares nothing on this connection
    (``prepare_threshold=None``, as behind a transaction-pooling proxy) or libpq cannot close
    a statement in a pipeline (before libpq 17)."""
    if driver.prepare_threshold is None or not CLOSES_IN_PIPELINE:
        return [
            Command(plain.numbered, dumped, plain=plain)
            for (plain, _), dumped in zip(planned, arguments, strict=True)
        ]
    return [
        Command(plain.numbered, dumped, plain.name, plain.name not in prepared, plain)
        for (plain, _), dumped in zip(planned, arguments, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Command:
    """A statement of a round trip: its SQL and parameters (text; None: a command such as
    BEGIN), the name it is prepared under (empty: unnamed) and whether to prepare it first,
    and the statement whose rows it returns (None: a command)."""

    sql: bytes
    params: Sequence[Any] | None = None
    name: bytes = b""
    prepare: bool = False
    plain: Compiled | None = None


Result = tuple[pq.abc.PGresult | None, pq.abc.PGresult | None]  # the preparation's, the run's


@contextmanager
def _lost(connection: Connection, driver: Any) -> Iterator[None]:
    """A driver's error in the middle of a round trip (the connection lost, say) raised as
    SQLAlchemy raises it; a connection left broken, or in pipeline mode with results unread,
    is invalidated: the pool replaces it."""
    try:
        yield
    except psycopg.Error as error:
        lost = driver.broken or driver.pgconn.pipeline_status != pq.PipelineStatus.OFF
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            None,
            None,
            error,
            psycopg.Error,
            connection_invalidated=lost,
            dialect=connection.dialect,
        ) from error


def _exchange(driver: Any, commands: Sequence[Command]) -> list[Result]:
    """One round trip: each command's results, in libpq's pipeline mode."""
    pgconn = driver.pgconn
    pgconn.enter_pipeline_mode()
    for command in commands:
        formats = None if command.params is None else [pq.Format.TEXT] * len(command.params)
        if command.prepare:
            pgconn.send_close_prepared(command.name)  # none there is no error
            pgconn.send_prepare(command.name, command.sql)
        if command.name:
            pgconn.send_query_prepared(command.name, command.params, param_formats=formats)
        else:
            pgconn.send_query_params(command.sql, command.params, param_formats=formats)
    _sync(pgconn)
    results: list[Result] = driver.wait(_read(pgconn, commands))
    pgconn.exit_pipeline_mode()  # every result read: out of it (else see _lost)
    return results


def _libpq() -> Any:
    """The libpq psycopg runs on, through ctypes (whose calls release the GIL); None where it
    cannot be told for sure (not Linux, or more than one libpq loaded): psycopg's own call."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            fields = [line.split(maxsplit=5) for line in maps]
    except OSError:
        return None
    paths = {
        found[5].strip()
        for found in fields
        if len(found) == 6 and found[5].strip().rpartition("/")[2].startswith("libpq")
    }
    if len(paths) != 1:
        return None
    try:
        library = ctypes.CDLL(paths.pop())
    except OSError:  # the file replaced since it was loaded (" (deleted)")
        return None
    library.PQlibVersion.restype = ctypes.c_int
    if library.PQlibVersion() != pq.version():  # another libpq than psycopg's: not ours
        return None
    library.PQpipelineSync.argtypes = [ctypes.c_void_p]
    library.PQpipelineSync.restype = ctypes.c_int
    return library


# psycopg calls libpq holding the GIL. PQpipelineSync sends the round trip: on loopback the
# kernel hands the bytes to PostgreSQL's backend within that call, and often runs the backend
# at once on this core, so the sending thread holds the GIL, descheduled, until the backend
# yields: the event loop (and every other request) waits meanwhile. Measured at 500 checks/s:
# a quarter of the API process's GIL time was in that one call. Sent through ctypes, the GIL
# is released for it.
LIBPQ: Any = _libpq()


def _sync(pgconn: Any) -> None:
    """End the round trip's commands and send them all (PQpipelineSync), the GIL released."""
    if LIBPQ is None:
        pgconn.pipeline_sync()
        return
    if LIBPQ.PQpipelineSync(pgconn.pgconn_ptr) != 1:
        raise psycopg.OperationalError(f"sending pipeline sync failed: {error_message(pgconn)}")


def _read(pgconn: Any, commands: Sequence[Command]) -> Generator[Any, Any, list[Result]]:
    yield from generators.send(pgconn)
    results: list[Result] = []
    for command in commands:
        ready = None
        if command.prepare:
            (closed,) = yield from generators.fetch_many(pgconn)
            (ready,) = yield from generators.fetch_many(pgconn)
            if closed.status == pq.ExecStatus.FATAL_ERROR:
                ready = closed
        (result,) = yield from generators.fetch_many(pgconn)
        results.append((ready, result))
    yield from generators.fetch_many(pgconn)  # the sync's
    return results


def _failure(
    driver: Any, commands: Sequence[Command], results: Sequence[Result], prepared: set[bytes]
) -> tuple[Command, psycopg.Error] | None:
    """The round trip's error (its first: what follows it is aborted) and the command that
    raised it, if any; the statements it prepared are noted."""
    for command, (ready, result) in zip(commands, results, strict=True):
        if ready is not None and ready.status == pq.ExecStatus.COMMAND_OK:
            prepared.add(command.name)
        for one in (ready, result):
            if one is not None and one.status == pq.ExecStatus.FATAL_ERROR:
                return command, psycopg.errors.error_from_result(one, encoding=driver.info.encoding)
    return None


def _dumped(transformer: Any, values: Sequence[Any]) -> Sequence[Any]:
    """``values`` as libpq's text parameters: a list of plain values (:func:`array_text`)
    written here, everything else dumped by psycopg. psycopg's list dumper looks up the
    elements' type and its dumper on every call: ~4 µs an array, and a unit of checks sends
    some twenty arrays."""
    arrays: dict[int, bytes] = {}
    for index, value in enumerate(values):
        if type(value) is list:
            text = array_text(value, transformer.encoding)
            if text is not None:
                arrays[index] = text
    if not arrays:
        dumped: Sequence[Any] = transformer.dump_sequence(values, [PyFormat.TEXT] * len(values))
        return dumped
    rest = [value for index, value in enumerate(values) if index not in arrays]
    others = iter(transformer.dump_sequence(rest, [PyFormat.TEXT] * len(rest)))
    return [arrays[index] if index in arrays else next(others) for index in range(len(values))]


def array_text(items: Sequence[Any], encoding: str) -> bytes | None:
    """A one-dimensional list of int, bool, str, date or None as PostgreSQL reads an array
    (every string quoted, its backslashes and double quotes escaped; None as NULL); None for
    any other element (psycopg dumps that list)."""
    parts: list[str] = []
    for item in items:
        kind = type(item)
        if item is None:
            parts.append("NULL")
        elif kind is int:
            parts.append(str(item))
        elif kind is str:
            parts.append('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif kind is bool:
            parts.append("t" if item else "f")
        elif kind is date:
            parts.append(item.isoformat())
        else:
            return None
    return ("{" + ",".join(parts) + "}").encode(encoding)


def _values(plain: Compiled, params: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(plain.constants)
    for name, value in params.items():
        processor = plain.processors.get(name)
        values[name] = value if processor is None else processor(value)
    return values
