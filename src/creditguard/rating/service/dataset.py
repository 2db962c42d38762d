"""Training data from the company's own ledger: point-in-time features and the 12-month bad
label on a series of observation dates (see :mod:`creditguard.rating.features`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from creditguard.core.errors import invalid
from creditguard.core.permissions import Actor, require
from creditguard.rating import features
from creditguard.rating import repository as repo

MAX_DATES = 240  # twenty years of month-ends: a bound on one request's work


def read_ledger(
    session: Session, actor: Actor, customer_ids: Sequence[int] | None = None
) -> features.Ledger:
    """The company's whole ledger (or that of ``customer_ids``) in columns: a handful of bulk
    reads, none per customer. (With ``customer_ids`` the last date is not read: that ledger
    is for features, never for labels.)"""
    company, ids = actor.company_id, customer_ids
    events = repo.ledger_events(session, company, ids)
    return features.Ledger(
        customers=repo.ledger_customers(session, company, ids),
        items=repo.ledger_items(session, company, ids),
        applications=repo.ledger_applications(session, company, ids),
        credit_notes=events["credit_notes"],
        write_offs=events["write_offs"],
        disputes=events["disputes"],
        statements=repo.ledger_statements(session, company, ids),
        # Only labels look past t; features never need how far the ledger runs.
        last_date=repo.ledger_last_date(session, company) if customer_ids is None else None,
    )


def parse_every(text: str) -> int:
    """``3m`` (or ``3``) -> 3 months between observation dates (1-12)."""
    digits = text.strip().lower().removesuffix("m")
    if not digits.isdigit() or not 1 <= int(digits) <= 12:
        raise invalid(
            "every",
            text,
            "invalid",
            reason="must be a number of months from 1 to 12, such as 3m",
            reason_zh="须为 1 至 12 个月，例如 3m",
        )
    return int(digits)


def training_dataset(
    session: Session, actor: Actor, start: date, end: date, every: str = "3m"
) -> tuple[pl.DataFrame, features.Counts]:
    """The training table (``id``, features, ``bad``) on month-ends from ``start`` to ``end``
    every ``every`` months, and how many rows were left out and why."""
    require(actor, "rating:read")
    months = parse_every(every)
    if end < start:
        raise invalid(
            "to",
            end.isoformat(),
            "invalid",
            reason=f"must not be before --from {start.isoformat()}",
            reason_zh=f"不得早于 --from {start.isoformat()}",
        )
    dates = features.observation_dates(start, end, months)
    if not dates:
        raise invalid(
            "to",
            end.isoformat(),
            "invalid",
            reason="no month-end lies between --from and --to",
            reason_zh="--from 与 --to 之间没有月末日期",
        )
    if len(dates) > MAX_DATES:
        raise invalid(
            "every",
            every,
            "invalid",
            reason=f"{len(dates)} observation dates: at most {MAX_DATES}",
            reason_zh=f"观察日期 {len(dates)} 个：最多 {MAX_DATES} 个",
        )
    return features.dataset(read_ledger(session, actor), dates)


def current_features(
    session: Session, actor: Actor, as_of: date, customer_ids: Sequence[int] | None = None
) -> pl.DataFrame:
    """Every customer's (or those of ``customer_ids``) features on ``as_of``:
    ``customer_id``, ``customer`` and the features."""
    require(actor, "rating:read")
    return features.features_at(read_ledger(session, actor, customer_ids), as_of)
