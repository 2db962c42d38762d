"""Issue 3 benchmark: CSV imports (customers, then 1M invoices and their re-import) beside a naive row-by-row ORM insert; kill -9 trials.

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
import shutil
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


def fresh(engine: str, folder: Path, template: str | None = None) -> str:
    """A new scratch database, empty or a copy of ``template`` (the prepared customers)."""
    if engine == "sqlite":
        path = folder / f"bench-{secrets.token_hex(3)}.db"
        if template is not None:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    name = f"cg_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        if template is None:
            admin.execute(f'CREATE DATABASE "{name}"')
        else:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args, "--database-url", url], capture_output=True, text=True, check=False
    )


def prepare(url: str, people: Path) -> float:
    """Create the company and import the customers; return the customers' import seconds."""
    assert cli(url, "init", "--company", "BENCH").returncode == 0
    start = time.perf_counter()
    result = cli(url, "import", "customers", str(people), "--company", "BENCH", "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return time.perf_counter() - start


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
    template = fresh(engine, folder)
    try:
        seconds = prepare(template, people)
        print(f"[{engine}] import {args.customers:,} customers: {seconds:.1f} s")
        url = fresh(engine, folder, template)
        try:
            seconds, peak, report = timed_import(url, bills)
            rate = args.invoices / seconds
            print(
                f"[{engine}] import {args.invoices:,} invoices: {seconds:.1f} s = {rate:,.0f} rows/s, peak {peak:,.0f} MB, "
                f"errors {len(report.get('errors', []))}, totals {report.get('totals')} (file {total / 100:,.2f})"
            )
            again, _, report = timed_import(url, bills)
            print(
                f"[{engine}] re-import of the same file: {again:.1f} s, inserted {report.get('inserted')}, "
                f"unchanged {report.get('unchanged')}, errors {len(report.get('errors', []))}"
            )
            naive_rate = naive(url, args.naive)
            print(
                f"[{engine}] naive ORM row-by-row: {naive_rate:,.0f} rows/s over {args.naive:,} rows; ratio {rate / naive_rate:.1f}x"
            )
        finally:
            drop(url)
        kills(engine, args, folder, files, template, seconds)
    finally:
        drop(template)


def kills(
    engine: str,
    args: argparse.Namespace,
    folder: Path,
    files: tuple[Path, Path, int],
    template: str,
    seconds: float,
) -> None:
    """Kill the importer at points spread over its run (reading, checking, writing, committing)."""
    _, bills, total = files
    partial = 0
    complete = 0
    for trial in range(args.kill_trials):
        url = fresh(engine, folder, template)
        try:
            delay = seconds * (0.1 + 0.85 * trial / max(1, args.kill_trials - 1))
            rows, killed = kill_trial(url, bills, delay)
            partial += rows not in (0, args.invoices)
            result = cli(url, "import", "invoices", str(bills), "--company", "BENCH", "--json")
            n, cents = counted(url)
            totals = json.loads(result.stdout or "{}").get("totals", {})
            ok = result.returncode == 0 and n == args.invoices and cents == total
            complete += ok
            print(
                f"[{engine}] kill -9 trial {trial + 1} at {delay:.1f} s: killed={killed} rows after kill={rows:,} "
                f"re-run complete={ok} (rows {n:,}, report totals {totals})"
            )
        finally:
            drop(url)
    print(
        f"[{engine}] kill -9: {partial} partial batches in {args.kill_trials} trials; "
        f"{complete} re-runs complete with the file's control totals"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=50_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--kill-trials", type=int, default=10)
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
