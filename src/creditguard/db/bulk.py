"""Batches in one round trip on PostgreSQL: INSERT/UPDATE from unnest() of one array per column.

The SQL text depends only on the table and its columns, so nothing is compiled per batch and
the server can keep its plan; SQLite (in-process) keeps the driver's executemany.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, bindparam, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator


def _raw(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _arrays(
    session: Session, columns: Sequence[Column[Any]], rows: Sequence[Sequence[Any]]
) -> list[list[Any]]:
    dialect = session.get_bind().dialect
    arrays: list[list[Any]] = []
    for i, col in enumerate(columns):
        values = [row[i] for row in rows]
        if isinstance(col.type, TypeDecorator):
            values = [col.type.process_bind_param(v, dialect) for v in values]
        arrays.append(values)
    return arrays


def _unnest(session: Session, columns: Sequence[Column[Any]]) -> str:
    dialect = session.get_bind().dialect
    casts = [f"%s::{col.type.compile(dialect=dialect)}[]" for col in columns]
    return f"unnest({', '.join(casts)})"


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_existing: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (dicts with the same keys) in one statement on PostgreSQL.

    With ``skip_existing`` (the columns of a unique key), rows already there are left alone.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        stmt = sqlite_insert(table)
        if skip_existing:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(skip_existing))
        session.execute(stmt, list(rows))
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM {_unnest(session, columns)}"  # noqa: S608 - identifiers from our Table
    if skip_existing:
        sql += f" ON CONFLICT ({', '.join(skip_existing)}) DO NOTHING"
    _raw(session).execute(sql, _arrays(session, columns, [[r[n] for n in names] for r in rows]))


def add_to_rows(
    session: Session,
    table: Table,
    keys: Sequence[str],
    increments: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    counter: str | None = None,
) -> None:
    """``UPDATE table SET x = x + v.x`` for every row of ``rows`` (keys, then increments)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        _add_executemany(session, table, keys, increments, rows, counter=counter)
        return
    names = [*keys, *increments]
    columns = [table.c[name] for name in names]
    sets = [f"{name} = t.{name} + v.{name}" for name in increments]
    if counter is not None:
        sets.append(f"{counter} = t.{counter} + 1")
    match = " AND ".join(f"t.{k} = v.{k}" for k in keys)
    sql = (
        f"UPDATE {table.name} AS t SET {', '.join(sets)} "  # noqa: S608 - identifiers from our Table
        f"FROM {_unnest(session, columns)} AS v({', '.join(names)}) WHERE {match}"
    )
    _raw(session).execute(sql, _arrays(session, columns, rows))


def _add_executemany(
    session: Session,
    table: Table,
    keys: Sequence[str],
    increments: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    counter: str | None,
) -> None:
    values: dict[Any, Any] = {name: table.c[name] + bindparam(f"d_{name}") for name in increments}
    if counter is not None:
        values[counter] = table.c[counter] + 1
    stmt = update(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys)).values(values)
    names = [f"k_{k}" for k in keys] + [f"d_{n}" for n in increments]
    session.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])
