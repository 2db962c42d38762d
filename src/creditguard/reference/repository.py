"""Queries on shared reference data (exchange rates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from creditguard.models import FxRate


def latest_rate(session: Session, currency: str, on: date) -> tuple[date, Decimal] | None:
    row = session.execute(
        select(FxRate.rate_date, FxRate.per_eur)
        .where(FxRate.currency == currency, FxRate.rate_date <= on)
        .order_by(FxRate.rate_date.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def last_dates(session: Session, source: str) -> dict[str, date]:
    rows = session.execute(
        select(FxRate.currency, func.max(FxRate.rate_date))
        .where(FxRate.source == source)
        .group_by(FxRate.currency)
    )
    return {row[0]: row[1] for row in rows}


def add_rates(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(FxRate), list(rows[start : start + 5000]))
