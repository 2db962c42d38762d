"""``write``: the portfolio as files, and a manifest with counts and control totals.

CSV, UTF-8, comma-separated, a header row of the canonical column names, dates YYYY-MM-DD,
blank cells for nothing. ``manifest.json`` records the seed, as_of, the currencies, and per file
its row count and the sum of its amounts per currency (decimal strings). Nothing in the files
depends on the clock or the machine: the same portfolio is written byte for byte the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from creditguard.core.money import Money
from creditguard.synth.portfolio import TOTALLED, Portfolio

MANIFEST: Final = "manifest.json"
FORMAT_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class FileSummary:
    rows: int
    totals: Mapping[str, str] = field(default_factory=dict)  # currency -> decimal string
    column: str | None = None  # the column the totals add up (None: no amounts)


@dataclass(frozen=True, slots=True)
class Manifest:
    seed: int
    as_of: date
    currencies: tuple[str, ...]
    files: Mapping[str, FileSummary]

    def as_json(self) -> dict[str, object]:
        return {
            "generator": "creditguard.synth",
            "format_version": FORMAT_VERSION,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "currencies": list(self.currencies),
            "files": {
                name: {
                    "rows": summary.rows,
                    "totals_of": summary.column,
                    "totals": dict(summary.totals),
                }
                for name, summary in self.files.items()
            },
        }


def manifest(portfolio: Portfolio) -> Manifest:
    """Counts and control totals of every file of ``portfolio``."""
    files = {
        name: FileSummary(
            rows=frame.height,
            totals={
                currency: Money(minor, currency).decimal_string()
                for currency, minor in portfolio.totals.get(name, {}).items()
            },
            column=TOTALLED.get(name, "amount") if name in portfolio.totals else None,
        )
        for name, frame in portfolio.files().items()
    }
    return Manifest(portfolio.seed, portfolio.as_of, portfolio.currencies, files)


def write(portfolio: Portfolio, out: Path) -> Manifest:
    """Write every file of ``portfolio`` under ``out`` (created if need be) and its manifest."""
    for name, frame in portfolio.files().items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(
            path,
            date_format="%Y-%m-%d",
            null_value="",
            line_terminator="\n",
        )
    summary = manifest(portfolio)
    text = json.dumps(summary.as_json(), ensure_ascii=False, indent=2)
    (out / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return summary
