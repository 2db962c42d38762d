"""Issue 6: order credit checks through the API on PostgreSQL, many clients at once.

1. A fresh PostgreSQL database: ``--customers`` customers (10,000), each rated A with a limit
   between 5,000.00 and 50,000.00 CNY, written through the app's services and models.
2. The API on loopback (uvicorn with httptools and uvloop, bench/_server.py, ``--workers`` 1
   and/or 2 processes). The load comes from another process: ``wrk`` (C, little CPU; Debian
   package ``wrk``) with ``--clients`` connections (50) running a Lua script this bench writes:
   every request a random customer, an amount of 100.00 to 3,000.00 and its own order_ref
   (run, wrk thread, counter). A short warm-up run, then ``--duration`` seconds: p50, p99,
   checks/s and non-2xx answers (each must be 0; the first failure is printed).
   ``--client httpx``: the former generator, ``--clients`` Python threads each with a
   keep-alive httpx client sharing ``--requests`` checks, on the same cores as the server;
   ``--client both`` runs wrk, then httpx. ``--rate 500 250`` adds wrk runs paced for 500 and
   250 checks/s (random think times per connection, mean clients / rate): the latency at that
   load, where the closed loop's p50 is bound to be 50 clients / throughput (Little's law).
   Each connection waits for its answer before thinking again, so the rate actually offered
   is clients / (think + latency), a little under the nominal one: read the checks/s
   answered, and ask for more (``--rate 550``) to see the latency at 500/s answered.
   ``--idempotency-key``: every wrk request with its own ``Idempotency-Key`` header, as an
   ERP that sends one with every POST (such a check goes through the route, which stores its
   reply: not gathered).
3. Over-commits, read from the database afterwards: customers whose open reservations exceed
   their limit (target: 0); checks and reservations (= approved) counted per run.

``--mode cpu``: no server; ``--checks`` reserving checks one after another in this process,
through the ASGI app (no sockets) and through the service alone: CPU seconds of this process
per check (PostgreSQL's own CPU is not in it) and wall time per check.

The database is dropped at the end. Targets (issue 6, 2 cores): p50 <= 5 ms, p99 <= 25 ms,
>= 500 checks/s, 0 over-commits.

    .venv/bin/python bench/credit_checks.py [--quick] [--customers 10000] [--clients 50]
        [--client wrk|httpx|both] [--duration 20] [--warmup 5] [--threads 2] [--workers 1 2]
        [--requests 20000] [--rate 500 250] [--idempotency-key] [--mode api|cpu]
        [--checks 3000]

Prints its figures, never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).parent))

from _server import api_server
from creditguard.api.app import create_app
from creditguard.clock import FixedClock, SystemClock
from creditguard.core.permissions import Actor
from creditguard.credit import service as credit
from creditguard.credit.schemas import CheckIn
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn, CompanyIn
from creditguard.models import CreditCheck, CreditLimit, CreditRating, CreditReservation
from creditguard.rating.service.policies import policy_row
from creditguard.reference.service import seed_ecb_rates

PG_ADMIN = os.environ.get("CREDITGUARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime.now(UTC)


def prepare(url: str, count: int) -> tuple[str, dict[int, int], int]:
    """Company, customers, ratings and limits: an API key, each limit (minor), the company."""
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
    return secret, limits, company.id


@dataclass(frozen=True, slots=True)
class Figures:
    """One load run: latencies in ms, checks answered, seconds, failures (non-2xx, errors)."""

    p50: float
    p99: float
    answered: int
    seconds: float
    failed: int
    example: str = ""

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds


def hammer_httpx(base: str, secret: str, count: int, requests: int, clients: int) -> Figures:
    """``clients`` threads share ``requests`` reserving checks, each with a keep-alive client."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    barrier = threading.Barrier(clients + 1)
    tag = secrets.token_hex(3)

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
                    "order_ref": f"H{tag}-{i}",
                    "reserve": True,
                }
                start = time.perf_counter()
                reply = http.post("/api/v1/credit-checks", json=body)
                latencies[n].append((time.perf_counter() - start) * 1000)
                if reply.status_code != 200:
                    failures.append(f"{reply.status_code} {reply.text[:300]}")
                    return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    millis = sorted(x for each in latencies for x in each)
    return Figures(
        millis[len(millis) // 2],
        millis[int(len(millis) * 0.99)],
        len(millis),
        seconds,
        len(failures),
        failures[0] if failures else "",
    )


# Each wrk thread has its own Lua state: ``id`` is set per thread by setup(), ``counter``
# makes every order_ref unique within the run, ``tag`` between runs.
WRK_SCRIPT = """
local customers = %(customers)d
local tag = "%(tag)s"
local counter = 0
local threads = {}
local next_id = 1
failures = 0
first_failure = ""

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(%(seed)d + 7919 * id)
  wrk.method = "POST"
  wrk.path = "/api/v1/credit-checks"
  wrk.headers["X-API-Key"] = "%(secret)s"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local cents = math.random(10000, 300000)
  local body = string.format(
    '{"customer_ref":"C%%06d","amount":"%%d.%%02d","currency":"CNY",' ..
    '"order_ref":"%%s-%%d-%%d","reserve":true}',
    math.random(0, customers - 1), math.floor(cents / 100), cents %% 100, tag, id, counter)
%(keyed)s  return wrk.format(nil, nil, nil, body)
end

%(pacing)s
function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if first_failure == "" then
      first_failure = status .. " " .. string.sub(body, 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local failed, example = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if example == "" then example = thread:get("first_failure") end
  end
  local e = summary.errors
  io.write(string.format("CG-FIGURES %%d %%d %%d %%d %%d %%d\\n",
    latency:percentile(50), latency:percentile(99), summary.requests, summary.duration,
    failed, e.connect + e.read + e.write + e.timeout))
  if example ~= "" then io.write("CG-FAILURE " .. example .. "\\n") end
end
"""


# Paced runs: each connection waits a random (exponential) think time before each request, so
# that the connections together offer about ``rate`` checks/s; latency is then the service
# time at that load, not the queue a closed loop of 50 builds (Little: 50 / throughput).
PACING = """
local think = %(think)f
function delay()
  return -think * math.log(1 - math.random())
end
"""


# --idempotency-key: each request its own key, as an ERP that sends one with every POST.
KEYED = """  wrk.headers["Idempotency-Key"] = string.format("%s-%d-%d", tag, id, counter)
"""


@dataclass(frozen=True, slots=True)
class WrkRun:
    base: str
    secret: str
    customers: int
    clients: int
    threads: int
    rate: int = 0  # checks/s offered by all connections together; 0: as fast as answered
    keyed: bool = False  # every request with its own Idempotency-Key header


def wrk_once(run: WrkRun, seconds: int, tag: str) -> Figures:
    """One wrk run of ``seconds``; figures from the line the script's done() prints."""
    script = WRK_SCRIPT % {
        "customers": run.customers,
        "tag": tag,
        "seed": random.randrange(1 << 30),
        "secret": run.secret,
        "pacing": PACING % {"think": run.clients * 1000 / run.rate} if run.rate else "",
        "keyed": KEYED if run.keyed else "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = [
            "wrk",
            f"-t{run.threads}",
            f"-c{run.clients}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            lua.name,
            run.base,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^CG-FIGURES (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no figures:\n{output}")
    p50, p99, answered, micros, failed, errors = (int(x) for x in found.groups())
    example = re.search(r"^CG-FAILURE (.*)$", output, re.M)
    return Figures(
        p50 / 1000,
        p99 / 1000,
        answered,
        micros / 1e6,
        failed + errors,
        "" if example is None else example.group(1),
    )


def analyze(url: str) -> None:
    """Statistics, as autovacuum keeps them on a database in use. A database made seconds ago
    has none for the tables a check reads and writes (credit_checks and credit_reservations
    start empty): plans made then scan them whole, and each check costs more the longer the
    run (measured: PostgreSQL's CPU per check 1.2 ms at first, 4.2 ms some 7,000 checks later,
    1.05 ms again after ANALYZE). Autovacuum wakes once a minute: too late for a 20 s run."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("ANALYZE")


def counts(url: str) -> tuple[int, int]:
    """Checks and reservations in the database, once the server has finished what wrk left
    in flight when it stopped (the counts no longer move)."""
    db = Database(url)
    last = (-1, -1)
    while True:
        with db.read() as session:
            checks = session.scalar(select(func.count()).select_from(CreditCheck)) or 0
            reserved = session.scalar(select(func.count()).select_from(CreditReservation)) or 0
        if (checks, reserved) == last:
            break
        last = (checks, reserved)
        time.sleep(0.5)
    db.dispose()
    return last


def _body(rng: random.Random, count: int, order_ref: str) -> dict[str, object]:
    return {
        "customer_ref": f"C{rng.randrange(count):06d}",
        "amount": f"{rng.randint(100, 3000)}.00",
        "currency": "CNY",
        "order_ref": order_ref,
        "reserve": True,
    }


async def _asgi_post(
    app: object, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> int:
    """One POST straight into the ASGI app (no socket, no HTTP client); its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> dict[str, object]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(str(message["status"]))

    await app(scope, receive, send)  # type: ignore[operator]
    return status


def cpu_through_app(url: str, secret: str, count: int, checks: int) -> tuple[float, float]:
    """CPU and wall ms per check through the ASGI app, one check at a time (after a warm-up)."""
    app = create_app(Database(url))
    headers = [(b"x-api-key", secret.encode()), (b"content-type", b"application/json")]
    rng = random.Random(7)
    tag = secrets.token_hex(3)

    async def loop() -> tuple[float, float]:
        bodies = [
            json.dumps(_body(rng, count, f"A{tag}-{i}")).encode() for i in range(checks + 200)
        ]
        for body in bodies[:200]:
            await _asgi_post(app, "/api/v1/credit-checks", headers, body)
        analyze(url)
        cpu, wall = time.process_time(), time.perf_counter()
        for body in bodies[200:]:
            status = await _asgi_post(app, "/api/v1/credit-checks", headers, body)
            if status != 200:
                raise SystemExit(f"check answered {status}")
        return time.process_time() - cpu, time.perf_counter() - wall

    cpu, wall = asyncio.run(loop())
    app.state.db.dispose()
    return cpu * 1000 / checks, wall * 1000 / checks


def cpu_of_service(url: str, company_id: int, count: int, checks: int) -> tuple[float, float]:
    """CPU and wall ms per check of the service alone: one unit of work and run_check."""
    db = Database(url)
    actor = Actor(company_id, "bench", "erp_client")
    clock = SystemClock()
    rng = random.Random(8)
    tag = secrets.token_hex(3)
    bodies = [CheckIn(**_body(rng, count, f"S{tag}-{i}")) for i in range(checks + 200)]
    for body in bodies[:200]:
        with db.write() as session:
            credit.run_check(session, actor, body, clock)
    analyze(url)
    cpu, wall = time.process_time(), time.perf_counter()
    for body in bodies[200:]:
        with db.write() as session:
            credit.run_check(session, actor, body, clock)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db.dispose()
    return cpu * 1000 / checks, wall * 1000 / checks


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


def report_run(title: str, figures: Figures, made: tuple[int, int]) -> None:
    checks, reserved = made
    print(
        f"{title}:\n"
        f"  p50 {figures.p50:.1f} ms (target <= 5), p99 {figures.p99:.1f} ms (target <= 25), "
        f"{figures.per_second:,.0f} checks/s (target >= 500); {figures.answered:,} answered "
        f"in {figures.seconds:.1f} s, failed (non-2xx or socket errors): {figures.failed}\n"
        f"  in the database: {checks:,} checks, {reserved:,} approved and reserved, "
        f"{checks - reserved:,} held",
        flush=True,
    )
    if figures.failed:
        print(f"  first failure: {figures.example}", flush=True)


def load(args: argparse.Namespace, base: str, secret: str, client: str) -> Figures:
    """One measured run of ``client``: wrk, wrk paced at ``--rate``, or httpx threads."""
    tag = secrets.token_hex(3)
    if client == "httpx":
        return hammer_httpx(base, secret, args.customers, args.requests, args.clients)
    rate = int(client.removeprefix("paced:")) if client.startswith("paced:") else 0
    run = WrkRun(base, secret, args.customers, args.clients, args.threads, rate, args.keyed)
    return wrk_once(run, args.duration, f"{client[0].upper()}{tag}")


def run_api(args: argparse.Namespace, url: str, secret: str) -> None:
    clients = ["wrk", "httpx"] if args.client == "both" else [args.client]
    at = clients.index("wrk") + 1 if "wrk" in clients else 0
    clients[at:at] = [f"paced:{rate}" for rate in args.rate]
    uses_wrk = "wrk" in clients or bool(args.rate)
    if uses_wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or make sysdeps)")
    for workers in args.workers:
        with api_server(url, workers) as base:
            if uses_wrk and args.warmup > 0:  # connections, caches, the pool
                run = WrkRun(base, secret, args.customers, args.clients, args.threads)
                wrk_once(run, args.warmup, f"U{secrets.token_hex(3)}")
            analyze(url)  # the warm-up's checks in the statistics (see analyze)
            for client in clients:
                before = counts(url)
                figures = load(args, base, secret, client)
                after = counts(url)
                paced = client.startswith("paced:")
                how = (
                    f"wrk paced: think times for {client[6:]}/s were answers instant"
                    if paced
                    else client
                ) + (", each with an Idempotency-Key" if args.keyed else "")
                report_run(
                    f"credit checks through the API ({how}, PostgreSQL, {args.clients} "
                    f"clients, {workers} uvicorn worker{'s' if workers > 1 else ''}, "
                    f"{args.customers:,} customers)",
                    figures,
                    (after[0] - before[0], after[1] - before[1]),
                )


def run_cpu(args: argparse.Namespace, url: str, secret: str, company_id: int) -> None:
    app_cpu, app_wall = cpu_through_app(url, secret, args.customers, args.checks)
    service_cpu, service_wall = cpu_of_service(url, company_id, args.customers, args.checks)
    print(
        f"one check at a time in this process ({args.checks:,} reserving checks each, "
        f"PostgreSQL's CPU not included):\n"
        f"  through the ASGI app: {app_cpu:.2f} ms CPU, {app_wall:.2f} ms wall per check\n"
        f"  service alone (unit of work + run_check): {service_cpu:.2f} ms CPU, "
        f"{service_wall:.2f} ms wall per check",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 customers, short runs")
    parser.add_argument("--mode", choices=("api", "cpu"), default="api")
    parser.add_argument("--client", choices=("wrk", "httpx", "both"), default="wrk")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=20, help="wrk: seconds measured")
    parser.add_argument("--warmup", type=int, default=5, help="wrk: seconds before")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--rate",
        type=int,
        nargs="*",
        default=[],
        help="also wrk runs paced at these many checks/s offered, e.g. 500 250",
    )
    parser.add_argument("--requests", type=int, default=20_000, help="httpx: checks sent")
    parser.add_argument(
        "--idempotency-key",
        dest="keyed",
        action="store_true",
        help="wrk: every check with its own Idempotency-Key (the route's stored replies)",
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="uvicorn processes, e.g. 1 2"
    )
    parser.add_argument("--checks", type=int, default=3_000, help="cpu: checks measured")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.requests, args.duration, args.warmup = 1_000, 2_000, 5, 2
        args.checks = min(args.checks, 1_000)
    name = f"cg_bench_credit_{secrets.token_hex(4)}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        start = time.perf_counter()
        secret, limits, company_id = prepare(url, args.customers)
        print(
            f"loaded {args.customers:,} customers with ratings and limits in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        if args.mode == "cpu":
            run_cpu(args, url, secret, company_id)
        else:
            run_api(args, url, secret)
        over, reserved = over_commits(url, limits)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"over-commits: {over} (target 0) over {reserved:,} open reservations\n"
        f"load average after the run: {load} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
