"""Issue 3 benchmark: CSV import of invoices, beside a naive row-by-row ORM insert; kill -9 trials.

Prints figures, never asserts. Loopback PostgreSQL only; scratch databases are dropped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

from creditguard.db import Database
from creditguard.models import Instalment, Invoice

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CLI = [str(Path(sys.executable).parent / "creditguard")]


def write_files(folder: Path, customers: int, invoices: int, seed: int) -> tuple[Path, Path, int]:
    rng = random.Random(seed)
    people = folder / "customers.csv"
    with people.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["code", "name", "payment_terms"])
        out.writerows(
            [f"C{n:07d}", f"客户{n}有限公司", rng.choice(["net 30", "eom 30", "2/10 net 30"])]
            for n in range(customers)
        )
    bills = folder / "invoices.csv"
    total = 0
    with bills.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["external_ref", "customer_code", "issued_on", "currency", "amount"])
        start = date(2024, 11, 1)
        for n in range(invoices):
            cents = rng.randint(10_00, 500_000_00)
            total += cents
            issued = start + timedelta(days=rng.randrange(730))
            out.writerow(
                [
                    f"INV{n:09d}",
                    f"C{rng.randrange(customers):07d}",
                    issued.isoformat(),
                    "CNY",
                    f"{cents // 100}.{cents % 100:02d}",
                ]
            )
    return people, bills, total


def fresh(engine: str, folder: Path) -> str:
    if engine == "sqlite":
        path = folder / f"bench-{secrets.token_hex(3)}.db"
        return f"sqlite:///{path}"
    name = f"cg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args, "--database-url", url], capture_output=True, text=True, check=False
    )


def prepare(url: str, people: Path) -> None:
    assert cli(url, "init", "--company", "BENCH").returncode == 0
    result = cli(url, "import", "customers", str(people), "--company", "BENCH", "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def timed_import(url: str, bills: Path) -> tuple[float, float, dict[str, Any]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = cli(url, "import", "invoices", str(bills), "--company", "BENCH", "--json")
    seconds = time.perf_counter() - start
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak_mb, json.loads(result.stdout or "{}")


def naive(url: str, rows: int) -> float:
    """Row by row through the ORM: one add and flush per invoice (and its one instalment)."""
    db = Database(url)
    now = datetime.now(UTC)
    start = time.perf_counter()
    with db.write() as session:
        for n in range(rows):
            invoice = Invoice(
                company_id=1,
                customer_id=1 + n % 100,
                external_ref=f"NAIVE{n}",
                issued_on=date(2026, 1, 5),
                due_on=date(2026, 2, 4),
                currency="CNY",
                amount_minor=100_00,
                payment_terms="net 30",
                open_minor=100_00,
                disputed_minor=0,
                status="open",
                created_at=now,
                updated_at=now,
            )
            session.add(invoice)
            session.flush()
            session.add(
                Instalment(
                    company_id=1,
                    invoice_id=invoice.id,
                    customer_id=invoice.customer_id,
                    seq=1,
                    due_on=invoice.due_on,
                    currency="CNY",
                    amount_minor=100_00,
                    open_minor=100_00,
                )
            )
            session.flush()
    db.dispose()
    return rows / (time.perf_counter() - start)


def counted(url: str) -> tuple[int, int]:
    db = Database(url)
    with db.read() as session:
        n = (
            session.scalar(
                select(func.count()).select_from(Invoice).where(Invoice.external_ref.like("INV%"))
            )
            or 0
        )
        total = (
            session.scalar(
                select(func.coalesce(func.sum(Invoice.amount_minor), 0)).where(
                    Invoice.external_ref.like("INV%")
                )
            )
            or 0
        )
    db.dispose()
    return int(n), int(total)


def kill_trial(url: str, bills: Path, delay: float) -> tuple[int, bool]:
    process = subprocess.Popen(
        [
            *CLI,
            "import",
            "invoices",
            str(bills),
            "--company",
            "BENCH",
            "--json",
            "--database-url",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return counted(url)[0], process.returncode == -signal.SIGKILL


def engine_run(
    engine: str, args: argparse.Namespace, folder: Path, files: tuple[Path, Path, int]
) -> None:
    people, bills, total = files
    url = fresh(engine, folder)
    try:
        prepare(url, people)
        seconds, peak, report = timed_import(url, bills)
        rate = args.invoices / seconds
        print(
            f"[{engine}] import {args.invoices:,} invoices: {seconds:.1f} s = {rate:,.0f} rows/s, peak {peak:,.0f} MB, "
            f"errors {len(report.get('errors', []))}, totals {report.get('totals')} (file {total / 100:,.2f})"
        )
        naive_rate = naive(url, args.naive)
        print(
            f"[{engine}] naive ORM row-by-row: {naive_rate:,.0f} rows/s over {args.naive:,} rows; ratio {rate / naive_rate:.1f}x"
        )
    finally:
        drop(url)
    kills(engine, args, folder, files)


def kills(
    engine: str, args: argparse.Namespace, folder: Path, files: tuple[Path, Path, int]
) -> None:
    people, bills, total = files
    partial = 0
    for trial in range(args.kill_trials):
        url = fresh(engine, folder)
        try:
            prepare(url, people)
            rows, killed = kill_trial(
                url, bills, args.kill_after * (0.5 + trial / max(1, args.kill_trials))
            )
            partial += rows not in (0, args.invoices)
            result = cli(url, "import", "invoices", str(bills), "--company", "BENCH", "--json")
            n, cents = counted(url)
            ok = result.returncode == 0 and n == args.invoices and cents == total
            print(
                f"[{engine}] kill -9 trial {trial + 1}: killed={killed} rows after kill={rows:,} re-run complete={ok}"
            )
        finally:
            drop(url)
    print(f"[{engine}] kill -9: {partial} partial batches in {args.kill_trials} trials")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--naive", type=int, default=5_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--kill-trials", type=int, default=3)
    parser.add_argument(
        "--kill-after", type=float, default=6.0, help="seconds before the kill (varied per trial)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cg-bench-imports-") as tmp:
        folder = Path(tmp)
        files = write_files(folder, args.customers, args.invoices, args.seed)
        print(
            f"files: {args.customers:,} customers, {args.invoices:,} invoices ({files[1].stat().st_size / 1e6:.0f} MB)"
        )
        for engine in args.engines.split(","):
            engine_run(engine, args, folder, files)


if __name__ == "__main__":
    main()
