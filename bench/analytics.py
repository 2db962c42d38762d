"""Issue 4 benchmark: portfolio aging and KPIs, beside the same aging as one SQL query inside
PostgreSQL and inside SQLite, and with pandas. Prints figures, never asserts.

A synthetic portfolio (creditguard synth) is loaded through the importer into each engine;
then, as of the portfolio's last day: creditguard's aging by customer (SQL read of the open
items + Polars), KPIs, the in-database query, and pandas over the same open items. Results are
compared cell by cell (customer, currency, bucket) before any time is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

from creditguard.analytics import kpis, service
from creditguard.analytics.snapshot import snapshot_for
from creditguard.core.aging import Buckets
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.synth import IMPORT_FILES

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CLI = [str(Path(sys.executable).parent / "creditguard")]
KINDS = ("customers", "invoices", "credit-notes", "payments")  # IMPORT_FILES order, less orders

SQL = """
WITH applied AS (
    SELECT instalment_id, SUM(amount_minor) AS applied FROM applications
    WHERE company_id = :company AND applied_on <= :as_of GROUP BY instalment_id
), items AS (
    SELECT c.code, i.currency, {days} AS days, i.amount_minor - COALESCE(a.applied, 0) AS open_minor
    FROM instalments i
    JOIN invoices v ON v.id = i.invoice_id
    JOIN customers c ON c.id = i.customer_id
    LEFT JOIN applied a ON a.instalment_id = i.id
    WHERE i.company_id = :company AND v.issued_on <= :as_of AND v.status <> 'reversed'
)
SELECT code, currency,
    SUM(CASE WHEN days <= 0 THEN open_minor ELSE 0 END),
    SUM(CASE WHEN days BETWEEN 1 AND 30 THEN open_minor ELSE 0 END),
    SUM(CASE WHEN days BETWEEN 31 AND 60 THEN open_minor ELSE 0 END),
    SUM(CASE WHEN days BETWEEN 61 AND 90 THEN open_minor ELSE 0 END),
    SUM(CASE WHEN days BETWEEN 91 AND 180 THEN open_minor ELSE 0 END),
    SUM(CASE WHEN days > 180 THEN open_minor ELSE 0 END)
FROM items WHERE open_minor <> 0 GROUP BY code, currency
"""
DAYS = {
    "postgresql": "(CAST(:as_of AS date) - i.due_on)",
    "sqlite": "CAST(julianday(:as_of) - julianday(i.due_on) AS INTEGER)",
}
Cells = dict[tuple[str, str], tuple[int, ...]]


def run(*args: str) -> str:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"creditguard {' '.join(args[:3])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return done.stdout


KEYS = {"customers": "code", "invoices": "external_ref", "credit-notes": "external_ref",
        "payments": "payment_ref"}  # fmt: skip


def pieces(path: Path, kind: str, chunk: int) -> list[Path]:
    """The import file cut into files of about ``chunk`` rows (an invoice's lines, a split
    payment's rows stay together; parents before their members), imported one after another
    in the file's order, so a big portfolio loads in bounded memory."""
    if chunk <= 0:
        return [path]
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)
    if frame.height <= chunk:
        return [path]
    if kind == "customers":
        frame = frame.sort(pl.col("parent_code").is_not_null(), maintain_order=True)
    key = pl.col(KEYS[kind])
    starts = (key != key.shift()).fill_null(value=True)
    numbered = frame.with_columns(
        _piece=pl.when(starts).then(pl.int_range(pl.len()) // chunk).forward_fill()
    )
    out = []
    for (number,), part in numbered.group_by("_piece", maintain_order=True):
        target = path.with_name(f"{path.stem}.part{number:04d}.csv")
        part.drop("_piece").write_csv(target)
        out.append(target)
    return out


def load(url: str, folder: Path, chunk: int) -> float:
    run("init", "--company", "BENCH", "--database-url", url)
    start = time.perf_counter()
    for kind in KINDS:
        for piece in pieces(folder / IMPORT_FILES[kind], kind, chunk):
            run("import", kind, str(piece), "--company", "BENCH", "--json", "--database-url", url)
            if piece.name != IMPORT_FILES[kind]:
                piece.unlink()
        print(f"  {kind} in {time.perf_counter() - start:.0f} s", flush=True)
    return time.perf_counter() - start


def copy_to_postgresql(sqlite_path: Path, url: str) -> float:
    """The very rows of a loaded SQLite ledger, table by table, into a migrated PostgreSQL
    database (read by ADBC into Arrow, COPY in CSV), for runs where importing the portfolio
    twice costs too long."""
    import io

    import polars as pl

    from creditguard.models.base import Base

    run("init", "--company", "BENCH", "--database-url", url)
    start = time.perf_counter()
    import sqlite3

    with sqlite3.connect(sqlite_path) as source:  # an older schema may lack the newest tables
        there = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    tables = [t for t in Base.metadata.sorted_tables if t.name in there]
    with psycopg.connect(url.replace("+psycopg", "")) as target:
        target.execute("SET TIME ZONE 'UTC'")
        target.execute(f"TRUNCATE {', '.join(repr_name(t.name) for t in tables)} CASCADE")
        # Rows already checked once (they come from a database that enforced every key): no
        # foreign-key or trigger work per row, and the plain indexes built once at the end.
        target.execute("SET session_replication_role = replica")
        target.execute("SET maintenance_work_mem = '1GB'")
        indexes = target.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _ in indexes:
            target.execute(f"DROP INDEX {repr_name(name)}")
        for table in tables:
            columns = ", ".join(repr_name(c.name) for c in table.columns)
            frame = pl.read_database_uri(
                f"SELECT {columns} FROM {repr_name(table.name)}",
                f"sqlite:///{sqlite_path}",
                engine="adbc",
            )
            frame = frame.with_columns(  # bytea in its hex input form
                (pl.lit("\\x") + pl.col(name).bin.encode("hex")).alias(name)
                for name, kind in frame.schema.items()
                if kind == pl.Binary
            )
            for offset in range(0, frame.height, 1_000_000):
                buffer = io.BytesIO()
                frame.slice(offset, 1_000_000).write_csv(buffer, include_header=False)
                with target.cursor().copy(
                    f"COPY {repr_name(table.name)} ({columns}) FROM STDIN (FORMAT csv)"
                ) as copy:
                    copy.write(buffer.getvalue())
            if "id" in table.columns:
                target.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {repr_name(table.name)}), 1))"
                )
        copied = time.perf_counter() - start
        for _, definition in indexes:
            target.execute(definition)
        target.execute("SET session_replication_role = DEFAULT")
        target.commit()
        print(
            f"  rows copied in {copied:.0f} s, {len(indexes)} indexes built in "
            f"{time.perf_counter() - start - copied:.0f} s",
            flush=True,
        )
        target.autocommit = True
        target.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def repr_name(name: str) -> str:
    return f'"{name}"'


def timed(action: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(first run, median of the warm runs after it) in seconds, and the last result."""
    start = time.perf_counter()
    result = action()
    first = time.perf_counter() - start
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        warm.append(time.perf_counter() - start)
    return first, statistics.median(warm), result


def polars_cells(db: Database, actor: Actor, as_of: date) -> Any:
    """creditguard's own pipeline, per (customer, currency): the snapshot (refreshed first:
    an incremental read), open items on the date, core buckets, Polars; a frame of cells."""

    buckets = Buckets()
    with db.read() as session:
        snap = snapshot_for(session, actor.company_id)
    items = service.open_in(snap, as_of, lazy=True).with_columns(
        bucket=service.bucket_expr(buckets, as_of)
    )
    return service.aging_cells(items, "customer", snap.customers())


def polars_dict(wide: Any) -> Cells:
    cells: dict[tuple[str, str], list[int]] = {}
    for code, currency, bucket, minor in wide.iter_rows():
        cells.setdefault((code, currency), [0] * 6)[bucket] += minor
    return {k: tuple(v) for k, v in cells.items() if any(v)}


def sql_cells(db: Database, actor: Actor, as_of: date) -> Any:
    query = text(SQL.format(days=DAYS[db.engine.dialect.name]))
    with db.read() as session:
        return session.execute(query, {"company": actor.company_id, "as_of": as_of}).all()


def sql_dict(rows: Any) -> Cells:
    return {(r[0], r[1]): tuple(int(x) for x in r[2:]) for r in rows if any(r[2:])}


def pandas_cells(db: Database, actor: Actor, as_of: date) -> Any:
    """pandas over the same open items (read by pandas from the same SQL)."""
    pd: Any = importlib.import_module("pandas")
    query = """
        SELECT c.code, i.currency, i.due_on, i.amount_minor - COALESCE(a.applied, 0) AS open_minor
        FROM instalments i JOIN invoices v ON v.id = i.invoice_id JOIN customers c ON c.id = i.customer_id
        LEFT JOIN (SELECT instalment_id, SUM(amount_minor) AS applied FROM applications
                   WHERE company_id = :company AND applied_on <= :as_of GROUP BY instalment_id) a
          ON a.instalment_id = i.id
        WHERE i.company_id = :company AND v.issued_on <= :as_of AND v.status <> 'reversed'
    """
    with db.engine.connect() as connection:
        frame = pd.read_sql(
            text(query), connection, params={"company": actor.company_id, "as_of": as_of}
        )
    frame = frame[frame["open_minor"] != 0]
    days = (pd.Timestamp(as_of) - pd.to_datetime(frame["due_on"])).dt.days
    frame["bucket"] = pd.cut(days, [-(10**9), 0, 30, 60, 90, 180, 10**9], labels=False)
    return frame.pivot_table(
        index=["code", "currency"],
        columns="bucket",
        values="open_minor",
        aggfunc="sum",
        fill_value=0,
    ).reindex(columns=range(6), fill_value=0)


def pandas_dict(table: Any) -> Cells:
    return {
        (k[0], k[1]): tuple(int(x) for x in v)
        for k, v in zip(table.index, table.to_numpy(), strict=True)
        if any(v)
    }


def fresh(engine: str, folder: Path, args: argparse.Namespace) -> tuple[str, bool]:
    """A database for the run, and whether it is already loaded (``--keep`` reuses one)."""
    kept = args.keep is not None
    if engine == "sqlite":
        path = folder / ("bench.db" if kept else f"bench-{secrets.token_hex(3)}.db")
        return f"sqlite:///{path}", path.exists() and (folder / "bench.db.loaded").exists()
    name = f"cg_bench_kept_{args.customers}_{args.invoices}_{args.seed}"
    if not kept:
        name = f"cg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        there = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if there is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    return url, there is not None and (folder / f"{name}.loaded").exists()


def fill(engine: str, url: str, folder: Path, args: argparse.Namespace) -> None:
    if engine == "postgresql" and args.postgresql_from_sqlite:
        sqlite_db = folder / "bench.db"
        if not (folder / "bench.db.loaded").exists():
            raise SystemExit("--postgresql-from-sqlite needs the SQLite database of --keep loaded")
        seconds = copy_to_postgresql(sqlite_db, url)
        print(f"[{engine}] loaded by copying the SQLite ledger's rows (COPY) in {seconds:.1f} s")
    else:
        seconds = load(url, folder, args.chunk)
        print(f"[{engine}] loaded through the importer in {seconds:.1f} s", flush=True)
    if args.keep is not None:
        marker = "bench.db" if engine == "sqlite" else url.rsplit("/", 1)[1]
        (folder / f"{marker}.loaded").touch()


def drop(url: str, args: argparse.Namespace) -> None:
    if args.keep is not None:
        return
    if url.startswith("postgresql"):
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def reports_run(
    engine: str, db: Database, actor: Actor, as_of: date, args: argparse.Namespace
) -> None:
    def report() -> Any:
        with db.read() as session:
            return service.aging(session, actor, as_of, buckets=Buckets())

    def figures() -> Any:
        with db.read() as session:
            return kpis.kpis(session, actor, as_of, days=90)

    def past() -> Any:
        with db.read() as session:
            return service.aging(session, actor, date(as_of.year, 1, 1), buckets=Buckets())

    measured = timed(figures, args.runs)  # first: the peak below is of aging by customer + KPIs
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[{engine}] peak memory after aging by customer and all KPIs: {peak:,.0f} MB")
    full = timed(report, args.runs)
    rendered = timed(lambda: full[2].json_body(), 1)
    print(
        f"[{engine}] full aging report, {len(full[2].table):,} rows, rendered as JSON (the API's "
        f"answer): first {rendered[0]:.2f} s, warm {rendered[1]:.2f} s"
    )
    back = timed(past, args.runs)
    print(f"[{engine}] full aging report as of {as_of.year}-01-01: warm {back[1]:.2f} s")
    print(
        f"[{engine}] full aging report (base currency, disputes): warm {full[1]:.2f} s; "
        f"all KPIs (90 days, count-back, concentration): warm {measured[1]:.2f} s"
    )
    print(f"[{engine}] KPIs: {json.dumps(measured[2].as_json(), ensure_ascii=False)}")
    one = []
    for customer_id in range(1, min(args.customers, 1000) + 1):
        start = time.perf_counter()
        with db.read() as session:
            service.aging(session, actor, as_of, buckets=Buckets(), customer_id=customer_id)
        one.append((time.perf_counter() - start) * 1000)
    one.sort()
    print(
        f"[{engine}] one customer's aging (service in-process, {len(one)} customers): "
        f"p50 {one[len(one) // 2]:.1f} ms, p99 {one[int(len(one) * 0.99)]:.1f} ms"
    )


def api_run(engine: str, url: str, as_of: date, args: argparse.Namespace) -> None:
    """One customer's aging through the API (uvicorn on loopback, one keep-alive client):
    random customers, after a warm-up; every answer must be 200. Two servers, one answering
    before routing (``api.agingpath``, the default) and one through FastAPI's route
    (``CREDITGUARD_AGING_FAST_PATH=false``), run in turns of 500 requests so that both see
    the same moments of this noisy machine; the same customers in the same order for both."""
    import httpx

    from _server import api_server

    secret = run("apikey", "add", "--company", "BENCH", "--name", f"bench-{secrets.token_hex(3)}",
                 "--database-url", url).strip().splitlines()[-1]  # fmt: skip
    customers = random.Random(3).choices(range(1, args.customers + 1), k=args.api_requests)
    servers = {"fast path": {}, "route": {"CREDITGUARD_AGING_FAST_PATH": "false"}}
    millis: dict[str, list[float]] = {name: [] for name in servers}
    with contextlib.ExitStack() as stack:
        clients = {}
        for name, settings in servers.items():
            base = stack.enter_context(api_server(url, settings=settings))
            client = stack.enter_context(httpx.Client(base_url=base, timeout=10.0))
            client.headers["X-API-Key"] = secret
            clients[name] = client

        def one(client: httpx.Client, customer_id: int) -> float:
            params: dict[str, str | int] = {"customer_id": customer_id, "as_of": as_of.isoformat()}
            start = time.perf_counter()
            reply = client.get("/api/v1/reports/aging", params=params)
            took = (time.perf_counter() - start) * 1000
            if reply.status_code != 200:
                raise SystemExit(f"aging of one customer: {reply.status_code} {reply.text[:500]}")
            return took

        for client in clients.values():  # warm-up: other customers than those timed
            for customer_id in random.Random(4).choices(range(1, args.customers + 1), k=100):
                one(client, customer_id)
        for turn in range(0, len(customers), 500):
            for name, client in clients.items():
                millis[name] += [one(client, c) for c in customers[turn : turn + 500]]
    for name, taken in millis.items():
        taken.sort()
        print(
            f"[{engine}] one customer's aging through the API, {name} ({len(taken):,} requests, "
            f"random customers, one client): p50 {taken[len(taken) // 2]:.1f} ms, "
            f"p99 {taken[int(len(taken) * 0.99)]:.1f} ms (target p99 <= 20 ms)"
        )


def spark_run(db: Database, actor: Actor, as_of: date, args: argparse.Namespace) -> None:
    """The same reports on Apache Spark in local mode, reading PostgreSQL over JDBC."""
    from creditguard.analytics import spark as on_spark

    start = time.perf_counter()
    with on_spark.running(f"local[{args.spark_cores}]", [on_spark.DEBIAN_JDBC_JAR]) as cluster:
        cluster.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter() - start
        with db.read() as session:
            src = on_spark.from_postgresql(cluster, session, actor.company_id)

        def report() -> Any:
            with db.read() as session:
                return on_spark.aging(session, actor, src, as_of, buckets=Buckets())

        def figures() -> Any:
            with db.read() as session:
                return on_spark.kpis(session, actor, src, as_of, days=90)

        aged = timed(report, args.runs)
        measured = timed(figures, args.runs)
        with db.read() as session:
            polars_report = service.aging(session, actor, as_of, buckets=Buckets())
            polars_kpis = kpis.kpis(session, actor, as_of, days=90)
    print(
        f"[postgresql] on Spark (local[{args.spark_cores}], JDBC): session start {started:.1f} s; "
        f"full aging report first {aged[0]:.2f} s (reads and caches the tables), warm "
        f"{aged[1]:.2f} s, equal to Polars {aged[2].as_json() == polars_report.as_json()}; "
        f"all KPIs warm {measured[1]:.2f} s, equal {measured[2].as_json() == polars_kpis.as_json()}"
    )


def others_run(
    engine: str, url: str, db: Database, actor: Actor, ours: tuple[float, float, Any],
    args: argparse.Namespace,
) -> None:  # fmt: skip
    """The same aging in the database, with pandas, through the API and on Spark."""
    as_of = date.fromisoformat(args.as_of)
    cells = polars_dict(ours[2])
    if not args.sql:
        print(
            f"[{engine}] aging by customer, {len(cells):,} rows: creditguard (snapshot + "
            f"Polars) first {ours[0]:.2f} s, warm {ours[1]:.2f} s (the others not run: --no-sql)"
        )
        return
    inside = timed(lambda: sql_cells(db, actor, as_of), args.runs)
    same = cells == sql_dict(inside[2])
    line = (
        f"[{engine}] aging by customer, {len(cells):,} rows: creditguard (snapshot + Polars) "
        f"first {ours[0]:.2f} s, warm {ours[1]:.2f} s | one SQL query in {engine} "
        f"first {inside[0]:.2f} s, warm {inside[1]:.2f} s | ratio {inside[1] / ours[1]:.2f}x | equal {same}"
    )
    if args.pandas:
        theirs = timed(lambda: pandas_cells(db, actor, as_of), args.runs)
        line += f" | pandas warm {theirs[1]:.2f} s, ratio {theirs[1] / ours[1]:.2f}x, equal {pandas_dict(theirs[2]) == cells}"
    print(line)
    api_run(engine, url, as_of, args)
    if args.spark and engine == "postgresql":
        spark_run(db, actor, as_of, args)


def engine_run(engine: str, folder: Path, as_of: date, args: argparse.Namespace) -> None:
    url, loaded = fresh(engine, folder, args)
    try:
        if loaded:
            print(f"[{engine}] reusing the database loaded earlier in {folder}")
        else:
            fill(engine, url, folder, args)
        if args.load_only:
            return
        if args.api_only:
            api_run(engine, url, as_of, args)
            return
        db = Database(url)
        with db.read() as session:
            company = identity.company_by_code(session, "BENCH")
        actor = Actor(company.id, "bench", "admin")
        start = time.perf_counter()
        with db.read() as session:
            snap = snapshot_for(session, actor.company_id)
        built = time.perf_counter() - start

        def refreshed() -> Any:
            with db.read() as session:
                return snapshot_for(session, actor.company_id)

        idle = timed(refreshed, args.runs)
        size = sum(f.estimated_size() for f in (snap.items, snap.entries, snap.people))
        built_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"[{engine}] snapshot: first build {built:.2f} s ({snap.items.height:,} instalments, "
            f"{snap.entries.height:,} applications, {snap.people.height:,} customers); "
            f"{size / 2**20:,.0f} MB in memory (peak RSS after the build {built_peak:,.0f} MB); "
            f"refresh with nothing new {idle[1] * 1000:.0f} ms"
        )
        ours = timed(lambda: polars_cells(db, actor, as_of), args.runs)
        reports_run(engine, db, actor, as_of, args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"[{engine}] peak memory so far (snapshot, reports, KPIs): {peak:,.0f} MB", flush=True
        )
        others_run(engine, url, db, actor, ours, args)
        db.dispose()
    finally:
        drop(url, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--no-pandas", dest="pandas", action="store_false")
    parser.add_argument(
        "--no-sql",
        dest="sql",
        action="store_false",
        help="time creditguard's own figures only: no in-database query, pandas, API or Spark",
    )
    parser.add_argument(
        "--spark", action="store_true", help="also on Spark (local mode) over JDBC: extra spark"
    )
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument(
        "--chunk", type=int, default=0, help="import the files in pieces of this many rows"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the files and databases here and reuse them next time"
    )
    parser.add_argument("--api-requests", type=int, default=2000)
    parser.add_argument("--load-only", action="store_true", help="load (with --keep), time nothing")
    parser.add_argument(
        "--api-only", action="store_true", help="time one customer's aging through the API only"
    )
    parser.add_argument(
        "--postgresql-from-sqlite",
        action="store_true",
        help="fill PostgreSQL with the rows of the kept SQLite database instead of importing",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cg-bench-analytics-") as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        if not (folder / "manifest.json").exists():
            run(
                "synth", "--customers", str(args.customers), "--invoices", str(args.invoices),
                "--seed", str(args.seed), "--as-of", args.as_of, "--out", str(folder),
            )  # fmt: skip
        print(
            f"portfolio: {args.customers:,} customers, {args.invoices:,} invoices, as of {args.as_of} "
            f"(generated in {time.perf_counter() - start:.1f} s)",
            flush=True,
        )
        for engine in args.engines.split(","):
            engine_run(engine, folder, date.fromisoformat(args.as_of), args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
