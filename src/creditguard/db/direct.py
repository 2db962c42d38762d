"""Hot statements run straight on the driver: written and compiled by SQLAlchemy, sent by psycopg.

SQLAlchemy's execution path costs about 0.15 ms of CPU per statement (compiled-cache look-up,
parameter construction, execution context, result metadata): on an order credit check, whose
four statements each take PostgreSQL ~0.1 ms, that is more than the database's work. For a
statement built once (a module-level Core statement), :func:`rows` compiles it once per dialect
and, on PostgreSQL, hands the SQL text and parameters to the session's own psycopg connection —
the same connection, inside the same transaction, with psycopg's usual prepared-statement
cache. Anything the driver would not do alone makes the statement go through SQLAlchemy as
usual: a bound value or result column whose type processes values in Python (other than a
bind processor, which is applied here), an expanding (IN list) or literal-execute parameter
(write ``a = x OR a = y`` for a constant list).
SQLite always goes through SQLAlchemy (its dates and times are converted by SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable, ReturnsRows


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as PostgreSQL SQL with named (pyformat) parameters."""

    sql: str
    constants: Mapping[str, Any]  # values SQLAlchemy bound itself (literals in the statement)
    processors: Mapping[str, Callable[[Any], Any]]  # bind processors of the caller's values


_compiled: dict[tuple[int, str], tuple[Executable, Compiled | None]] = {}


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
    return Compiled(done.string, constants, processors)


def rows(
    session: Session, statement: Executable, params: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """Every row ``statement`` returns with ``params``, in the session's transaction."""
    connection = session.connection()
    plain = compiled(statement, connection.dialect)
    if plain is None:
        return connection.execute(statement, dict(params)).all()
    driver: Any = connection.connection.driver_connection
    result: list[Sequence[Any]] = driver.execute(plain.sql, _values(plain, params)).fetchall()
    return result


def _values(plain: Compiled, params: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(plain.constants)
    for name, value in params.items():
        processor = plain.processors.get(name)
        values[name] = value if processor is None else processor(value)
    return values
