"""Issue 5: every customer's rating features built from the database in one pass, on a large
ledger (the 1M-customer, 10M-invoice portfolio bench/analytics.py keeps with ``--keep``).

    .venv/bin/python bench/features_build.py --database-url sqlite:////work/bench-data/a10m/bench.db
        [--company BENCH] [--as-of 2026-10-31] [--runs 2]

Prints the time of each read and of the feature computation, the rows, and peak memory;
never asserts. Scoring those rows is measured by bench/rating_api.py (batch scoring).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from datetime import date

from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.rating import features
from creditguard.rating.service import dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--company", default="BENCH")
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    as_of = date.fromisoformat(args.as_of)
    db = Database(args.database_url)
    with db.read() as session:
        company = identity.company_by_code(session, args.company)
    actor = Actor(company.id, "bench", "admin")
    reads, computes, total = [], [], []
    rows = columns = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        with db.read() as session:
            ledger = dataset.read_ledger(session, actor)
        read = time.perf_counter() - start
        built = features.features_at(ledger, as_of)
        done = time.perf_counter() - start
        reads.append(read)
        computes.append(done - read)
        total.append(done)
        rows, columns = built.height, built.width
        print(
            f"  run: ledger read {read:.1f} s ({ledger.items.height:,} instalments, "
            f"{ledger.applications.height:,} applications, {ledger.customers.height:,} customers); "
            f"features {done - read:.1f} s; total {done:.1f} s",
            flush=True,
        )
        del ledger, built
    db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"features of {rows:,} customers ({columns} columns) as of {as_of} from "
        f"{db.engine.dialect.name}: median of {args.runs}: read {statistics.median(reads):.1f} s, "
        f"compute {statistics.median(computes):.1f} s, total {statistics.median(total):.1f} s; "
        f"peak memory {peak:,.0f} MB; load average {load} ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
