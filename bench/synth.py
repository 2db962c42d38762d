"""Issue 3 synthetic portfolio benchmark: generate and write, wall time and peak memory.

Prints its figures, never asserts. Run from the project root:

    .venv/bin/python bench/synth.py [--customers 1000000] [--invoices 10000000] [--seed 7]
        [--as-of 2026-11-22] [--currencies CNY,USD,EUR] [--keep DIR]

The files go to a temporary directory deleted afterwards (unless --keep names one). Targets
(DATA.md and the issue): 1M customers / 10M invoices in at most 90 s and 8 GB on two cores.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from creditguard.synth import generate, write

TARGET_SECONDS = 90.0
TARGET_GB = 8.0


def peak_rss_gb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def size_of(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def run(args: argparse.Namespace, out: Path) -> None:
    started = time.perf_counter()
    portfolio = generate(
        customers=args.customers,
        invoices=args.invoices,
        seed=args.seed,
        as_of=date.fromisoformat(args.as_of),
        currencies=args.currencies.split(","),
    )
    generated = time.perf_counter()
    print(f"generate      {generated - started:8.1f} s   peak RSS {peak_rss_gb():5.2f} GB")
    manifest = write(portfolio, out)
    written = time.perf_counter()
    print(f"write         {written - generated:8.1f} s   peak RSS {peak_rss_gb():5.2f} GB")
    total = written - started
    print(f"total         {total:8.1f} s   (target <= {TARGET_SECONDS:.0f} s)")
    print(f"peak RSS      {peak_rss_gb():8.2f} GB  (target <= {TARGET_GB:.0f} GB)")
    print(f"on disk       {size_of(out) / 1e9:8.2f} GB in {out}")
    for name, summary in manifest.files.items():
        print(f"  {name:<22} {summary.rows:>12,} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2026-11-22")
    parser.add_argument("--currencies", default="CNY,USD,EUR")
    parser.add_argument("--keep", type=Path, help="write here and keep the files")
    args = parser.parse_args()
    print(f"synth: {args.customers:,} customers, {args.invoices:,} invoices, seed {args.seed}")
    if args.keep is not None:
        run(args, args.keep)
        return
    out = Path(tempfile.mkdtemp(prefix="cg_synth_"))
    try:
        run(args, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
