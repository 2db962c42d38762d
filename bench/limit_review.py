"""Issue 6: the nightly limit review over a whole portfolio (target: 1M customers <= 60 s).

1. A SQLite database (built, or reused with ``--keep PATH``): ``--customers`` customers
   (default 1,000,000), written by direct bulk inserts — each with a rating (grades A 25 %,
   B 35 %, C 30 %, D 10 %, dated a month before the review) and a customer limit (grade A
   1.0-5.0M, B 0.5-2.0M, C 0.1-0.5M, D 0-50k; decided in January). A share of them
   (``--ledger-share``, default 20 %) also trade: one invoice about 10 months back and one
   about 3 months back, each with its instalment, payment and application; sales change by
   -20 % .. +60 % between the two, and 30 % of the recent invoices are paid 20-60 days late.
   The rest have a limit and a grade but no ledger: the review still reads and judges them.
   A share (``--alert-share``, default 1 %) has an open risk alert recorded the day before the
   review, after its limit last changed: critical 10 %, high 30 %, medium 40 %, low 20 %
   (critical cuts to zero, high by half, medium and low block increases).
   A share (``--group-share``, default 2 %) are the parents of groups (集团): the next 2-4
   customers are its members (``parent_id``) and the parent holds a group limit besides its
   own (twice its own limit), reviewed on the group's pooled facts.
2. ``run_review`` as of 2026-11-22: a dry run with a cold portfolio snapshot (read from the
   database), a dry run with it warm, then the review applying its changes — limit updates,
   requests, audit entries — **committed**, on a copy of the database file so the database
   stays reusable. The copy is made before (and deleted after) outside the clock; the copy is
   another database to the snapshot cache, so its snapshot is read first and timed on its own
   line; the applying line times ``run_review`` and the commit (the unit of work closing).
   A nightly job in a fresh process pays about both lines. After the clock, the copy's audit
   chain is verified and every limit and request row digested (the same digest: the same rows).

    .venv/bin/python bench/limit_review.py [--customers 1000000] [--keep PATH]
        [--ledger-share 0.2] [--alert-share 0.01] [--group-share 0.02]

Prints its figures, never asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from creditguard.analytics.snapshot import snapshot_for
from creditguard.audit import service as audit
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import CompanyIn
from creditguard.limits import service
from creditguard.models import (
    Application,
    CreditLimit,
    CreditRating,
    Customer,
    Instalment,
    Invoice,
    LimitRequest,
    Payment,
    RiskAlert,
)
from creditguard.rating.service.policies import policy_row
from creditguard.reference.service import seed_ecb_rates

AS_OF = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
LIMIT_AT = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)  # the limits were decided in January
CHUNK = 50_000
# (kind, severity, share in percent) of the alerts
ALERTS = (("bankruptcy_filing", "critical", 4), ("enforcement", "critical", 6),
          ("litigation", "high", 20), ("tax_violation", "high", 10),
          ("equity_change", "medium", 25), ("administrative_penalty", "medium", 15),
          ("other", "low", 20))  # fmt: skip
GRADES = (("A", 25, 1_000_000, 5_000_000), ("B", 35, 500_000, 2_000_000),
          ("C", 30, 100_000, 500_000), ("D", 10, 0, 50_000))  # fmt: skip


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, CHUNK):
        yield range(start, min(start + CHUNK, count))


def _grade(rng: random.Random) -> tuple[str, int]:
    roll = rng.randrange(100)
    for grade, share, low, high in GRADES:
        if roll < share:
            return grade, rng.randint(low // 10_000, high // 10_000) * 10_000 * 100
        roll -= share
    raise AssertionError


def _ledger_rows(i: int, customer_id: int, company: int, rng: random.Random) -> dict[str, Any]:
    """Two invoices (10 and 3 months back), each paid by one payment: rows of each table."""
    before = rng.randint(5_000, 200_000) * 100
    recent = before * rng.randint(80, 160) // 100
    rows: dict[str, list[dict[str, Any]]] = {"inv": [], "ins": [], "pay": [], "app": []}
    for k, (amount, issued) in enumerate(((before, AS_OF - timedelta(days=300)),
                                          (recent, AS_OF - timedelta(days=100)))):  # fmt: skip
        ident = 2 * i + k + 1
        due = issued + timedelta(days=30)
        late = rng.randint(20, 60) if k == 1 and rng.random() < 0.3 else -rng.randint(0, 5)
        paid = due + timedelta(days=late)
        common = {"id": ident, "company_id": company, "customer_id": customer_id, "currency": "CNY"}
        rows["inv"].append({**common, "external_ref": f"I{ident}", "issued_on": issued,
                            "due_on": due, "amount_minor": amount, "payment_terms": "net 30",
                            "open_minor": 0, "disputed_minor": 0, "status": "settled",
                            "created_at": NOW, "updated_at": NOW})  # fmt: skip
        rows["ins"].append({**common, "invoice_id": ident, "seq": 1, "due_on": due,
                            "amount_minor": amount, "open_minor": 0})  # fmt: skip
        rows["pay"].append({**common, "external_ref": f"P{ident}", "received_on": paid,
                            "amount_minor": amount, "unapplied_minor": 0, "status": "posted",
                            "created_at": NOW})  # fmt: skip
        rows["app"].append({**common, "invoice_id": ident, "instalment_id": ident,
                            "source_kind": "payment", "source_id": ident, "amount_minor": amount,
                            "applied_on": paid, "created_at": NOW})  # fmt: skip
    return rows


def _alert_row(customer_id: int, company: int, rng: random.Random) -> dict[str, Any]:
    roll, picked = rng.randrange(100), ALERTS[-1]
    for row in ALERTS:
        if roll < row[2]:
            picked = row
            break
        roll -= row[2]
    kind, severity, _ = picked
    return {"company_id": company, "customer_id": customer_id, "kind": kind,
            "severity": severity, "observed_on": AS_OF - timedelta(days=rng.randint(1, 60)),
            "recorded_on": AS_OF - timedelta(days=1), "source": "bench", "status": "open",
            "created_at": NOW - timedelta(days=1), "created_by": "bench"}  # fmt: skip


def build(url: str, count: int, share: float, alert_share: float, group_share: float) -> None:
    db = Database(url)
    upgrade(db.engine)
    clock = FixedClock(NOW)
    rng = random.Random(6)
    with db.write() as session:
        seed_ecb_rates(session, currencies=frozenset({"CNY", "USD"}))
        company = identity.create_company(
            session, CompanyIn(code="BENCH", name="Bench Trading", base_currency="CNY"), clock
        ).id
        scorecard = policy_row(session, Actor(company, "user:bench", "admin"), clock)
    parent, members_left = None, 0  # the group being filled, and how many members it awaits
    for part in _chunks(count):
        people, ratings, limits, alerts = [], [], [], []
        ledger: dict[str, list[dict[str, Any]]] = {"inv": [], "ins": [], "pay": [], "app": []}
        for i in part:
            grade, limit = _grade(rng)
            people.append({"id": i + 1, "company_id": company, "code": f"C{i:07d}",
                           "name": f"客户 {i}", "country": "CN", "currency": "CNY",
                           "payment_terms": "net 30", "status": "active", "created_at": NOW,
                           "updated_at": NOW, "revision": i + 1,
                           "parent_id": parent if members_left else None})  # fmt: skip
            if members_left:
                members_left -= 1
            elif rng.random() < group_share:
                parent, members_left = i + 1, rng.randint(2, 4)
                limits.append({"company_id": company, "customer_id": i + 1, "scope": "group",
                               "currency": "CNY", "amount_minor": 2 * limit, "source": "manual",
                               "revision": 1, "changed_on": date(2026, 1, 15),
                               "updated_at": LIMIT_AT, "updated_by": "bench"})  # fmt: skip
            ratings.append({"company_id": company, "customer_id": i + 1,
                            "policy_id": scorecard.id, "policy_version": scorecard.version,
                            "kind": "scorecard", "trigger": "bench", "as_of": AS_OF.replace(
                                month=10), "score": Decimal(60), "scored_grade": grade,
                            "grade": grade, "missing_weight": Decimal(0), "details": "{}",
                            "next_review_on": date(2027, 10, 22), "rated_at": NOW,
                            "rated_by": "bench"})  # fmt: skip
            limits.append({"company_id": company, "customer_id": i + 1, "scope": "customer",
                           "currency": "CNY", "amount_minor": limit, "source": "manual",
                           "revision": 1, "changed_on": date(2026, 1, 15),
                           "updated_at": LIMIT_AT, "updated_by": "bench"})  # fmt: skip
            if rng.random() < share:
                for key, rows in _ledger_rows(i, i + 1, company, rng).items():
                    ledger[key] += rows
            if rng.random() < alert_share:
                alerts.append(_alert_row(i + 1, company, rng))
        with db.write() as session:
            for model, rows in ((Customer, people), (CreditRating, ratings),
                                (CreditLimit, limits), (Invoice, ledger["inv"]),
                                (Instalment, ledger["ins"]), (Payment, ledger["pay"]),
                                (Application, ledger["app"]),
                                (RiskAlert, alerts)):  # fmt: skip
                if rows:
                    session.execute(insert(model), rows)
        print(f"  built {part.stop:,} customers", flush=True)
    db.dispose()


def _describe(db: Database) -> str:
    def count(model: Any, *where: Any) -> Any:
        return select(func.count()).select_from(model).where(*where)

    with db.read() as session:
        counts = {
            name: session.scalar(stmt)
            for name, stmt in (
                ("customers", count(Customer)),
                ("members of groups", count(Customer, Customer.parent_id.is_not(None))),
                ("customer limits", count(CreditLimit, CreditLimit.scope == "customer")),
                ("group limits", count(CreditLimit, CreditLimit.scope == "group")),
                ("ratings", count(CreditRating)),
                ("invoices", count(Invoice)),
                ("payments", count(Payment)),
                ("open alerts", count(RiskAlert)),
            )
        }
    return ", ".join(f"{n} {c:,}" for n, c in counts.items())


class Stopwatch:
    """Wall time, and the process's CPU time (every thread's) over the same span."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def dry_run(db: Database, actor: Actor) -> tuple[tuple[float, float], Any]:
    """One dry run (nothing written), timed from the unit of work's start to its end."""
    clock = Stopwatch()
    with db.write() as session:
        result = service.run_review(session, actor, AS_OF, FixedClock(NOW), dry_run=True)
    return clock.read(), result


def _sqlite_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + tail) for tail in ("-wal", "-shm"))]


def _outcome(db: Database, company_id: int) -> str:
    """What the applying run left: the audit chain verified, and a digest of every limit and
    request row (runs that write the same rows print the same digest)."""
    with db.read() as session:
        chain = audit.verify(session, company_id)
        digest = hashlib.sha256()
        for stmt in (
            select(CreditLimit.id, CreditLimit.amount_minor, CreditLimit.revision,
                   CreditLimit.source, CreditLimit.changed_on, CreditLimit.updated_by)
            .order_by(CreditLimit.id),
            select(LimitRequest.id, LimitRequest.customer_id, LimitRequest.amount_minor,
                   LimitRequest.previous_minor, LimitRequest.required_role,
                   LimitRequest.reason, LimitRequest.explanation, LimitRequest.status)
            .order_by(LimitRequest.id),
        ):  # fmt: skip
            for row in session.execute(stmt):
                digest.update(repr(tuple(row)).encode())
    state = "intact" if chain.intact else f"BROKEN at {chain.breaks[0]}"
    return (
        f"audit chain {state}: {chain.entries:,} entries, last hash {chain.last_hash[:16]}; "
        f"limits and requests digest {digest.hexdigest()[:16]}"
    )


def applying(path: Path, actor: Actor) -> tuple[tuple[float, float], tuple[float, float], Any, str]:
    """The review applying its changes on a copy of the database at ``path``, committed.

    Outside the clock: the copy (made with no connection open on ``path``) and its removal.
    Timed apart: reading the copy's snapshot (cold, as a nightly job in a fresh process).
    Timed: ``run_review`` writing, and the commit (the ``with`` block's end)."""
    copy = path.with_name(path.name + ".applying")
    for source, target in zip(_sqlite_files(path), _sqlite_files(copy), strict=True):
        target.unlink(missing_ok=True)
        if source.exists():
            shutil.copyfile(source, target)
    db = Database(f"sqlite:///{copy}")
    try:
        clock = Stopwatch()
        with db.read() as session:
            snapshot_for(session, actor.company_id)
        snapshot = clock.read()
        clock = Stopwatch()
        with db.write() as session:
            result = service.run_review(session, actor, AS_OF, FixedClock(NOW))
        elapsed = clock.read()
        outcome = _outcome(db, actor.company_id)
    finally:
        db.dispose()
        for target in _sqlite_files(copy):
            target.unlink(missing_ok=True)
    return snapshot, elapsed, result, outcome


def _counts(result: Any) -> str:
    fields = ("reviewed", "increased", "cut", "sent_for_approval", "skipped_pending")
    return " ".join(f"{name}={getattr(result, name):,}" for name in fields)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="SQLite file to build once and reuse")
    parser.add_argument("--ledger-share", type=float, default=0.2)
    parser.add_argument("--alert-share", type=float, default=0.01)
    parser.add_argument("--group-share", type=float, default=0.02)
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="cg-review-")) / "review.db"
    url = f"sqlite:///{path}"
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (1 min)")
    if not path.exists():
        started = time.perf_counter()
        build(url, args.customers, args.ledger_share, args.alert_share, args.group_share)
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {path}")
    db = Database(url)
    print(f"database holds: {_describe(db)}")
    with db.read() as session:
        company = identity.company_by_code(session, "BENCH").id
    actor = Actor(company, "user:bench", "admin")
    print(f"{'':46s} {'wall':>9s} {'CPU':>9s}")
    for label in ("dry run, cold snapshot", "dry run, warm snapshot"):
        (wall, cpu), result = dry_run(db, actor)
        print(f"{label:46s} {wall:7.2f} s {cpu:7.2f} s   {_counts(result)}")
    db.dispose()
    (wall, cpu), (wall2, cpu2), result, outcome = applying(path, actor)
    print(f"{'applying on a copy: its snapshot read, cold':46s} {wall:7.2f} s {cpu:7.2f} s")
    label = "applying on a copy: review + commit, warm"
    print(f"{label:46s} {wall2:7.2f} s {cpu2:7.2f} s   {_counts(result)}")
    print(f"  {outcome} (checked after the clock)")
    print("  (copying the database before and deleting the copy after are not timed;")
    print("   CPU: this process's, every thread's; well below wall = waiting for a core)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MB; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
