"""Issue 2 foundation benchmark: batch posting throughput and balance latency over the API.

Prints its figures, never asserts. Run from the project root:

    .venv/bin/python bench/foundation.py [--invoices 50000] [--customers 1000] [--batch 1000]
        [--requests 2000] [--engines sqlite,postgresql]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--posting-budget 45]

Every engine gets its own scratch database (a temporary SQLite file, or a PostgreSQL database
``cg_bench_<hex>`` created next to ``--pg-url`` and dropped at the end).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from _server import api_server
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import CompanyIn, UserIn
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import InvoiceIn
from creditguard.models import Instalment, Invoice

CLOCK = FixedClock(datetime(2026, 11, 22, tzinfo=UTC))
AS_OF = "2026-11-22"
TERMS = ("net 30", "eom 30", "2/10 net 30", "30% 0, 70% 60")
COMPANY = "BENCH"
NAIVE_COMPANY = "NAIVE"
NAIVE_ROWS = 2000
NAIVE_CUSTOMERS = 20
PASSWORD = "bench-password-1"
EMAIL = "viewer@bench.example"
WARMUP = 200
POSTING_TARGET = 2000.0
P50_TARGET_MS = 5.0
P99_TARGET_MS = 20.0


@dataclass(frozen=True, slots=True)
class Options:
    invoices: int
    customers: int
    batch: int
    requests: int
    engines: tuple[str, ...]
    pg_url: str
    posting_budget: float


@dataclass(slots=True)
class Posting:
    planned: int
    invoices: int = 0
    seconds: float = 0.0
    batch_rates: list[float] = field(default_factory=list)

    @property
    def overall(self) -> float:
        return self.invoices / self.seconds if self.seconds else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.batch_rates) if self.batch_rates else 0.0


@dataclass(frozen=True, slots=True)
class Naive:
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class Latency:
    millis: list[float]
    seconds: float
    failures: int

    def pct(self, q: float) -> float:
        ordered = sorted(self.millis)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    @property
    def rate(self) -> float:
        return len(self.millis) / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class EngineResult:
    engine: str
    posting: Posting | None = None
    naive: Naive | None = None
    latency: Latency | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Seeded:
    actor: Actor
    codes: list[str]
    ids: list[int]


# --- scratch databases ---


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cg_bench_") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def _admin(pg_url: str) -> psycopg.Connection[tuple[object, ...]]:
    url = make_url(pg_url)
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=10,
    )


@contextmanager
def postgres_database(pg_url: str) -> Iterator[str]:
    name = f"cg_bench_{secrets.token_hex(4)}"
    with _admin(pg_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(pg_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- seeding ---


def seed_company(db: Database, code: str, count: int) -> Seeded:
    with db.write() as session:
        company = identity.create_company(session, CompanyIn(code=code, name=f"{code} Ltd."), CLOCK)
        actor = Actor(company.id, "bench", "admin")
        created = [
            customers.create(
                session, actor, CustomerIn(code=f"{code}-C{n:05d}", name=f"Buyer {n}"), CLOCK
            )
            for n in range(count)
        ]
    return Seeded(actor, [c.code for c in created], [c.id for c in created])


def add_viewer(db: Database, company_id: int) -> None:
    data = UserIn(email=EMAIL, display_name="Bench viewer", password=PASSWORD, role="viewer")
    with db.write() as session:
        identity.add_user(session, company_id, data, CLOCK)


def invoice(n: int, codes: Sequence[str]) -> InvoiceIn:
    return InvoiceIn(
        external_ref=f"INV-{n:07d}",
        customer_ref=codes[n % len(codes)],
        issued_on=date(2026, 1, 1) + timedelta(days=n % 320),
        currency="CNY",
        amount=f"{1000 + n % 9000}.{n % 100:02d}",
        payment_terms=TERMS[n % len(TERMS)],
    )


# --- 1. posting ---


def post_all(db: Database, seeded: Seeded, options: Options) -> Posting:
    """Post ``options.invoices`` in batches; stop early once ``posting_budget`` is spent."""
    total, size = options.invoices, options.batch
    result = Posting(planned=total)
    for start in range(0, total, size):
        if result.seconds > options.posting_budget:
            break
        batch = [invoice(n, seeded.codes) for n in range(start, min(total, start + size))]
        began = time.perf_counter()
        with db.write() as session:
            ledger.post_invoices(session, seeded.actor, batch, CLOCK)
        took = time.perf_counter() - began
        result.invoices += len(batch)
        result.seconds += took
        result.batch_rates.append(len(batch) / took)
    return result


def naive_row(session: Session, seeded: Seeded, n: int) -> None:
    issued = date(2026, 1, 1) + timedelta(days=n % 320)
    due = issued + timedelta(days=30)
    minor = 100_000 + n % 900_000
    row = Invoice(
        company_id=seeded.actor.company_id,
        customer_id=seeded.ids[n % len(seeded.ids)],
        external_ref=f"NAIVE-{n:07d}",
        issued_on=issued,
        due_on=due,
        currency="CNY",
        amount_minor=minor,
        payment_terms=TERMS[n % len(TERMS)],
        open_minor=minor,
        disputed_minor=0,
        status="open",
        created_at=CLOCK.now(),
    )
    session.add(row)
    session.flush()
    session.add(
        Instalment(
            company_id=row.company_id,
            invoice_id=row.id,
            customer_id=row.customer_id,
            seq=1,
            due_on=due,
            currency="CNY",
            amount_minor=minor,
            open_minor=minor,
        )
    )
    session.commit()


def naive_insert(db: Database, rows: int) -> Naive:
    seeded = seed_company(db, NAIVE_COMPANY, NAIVE_CUSTOMERS)
    began = time.perf_counter()
    with Session(db.engine, expire_on_commit=False, autoflush=False) as session:
        for n in range(rows):
            naive_row(session, seeded, n)
    return Naive(rows, time.perf_counter() - began)


# --- 2. balance over the API ---


def measure_balance(base: str, ids: Sequence[int], requests: int) -> Latency:
    rng = random.Random(2)
    with httpx.Client(base_url=base, timeout=10.0) as client:
        login = {"company": COMPANY, "email": EMAIL, "password": PASSWORD}
        reply = client.post("/api/v1/auth/token", json=login)
        reply.raise_for_status()
        client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        for _ in range(WARMUP):
            client.get(f"/api/v1/customers/{rng.choice(ids)}/balance", params={"as_of": AS_OF})
        millis: list[float] = []
        failures = 0
        began = time.perf_counter()
        for _ in range(requests):
            path = f"/api/v1/customers/{rng.choice(ids)}/balance"
            start = time.perf_counter()
            status = client.get(path, params={"as_of": AS_OF}).status_code
            millis.append((time.perf_counter() - start) * 1000)
            failures += status != 200
        return Latency(millis, time.perf_counter() - began, failures)


# --- per engine ---


def run_engine(engine: str, url: str, options: Options) -> EngineResult:
    result = EngineResult(engine)
    db = Database(url)
    try:
        began = time.perf_counter()
        upgrade(db.engine)
        seeded = seed_company(db, COMPANY, options.customers)
        add_viewer(db, seeded.actor.company_id)
        print(
            f"[{engine}] schema + {options.customers:,} customers + user in "
            f"{time.perf_counter() - began:.1f} s"
        )
        print(f"[{engine}] {describe_server(db)}")
        result.posting = post_all(db, seeded, options)
        print_posting(engine, result.posting)
        result.naive = naive_insert(db, min(NAIVE_ROWS, options.invoices))
        print(
            f"[{engine}] naive ORM: {result.naive.rows:,} rows in {result.naive.seconds:.2f} s "
            f"= {result.naive.rate:,.0f} inv/s"
        )
    finally:
        db.dispose()
    with_invoices = seeded.ids[: min(len(seeded.ids), result.posting.invoices)]
    with api_server(url) as base:
        result.latency = measure_balance(base, with_invoices, options.requests)
    print_latency(engine, result.latency)
    return result


def describe_server(db: Database) -> str:
    """The server's version and, on PostgreSQL, autovacuum (it decides when stats are fresh)."""
    with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            version = connection.exec_driver_sql("SHOW server_version").scalar()
            autovacuum = connection.exec_driver_sql("SHOW autovacuum").scalar()
            return f"PostgreSQL {version}, autovacuum={autovacuum}"
        version = connection.exec_driver_sql("SELECT sqlite_version()").scalar()
        return f"SQLite {version}"


def print_posting(engine: str, posting: Posting) -> None:
    rates = posting.batch_rates
    if posting.invoices < posting.planned:
        print(
            f"[{engine}] posting budget spent: stopped after {posting.invoices:,} of "
            f"{posting.planned:,} invoices"
        )
    print(
        f"[{engine}] posted {posting.invoices:,} invoices in {len(rates)} batches, "
        f"{posting.seconds:.2f} s: overall {posting.overall:,.0f} inv/s, "
        f"median batch {posting.median:,.0f} inv/s (min {min(rates):,.0f}, "
        f"max {max(rates):,.0f})"
    )


def print_latency(engine: str, latency: Latency) -> None:
    print(
        f"[{engine}] balance x{len(latency.millis):,}: p50 {latency.pct(50):.2f} ms, "
        f"p90 {latency.pct(90):.2f} ms, p99 {latency.pct(99):.2f} ms, "
        f"max {max(latency.millis):.2f} ms, {latency.rate:,.0f} req/s, "
        f"non-200: {latency.failures}"
    )


@contextmanager
def scratch(engine: str, options: Options) -> Iterator[str]:
    if engine == "sqlite":
        with sqlite_database() as url:
            yield url
    elif engine == "postgresql":
        with postgres_database(options.pg_url) as url:
            yield url
    else:
        raise ValueError(f"unknown engine {engine!r}")


def bench(engine: str, options: Options) -> EngineResult:
    try:
        with scratch(engine, options) as url:
            return run_engine(engine, url, options)
    except Exception as error:  # a benchmark reports, it does not stop
        print(f"[{engine}] FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return EngineResult(engine, error=f"{type(error).__name__}: {error}")


# --- summary ---


def verdict(ok: bool) -> str:  # noqa: FBT001 - a plain predicate
    return "PASS" if ok else "MISS"


def posting_line(result: EngineResult, posting: Posting) -> str:
    rate = posting.overall
    extra = f"median batch {posting.median:,.0f}/s"
    if posting.invoices < posting.planned:
        extra += f"; only {posting.invoices:,} of {posting.planned:,} posted in the budget"
    if result.naive is not None and result.naive.rate:
        extra += f"; naive ORM {result.naive.rate:,.0f}/s, ratio {rate / result.naive.rate:.1f}×"
    return (
        f"{'posting ' + result.engine:<28}{rate:>9,.0f} inv/s   target ≥ {POSTING_TARGET:,.0f}   "
        f"{verdict(rate >= POSTING_TARGET)}   ({extra})"
    )


def latency_lines(name: str, lat: Latency) -> list[str]:
    lines = [
        f"{f'balance {label} {name}':<28}{value:>9.2f} ms      target ≤ {target:>5.0f} ms   "
        f"{verdict(value <= target)}   (p90 {lat.pct(90):.2f} ms, max {max(lat.millis):.2f} ms, "
        f"{lat.rate:,.0f} req/s)"
        for label, value, target in (
            ("p50", lat.pct(50), P50_TARGET_MS),
            ("p99", lat.pct(99), P99_TARGET_MS),
        )
    ]
    lines.append(
        f"{'balance non-200 ' + name:<28}{lat.failures:>9,}         target = {0:>5}      "
        f"{verdict(lat.failures == 0)}   (of {len(lat.millis):,} timed requests)"
    )
    return lines


def summary_lines(result: EngineResult) -> list[str]:
    if result.error is not None:
        return [f"{result.engine:<28}FAILED: {result.error}"]
    lines: list[str] = []
    if result.posting is not None:
        lines.append(posting_line(result, result.posting))
    if result.latency is not None:
        lines.extend(latency_lines(result.engine, result.latency))
    return lines


def print_summary(results: Sequence[EngineResult]) -> None:
    print()
    print("summary (issue 2 targets)")
    print("-" * 100)
    for result in results:
        for line in summary_lines(result):
            print(line)


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--posting-budget",
        type=float,
        default=45.0,
        help="seconds of posting per engine after which no further batch starts",
    )
    args = parser.parse_args(argv)
    engines = tuple(e.strip() for e in str(args.engines).split(",") if e.strip())
    return Options(
        invoices=max(1, args.invoices),
        customers=max(1, args.customers),
        batch=max(1, args.batch),
        requests=max(1, args.requests),
        engines=engines,
        pg_url=args.pg_url,
        posting_budget=max(0.0, args.posting_budget),
    )


def load() -> str:
    """The machine's load average: other work on a small box skews every figure here."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    print(
        f"foundation bench: {options.invoices:,} invoices / {options.customers:,} customers, "
        f"batches of {options.batch:,}, {options.requests:,} balance requests, "
        f"engines {', '.join(options.engines)}; python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cpu, {load()}"
    )
    began = time.perf_counter()
    results = [bench(engine, options) for engine in options.engines]
    print_summary(results)
    print(f"\ntotal {time.perf_counter() - began:.1f} s; {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
