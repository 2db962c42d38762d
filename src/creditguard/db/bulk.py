"""Batches in one round trip on PostgreSQL: INSERT/UPDATE from unnest() of one array per column.

The SQL text depends only on the table and its columns, so nothing is compiled per batch and
the server can keep its plan; SQLite (in-process) keeps the driver's executemany.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

import polars as pl
import psycopg
from sqlalchemy import ARRAY, Column, Table, bindparam, func, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import FromClause, TableValuedAlias
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


def unnested(table: FromClause, names: Sequence[str], alias: str = "given") -> TableValuedAlias:
    """``unnest(:a, :b, ...) AS given(a, b, ...)`` as a Core FROM: one array parameter per
    column of ``table`` named in ``names``, each named and typed as its column (an array of
    it), for a statement built once that reads many rows from one set of parameters."""
    return (
        func.unnest(*[bindparam(name, type_=ARRAY(table.c[name].type)) for name in names])
        .table_valued(*names)
        .render_derived(alias)
    )


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


def add_staged(  # noqa: PLR0913 - a statement's parts
    session: Session,
    table: Table,
    fixed: dict[str, Any],
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    increments: Sequence[str],
    counter: str,
) -> None:
    """Many rows of ``x = x + delta``, set-wise: the deltas go into a temporary table (COPY on
    PostgreSQL), missing rows are made from ``fixed`` (the other key columns and zeros), and
    one UPDATE ... FROM adds them. ``rows`` are keys then increments."""
    raw = _raw(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    names = [*keys, *increments]
    raw.execute("DROP TABLE IF EXISTS bulk_deltas")
    if postgres:  # the columns' own types
        raw.execute(
            f"CREATE TEMP TABLE bulk_deltas AS SELECT {', '.join(names)} FROM {table.name} "  # noqa: S608 - identifiers from our Table
            "WITH NO DATA"
        )
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY bulk_deltas ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        raw.execute("ANALYZE bulk_deltas")
    else:
        raw.execute(f"CREATE TEMP TABLE bulk_deltas ({', '.join(names)})")
        marks = ", ".join("?" * len(names))
        raw.executemany(f"INSERT INTO bulk_deltas VALUES ({marks})", rows)  # noqa: S608 - placeholders only
    made = [*fixed, *keys]
    picks = ", ".join([mark] * len(fixed) + [f"d.{k}" for k in keys])
    raw.execute(
        f"INSERT INTO {table.name} ({', '.join(made)}) SELECT {picks} FROM bulk_deltas AS d "  # noqa: S608 - identifiers from our Table
        "WHERE true ON CONFLICT DO NOTHING",
        list(fixed.values()),
    )
    shared = {k: v for k, v in fixed.items() if k not in increments and k != counter}
    sets = [f"{n} = {table.name}.{n} + d.{n}" for n in increments]
    sets.append(f"{counter} = {table.name}.{counter} + 1")
    match = " AND ".join(
        [
            *(f"{table.name}.{k} = {mark}" for k in shared),
            *(f"{table.name}.{k} = d.{k}" for k in keys),
        ]
    )
    raw.execute(
        f"UPDATE {table.name} SET {', '.join(sets)} FROM bulk_deltas AS d WHERE {match}",  # noqa: S608 - identifiers from our Table
        list(shared.values()),
    )
    raw.execute("DROP TABLE bulk_deltas")


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


def reserve_ids(session: Session, table: Table, count: int, *, locked: bool = False) -> list[int]:
    """Ids for ``count`` new rows of ``table``, so a batch can name its rows before writing them.

    PostgreSQL draws them from the column's sequence (safe beside concurrent writers); with
    ``locked`` (the table is held exclusively, see :func:`loading`) it takes one block. SQLite
    numbers on from the largest id: every write transaction there began IMMEDIATE and holds
    the database's write lock until it commits, so nobody else can take those ids meanwhile.
    """
    if count <= 0:
        return []
    raw = _raw(session)
    if session.get_bind().dialect.name == "postgresql" and locked:
        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
        first = raw.execute(f"SELECT nextval({sequence})").fetchone()[0]
        raw.execute(f"SELECT setval({sequence}, %s)", (first + count - 1,))
        return list(range(first, first + count))
    if session.get_bind().dialect.name == "postgresql":
        rows = raw.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table.name, count),
        ).fetchall()
        return [row[0] for row in rows]
    top = raw.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}").fetchone()[0]  # noqa: S608 - identifier from our Table
    return list(range(top + 1, top + 1 + count))


REBUILD_FROM = 50_000  # rows in one batch from which an initial load rebuilds indexes


@contextmanager
def loading(session: Session, tables: Sequence[Table], rows: int) -> Iterator[bool]:
    """Around the writing of a batch larger than what ``tables`` already hold (an initial load
    of at least :data:`REBUILD_FROM` rows): drop their secondary indexes (and, on PostgreSQL,
    their foreign keys, checked row by row otherwise) and build them again after the rows
    are in, which sorts once instead of probing a million times. Yields whether it did.

    All of it is in the caller's transaction: a crash or an exception inside rolls the schema
    back with the rows (leave by an exception: nothing is rebuilt). On PostgreSQL the tables
    are held exclusively until the commit, so readers of them wait for an initial load.
    """
    first = tables[0].name
    raw = _raw(session)
    size = raw.execute(f"SELECT coalesce(max(id), 0) FROM {first}").fetchone()[0]  # noqa: S608 - identifier from our Table
    if rows < REBUILD_FROM or rows <= size:
        yield False
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        names = ", ".join(t.name for t in tables)
        raw.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
    rebuild: list[str] = []
    for table in tables:
        rebuild += _drop_pg(raw, table.name) if postgres else _drop_sqlite(raw, table.name)
    yield True
    for sql in rebuild:
        raw.execute(sql)
    if postgres:  # fresh statistics for the plans that follow (autovacuum may be off)
        for table in tables:
            raw.execute(f"ANALYZE {table.name}")


def _drop_sqlite(raw: Any, name: str) -> list[str]:
    """Drop the table's own indexes (not those behind UNIQUE); return how to make them again."""
    rows = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (name,),
    ).fetchall()
    for index, _ in rows:
        raw.execute(f'DROP INDEX "{index}"')
    return [row[1] for row in rows]


def _drop_pg(raw: Any, name: str) -> list[str]:
    """Drop the table's foreign keys and plain indexes; return how to make them again
    (indexes first, then the keys, each validated by one join)."""
    keys = raw.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        (name,),
    ).fetchall()
    indexes = raw.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index AS x "
        "JOIN pg_class AS i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint AS c ON c.conindid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND c.oid IS NULL",
        (name,),
    ).fetchall()
    for constraint, _ in keys:
        raw.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{constraint}"')
    for index, _ in indexes:
        raw.execute(f'DROP INDEX "{index}"')
    return [sql for _, sql in indexes] + [
        f'ALTER TABLE {name} ADD CONSTRAINT "{constraint}" {sql}' for constraint, sql in keys
    ]


def insert_frame(
    session: Session, table: Table, frame: pl.DataFrame, *, chunk: int = 100_000
) -> None:
    """Insert every row of ``frame``, whose columns are named as ``table``'s.

    PostgreSQL gets the rows through COPY (CSV, in chunks); SQLite through the driver's
    executemany. Dates, UTC instants and Decimals are written in the form the column types of
    :mod:`creditguard.db.types` store on each engine; text columns must hold no empty strings
    where NULL is meant.
    """
    if frame.is_empty():
        return
    try:
        _insert_frame(session, table, frame, chunk)
    except (sqlite3.IntegrityError, psycopg.errors.IntegrityError) as error:
        raise RowsRefused(f"{table.name}: {error}") from error


class RowsRefused(Exception):
    """The database refused a batch's rows (a unique key taken meanwhile, a constraint)."""


def _insert_frame(session: Session, table: Table, frame: pl.DataFrame, chunk: int) -> None:
    postgres = session.get_bind().dialect.name == "postgresql"
    frame = frame.with_columns(_stored(frame, postgres=postgres))
    names = ", ".join(frame.columns)
    raw = _raw(session)
    if postgres:
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT csv)") as copy,
        ):
            for part in frame.iter_slices(chunk):
                copy.write(part.write_csv(include_header=False, null_value=""))
        return
    _sqlite_insert(raw, table.name, frame)


_ROWS_PER_STATEMENT = 50  # multi-row VALUES: fewer statement steps than one row each
_STAGE_SLICE = 100_000  # rows turned into Python tuples at a time


def _sqlite_insert(raw: Any, name: str, frame: pl.DataFrame) -> None:
    """SQLite: varying columns into a bare temporary table (no constraints, no indexes), then
    one INSERT ... SELECT with the constant columns bound once."""
    cache = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = {-_CACHE_KIB}")  # room for the indexes being built
    try:
        _stage_and_insert(raw, name, frame)
    finally:
        raw.execute(f"PRAGMA cache_size = {int(cache)}")


_CACHE_KIB = 256 * 1024


def _stage_and_insert(raw: Any, name: str, frame: pl.DataFrame) -> None:
    constant = [c for c in frame.columns if frame[c].n_unique() == 1]
    varying = [c for c in frame.columns if c not in constant]
    raw.execute("DROP TABLE IF EXISTS temp.bulk_stage")
    raw.execute(f"CREATE TEMP TABLE bulk_stage ({', '.join(varying) or 'unused'})")
    if varying:
        one = "(" + ", ".join("?" * len(varying)) + ")"
        many = "INSERT INTO temp.bulk_stage VALUES " + ", ".join([one] * _ROWS_PER_STATEMENT)  # noqa: S608 - placeholders only
        for data in frame.select(varying).iter_slices(_STAGE_SLICE):  # bounded memory
            full = data.height - data.height % _ROWS_PER_STATEMENT
            rows = data.rows()
            raw.executemany(
                many,
                (
                    tuple(chain.from_iterable(rows[i : i + _ROWS_PER_STATEMENT]))
                    for i in range(0, full, _ROWS_PER_STATEMENT)
                ),
            )
            raw.executemany(f"INSERT INTO temp.bulk_stage VALUES {one}", rows[full:])  # noqa: S608 - placeholders only
    else:
        raw.executemany("INSERT INTO temp.bulk_stage VALUES (NULL)", [()] * frame.height)
    columns = ", ".join([*varying, *constant])
    picks = ", ".join([*varying, *("?" * len(constant))])
    raw.execute(
        f"INSERT INTO {name} ({columns}) SELECT {picks} FROM temp.bulk_stage ORDER BY rowid",  # noqa: S608 - identifiers from our Table
        [frame[c][0] for c in constant],
    )
    raw.execute("DROP TABLE temp.bulk_stage")


def _stored(frame: pl.DataFrame, *, postgres: bool) -> list[pl.Expr]:
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.Date:
            exprs.append(column.dt.to_string("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                raise ValueError(f"column {name}: naive datetimes cannot be stored as UTC instants")
            text = column.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%d %H:%M:%S%.6f")
            exprs.append(text + "+00:00" if postgres else text)
        elif dtype == pl.Decimal:
            exprs.append(column.cast(pl.String))
    return exprs


PIECE_BYTES = 64 * 2**20  # CSV parsed a piece at a time: never the whole answer as text
FETCH_ROWS = 200_000  # rows taken from SQLite's cursor at a time, turned into columns


def read_frame(session: Session, stmt: Any, schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``stmt`` as a frame of ``schema`` (integers, dates, text), read in bulk:
    COPY ... TO STDOUT on PostgreSQL (in the session's transaction, so in its snapshot), the
    driver's cursor on SQLite; never one Python object per value through the ORM. The answer
    is turned into columns a piece at a time, so the text of a large read never sits whole
    in memory beside its frame."""
    names = list(schema)
    text_schema = {n: (pl.String if t == pl.Date else t) for n, t in schema.items()}
    dates = [n for n, t in schema.items() if t == pl.Date]

    def typed(frame: pl.DataFrame) -> pl.DataFrame:
        if not dates:
            return frame
        return frame.with_columns(pl.col(d).str.to_date("%Y-%m-%d") for d in dates)

    def parsed(text: bytes) -> pl.DataFrame:
        return typed(pl.read_csv(text, has_header=False, new_columns=names, schema=text_schema))

    dialect = session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    if dialect.name == "postgresql":
        parts = [parsed(piece) for piece in _copy_pieces(session, str(compiled))]
    else:
        cursor = _raw(session).cursor()
        cursor.execute(str(compiled))
        parts = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            parts.append(typed(pl.DataFrame(rows, schema=text_schema, orient="row")))
        cursor.close()
    if not parts:
        return pl.DataFrame(schema=schema)
    return _joined(parts)


def _joined(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The pieces as one frame of one chunk per column, made a column at a time, each
    column's pieces let go once it is whole: the peak is the frame and one column more.
    (``pl.concat`` keeps the pieces as chunks, and the first operation that wants the frame
    in one piece — a ``with_columns`` — then copies all of it at once beside the pieces:
    750 MB more for the 10.9M instalments of a 10M-invoice snapshot.)"""
    if len(parts) == 1:
        return parts[0]
    columns = []
    for name in parts[0].columns:
        columns.append(pl.concat([part.get_column(name) for part in parts], rechunk=True))
        parts = [part.drop(name) for part in parts]
    return pl.DataFrame(columns)


def _copy_pieces(session: Session, query: str) -> Iterator[bytes]:
    """``COPY (query) TO STDOUT`` as CSV in pieces of about ``PIECE_BYTES``, each whole rows."""
    buffer = bytearray()
    with (
        _raw(session).cursor() as cursor,
        cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy,
    ):
        for block in copy:
            buffer += block
            if len(buffer) >= PIECE_BYTES and (cut := _row_end(buffer)) > 0:
                yield bytes(buffer[:cut])
                del buffer[:cut]
    if buffer:
        yield bytes(buffer)


def _row_end(buffer: bytearray) -> int:
    """Just past the last newline of ``buffer`` that ends a CSV row (0 if none is known). A
    value may hold a newline inside quotes (a name, say): a row ends only at a newline after
    an even number of quote characters."""
    at = len(buffer)
    while (at := buffer.rfind(b"\n", 0, at)) >= 0:
        if buffer.count(b'"', 0, at) % 2 == 0:
            return at + 1
    return 0
