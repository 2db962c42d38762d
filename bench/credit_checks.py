"""Issue 6: order credit checks through the API on PostgreSQL, many clients at once.

1. A fresh PostgreSQL database: ``--customers`` customers (10,000), each rated A with a limit
   between 5,000.00 and 50,000.00 CNY, written through the app's services and models.
2. The API on loopback (uvicorn, bench/_server.py); ``--clients`` threads (50), each with its
   own keep-alive httpx client, send ``--requests`` reserving checks (20,000) of 100.00 to
   3,000.00 over random customers: p50, p99, checks/s.
3. Over-commits, read from the database afterwards: customers whose open reservations exceed
   their limit (target: 0).

The database is dropped at the end. Targets (issue 6, 2 cores): p50 <= 5 ms, p99 <= 25 ms,
>= 500 checks/s, 0 over-commits.

    .venv/bin/python bench/credit_checks.py [--quick] [--customers 10000] [--requests 20000]
        [--clients 50] [--workers 1]

Prints its figures, never asserts.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).parent))

from _server import api_server
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn, CompanyIn
from creditguard.models import CreditLimit, CreditRating, CreditReservation
from creditguard.rating.service.policies import policy_row
from creditguard.reference.service import seed_ecb_rates

PG_ADMIN = os.environ.get("CREDITGUARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime.now(UTC)


def prepare(url: str, count: int) -> tuple[str, dict[int, int]]:
    """Company, customers, ratings and limits; returns an API key and each limit (minor)."""
    db = Database(url)
    upgrade(db.engine)
    clock = FixedClock(NOW)
    rng = random.Random(6)
    with db.write() as session:
        seed_ecb_rates(session, currencies=frozenset({"CNY", "USD"}))
        company = identity.create_company(
            session, CompanyIn(code="BENCH", name="Bench Trading", base_currency="CNY"), clock
        )
        actor = Actor(company.id, "user:bench", "admin")
        made = customers.create_many(
            session,
            actor,
            [
                CustomerIn(
                    code=f"C{i:06d}", name=f"客户 {i}", payment_terms="net 30", currency="CNY"
                )
                for i in range(count)
            ],
            clock,
        )
        scorecard = policy_row(session, actor, clock)
        limits = {c.id: rng.randint(5_000, 50_000) * 100 for c in made}
        session.execute(
            insert(CreditRating),
            [
                {
                    "company_id": company.id,
                    "customer_id": c.id,
                    "policy_id": scorecard.id,
                    "policy_version": scorecard.version,
                    "kind": "scorecard",
                    "trigger": "bench",
                    "as_of": date(2026, 1, 1),
                    "score": Decimal(80),
                    "scored_grade": "A",
                    "grade": "A",
                    "missing_weight": Decimal(0),
                    "details": "{}",
                    "next_review_on": date(2027, 1, 1),
                    "rated_at": NOW,
                    "rated_by": "bench",
                }
                for c in made
            ],
        )
        session.execute(
            insert(CreditLimit),
            [
                {
                    "company_id": company.id,
                    "customer_id": c.id,
                    "scope": "customer",
                    "currency": "CNY",
                    "amount_minor": limits[c.id],
                    "source": "manual",
                    "revision": 1,
                    "updated_at": NOW,
                    "updated_by": "bench",
                }
                for c in made
            ],
        )
        _, secret = identity.create_api_key(
            session, company.id, ApiKeyIn(name="bench", role="erp_client"), clock
        )
    db.dispose()
    return secret, limits


def hammer(
    base: str, secret: str, count: int, requests: int, clients: int
) -> tuple[list[float], int, float]:
    """``clients`` threads share ``requests`` reserving checks; latencies (ms), approved, seconds."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    approved = [0] * clients
    failures: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        rng = random.Random(1000 + n)
        with httpx.Client(base_url=base, timeout=30.0, headers={"X-API-Key": secret}) as http:
            http.get("/healthz")
            barrier.wait()
            for i in range(n, requests, clients):
                body = {
                    "customer_ref": f"C{rng.randrange(count):06d}",
                    "amount": f"{rng.randint(100, 3000)}.00",
                    "currency": "CNY",
                    "order_ref": f"B-{i}",
                    "reserve": True,
                }
                start = time.perf_counter()
                reply = http.post("/api/v1/credit-checks", json=body)
                latencies[n].append((time.perf_counter() - start) * 1000)
                if reply.status_code != 200:
                    failures.append(f"{reply.status_code} {reply.text[:300]}")
                    return
                approved[n] += reply.json()["decision"] == "approved"

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} checks failed, e.g. {failures[0]}")
    return sorted(x for each in latencies for x in each), sum(approved), seconds


def over_commits(url: str, limits: dict[int, int]) -> tuple[int, int]:
    """Customers whose open reservations exceed their limit, and the reservations counted."""
    db = Database(url)
    with db.read() as session:
        rows = session.execute(
            select(
                CreditReservation.customer_id,
                func.sum(CreditReservation.amount_minor),
                func.count(),
            )
            .where(CreditReservation.status == "reserved")
            .group_by(CreditReservation.customer_id)
        ).all()
    db.dispose()
    return sum(1 for c, total, _ in rows if total > limits[c]), sum(n for *_, n in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 customers, 2,000 checks")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.requests = 1_000, 2_000
    name = f"cg_bench_credit_{secrets.token_hex(4)}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        start = time.perf_counter()
        secret, limits = prepare(url, args.customers)
        print(
            f"loaded {args.customers:,} customers with ratings and limits in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        with api_server(url, args.workers) as base:
            millis, approved, seconds = hammer(
                base, secret, args.customers, args.requests, args.clients
            )
        over, reserved = over_commits(url, limits)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"credit checks through the API (PostgreSQL, {args.clients} clients, "
        f"{args.workers} uvicorn worker{'s' if args.workers > 1 else ''}, "
        f"{len(millis):,} reserving checks over {args.customers:,} customers):\n"
        f"  p50 {millis[len(millis) // 2]:.1f} ms (target <= 5), "
        f"p99 {millis[int(len(millis) * 0.99)]:.1f} ms (target <= 25), "
        f"{len(millis) / seconds:,.0f} checks/s (target >= 500)\n"
        f"  {approved:,} approved, {len(millis) - approved:,} held; {reserved:,} reservations; "
        f"over-commits: {over} (target 0)\n"
        f"  load average after the run: {load} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
