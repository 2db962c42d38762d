"""How each customer pays: amount-weighted days late, share paid late, and the trend over
3, 6 and 12 months — what rating and early warning read.

A payment's money on an instalment counts once, on the day it was first applied; money
applied and later undone (a reversed payment, a reversed invoice) does not count at all.
Amounts are weighed in their own currency's units converted at no rate: days late are a
property of the money, and a customer's payments are nearly always in one currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from creditguard.analytics import repository as repo
from creditguard.analytics.kpis import months_before, text_or_none
from creditguard.core import kpis as formula
from creditguard.core.permissions import Actor

WINDOWS = (3, 6, 12)


@dataclass(frozen=True, slots=True)
class Window:
    months: int
    payments: int  # (payment, instalment) pairs
    paid_minor: int
    average_days_late: Decimal | None  # amount-weighted; early payments count as 0
    share_late: Decimal | None  # percent of the amount paid after the due date

    def as_json(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "payments": self.payments,
            "average_days_late": text_or_none(self.average_days_late),
            "share_paid_late": text_or_none(self.share_late),
        }


@dataclass(frozen=True, slots=True)
class Behaviour:
    customer_id: int
    as_of: date
    windows: tuple[Window, ...]

    @property
    def trend_days(self) -> Decimal | None:
        """3-month average days late minus the 12-month one: above zero is getting worse."""
        recent, year = self.windows[0].average_days_late, self.windows[-1].average_days_late
        return None if recent is None or year is None else recent - year

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "windows": [w.as_json() for w in self.windows],
            "trend_days": text_or_none(self.trend_days),
        }


def netted(rows: pl.DataFrame) -> pl.DataFrame:
    """Applications (``payments_applied``) netted per customer, payment and instalment: what
    stayed applied, when it was first applied, and the days late (0 when on time)."""
    return (
        rows.group_by("customer_id", "source_id", "instalment_id")
        .agg(
            pl.col("amount_minor").sum(),
            pl.col("applied_on").filter(pl.col("amount_minor") > 0).min(),
            pl.col("due_on").first(),
        )
        .filter(pl.col("amount_minor") > 0)
        .with_columns(
            late=(pl.col("applied_on") - pl.col("due_on")).dt.total_days().clip(lower_bound=0)
        )
    )


def payment_behaviour(
    session: Session, actor: Actor, as_of: date, customer_ids: list[int] | None = None
) -> dict[int, Behaviour]:
    """Every customer's (or those of ``customer_ids``) payment behaviour up to ``as_of``."""
    start = months_before(as_of, max(WINDOWS))
    rows = repo.payments_applied(session, actor.company_id, start, as_of, customer_ids)
    net = netted(rows)
    found: dict[int, list[Window]] = {}
    for months in WINDOWS:
        since = months_before(as_of, months)
        stats = (
            net.filter(pl.col("applied_on") > since)
            .group_by("customer_id")
            .agg(
                pl.len().alias("payments"),
                pl.col("amount_minor").sum().alias("paid"),
                (pl.col("amount_minor") * pl.col("late")).sum().alias("weighted"),
                pl.col("amount_minor").filter(pl.col("late") > 0).sum().alias("late_paid"),
            )
        )
        by_customer = {row[0]: row[1:] for row in stats.iter_rows()}
        for customer in set(found) | set(by_customer) | set(net["customer_id"].unique()):
            count, paid, weighted, late_paid = by_customer.get(customer, (0, 0, 0, 0))
            found.setdefault(customer, []).append(
                Window(
                    months,
                    int(count),
                    int(paid),
                    formula.ratio(int(weighted), int(paid)),
                    formula.share(int(late_paid), int(paid)),
                )
            )
    ids = customer_ids if customer_ids is not None else sorted(found)
    empty = [Window(m, 0, 0, None, None) for m in WINDOWS]
    return {c: Behaviour(c, as_of, tuple(found.get(c, empty))) for c in ids}
