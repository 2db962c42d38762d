"""Portfolio KPIs on a date and as a monthly series: DSO (standard and count-back), best
possible DSO, ADD, CEI, AR turnover, overdue and bad-debt ratios, concentration (top 10, HHI).

Amounts per currency are converted to the base currency at the rates of the as-of date (one
rate per currency for every figure of the date, so the ratios compare like with like).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from creditguard.analytics import repository as repo
from creditguard.analytics.service import (
    AgingReport,
    aging,
    dead_invoices,
    in_base,
    open_in,
    to_base,
)
from creditguard.analytics.snapshot import View, snapshot_for
from creditguard.core import kpis as formula
from creditguard.core.aging import Buckets
from creditguard.core.errors import invalid
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.reference import service as reference

MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True, slots=True)
class Kpis:
    as_of: date
    days: int  # the period: the ``days`` days ending on ``as_of``
    currency: str
    ar: int
    current_ar: int
    opening_ar: int
    sales: int
    written_off: int
    dso_count_back: Decimal | None
    groups: tuple[int, ...]  # open AR per group (parent), largest first: concentration

    @property
    def overdue_ar(self) -> int:
        return self.ar - self.current_ar

    def figures(self) -> dict[str, Decimal | None]:
        dso = formula.dso(self.ar, self.sales, self.days)
        best = formula.dso(self.current_ar, self.sales, self.days)
        return {
            "dso": dso,
            "dso_count_back": self.dso_count_back,
            "best_possible_dso": best,
            "add": None if dso is None or best is None else dso - best,
            "cei": formula.cei(self.opening_ar, self.sales, self.ar, self.current_ar),
            "ar_turnover": formula.turnover(self.sales, self.opening_ar, self.ar),
            "overdue_ratio": formula.share(self.overdue_ar, self.ar),
            "bad_debt_ratio": formula.share(self.written_off, self.sales),
            "top10_share": formula.top_share(self.groups, 10),
            "hhi": formula.hhi(self.groups),
        }

    def as_json(self) -> dict[str, Any]:
        def money(minor: int) -> str:
            return Money(minor, self.currency).decimal_string()

        return {
            "as_of": self.as_of.isoformat(),
            "period_days": self.days,
            "currency": self.currency,
            "ar": money(self.ar),
            "current_ar": money(self.current_ar),
            "overdue_ar": money(self.overdue_ar),
            "opening_ar": money(self.opening_ar),
            "credit_sales": money(self.sales),
            "written_off": money(self.written_off),
        } | {k: None if v is None else str(v) for k, v in self.figures().items()}


@dataclass(frozen=True, slots=True)
class KpiSums:
    """What the KPIs of a date are made of, per original currency, however computed (Polars
    over the snapshot here, Ibis on Spark in ``analytics.spark``)."""

    closing: dict[str, int]  # open on the date
    current: dict[str, int]  # of it, not yet due
    opening: dict[str, int]  # open on the period's eve
    sales: dict[str, int]  # issued in the period (invoices still live on the date)
    written_off: dict[str, int]  # net, in the period
    monthly: list[tuple[dict[str, int], int]]  # sales and days of 12 months back, newest first
    groups: pl.DataFrame  # key (the group), currency, open_minor: open on the date


def kpis(session: Session, actor: Actor, as_of: date, *, days: int = 90) -> Kpis:
    """The KPIs of the ``days`` days ending on ``as_of``."""
    check_days(days)
    snap = snapshot_for(session, actor.company_id)
    return kpis_of(session, actor, as_of, days, kpi_sums(snap, as_of, days))


def kpi_sums(snap: View, as_of: date, days: int) -> KpiSums:
    """The sums behind the KPIs of the ``days`` days ending on ``as_of``, from a snapshot:
    what was open on the date and on the period's eve (read narrow: the columns the sums
    need), the sales of the period and of the 12 months back summed per day first (a few
    hundred days, not millions of instalments, then go into months), and what was open per
    group joined with the customers in customer order (merged, not hashed)."""
    start = as_of - timedelta(days=days)
    year = months_back(as_of, 12)
    narrow = open_in(snap, as_of, lazy=True).select(
        "customer_id", "currency", "due_on", "open_minor"
    )
    closing = narrow.collect()
    opening = open_in(snap, start, lazy=True).group_by("currency").agg(pl.col("open_minor").sum())
    daily = _daily_sales(snap, as_of, min(start, year[-1][0]))
    per_month: dict[int, dict[str, int]] = defaultdict(dict)
    for index, (low, high) in enumerate(year):
        inside = daily.filter(pl.col("issued_on") > low, pl.col("issued_on") <= high)
        per_month[index] = _sums(inside, "amount_minor")
    return KpiSums(
        closing=_sums(closing),
        current=_sums(closing.filter(pl.col("due_on") >= as_of)),
        opening=_sums(opening.collect()),
        sales=_sums(daily.filter(pl.col("issued_on") > start), "amount_minor"),
        written_off=snap.written_off(start, as_of),
        monthly=[(per_month[index], (high - low).days) for index, (low, high) in enumerate(year)],
        groups=_groups(closing, snap.customers()),
    )


def _daily_sales(snap: View, as_of: date, after: date) -> pl.DataFrame:
    """(issued_on, currency, amount_minor): what was invoiced each day after ``after`` up to
    ``as_of``, of the invoices still live on ``as_of``. Sales are sums of instalments (an
    invoice's instalments add up to it): no per-invoice grouping needed, only the invoices
    reversed on the date taken out."""
    sales = snap.items.lazy().filter(pl.col("issued_on") > after, pl.col("issued_on") <= as_of)
    dead = dead_invoices(snap.reversals, as_of)
    if dead:
        sales = sales.filter(~pl.col("invoice_id").is_in(sorted(dead)))
    return sales.group_by("issued_on", "currency").agg(pl.col("amount_minor").sum()).collect()


def _groups(closing: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """(key: the group, currency, open_minor) of what was open on the date. Both sides are put
    in customer order, so that Polars joins them by merging, not by hashing a million
    customers (the customers come so from ``snapshot.customers_of``). A group with nothing
    open on the date is absent."""
    names = people.select("customer_id", "group")
    if not names["customer_id"].flags["SORTED_ASC"]:
        names = names.sort("customer_id").with_columns(pl.col("customer_id").set_sorted())
    rows = closing.select("customer_id", "currency", "open_minor").sort("customer_id")
    rows = rows.with_columns(pl.col("customer_id").set_sorted())
    return (
        rows.join(names, on="customer_id", how="left")
        .group_by(pl.col("group").alias("key"), "currency")
        .agg(pl.col("open_minor").sum())
    )


def check_days(days: int) -> None:
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise invalid("days", days, "out_of_range", low=1, high=MAX_PERIOD_DAYS)


def kpis_of(session: Session, actor: Actor, as_of: date, days: int, sums: KpiSums) -> Kpis:
    """The KPIs from their sums: each currency's sums converted to the base currency at the
    rates of ``as_of`` (one rate per currency for every figure, so the ratios compare like with
    like), then the formulas of ``core.kpis``."""
    base = repo.base_currency(session, actor.company_id)
    currencies = set(sums.closing) | set(sums.opening) | set(sums.sales) | set(sums.written_off)
    currencies |= {c for per_month, _ in sums.monthly for c in per_month}
    currencies |= set(sums.groups["currency"].unique().to_list())
    rates = {c: reference.rate(session, c, base, as_of).rate for c in currencies}

    def base_of(per_currency: Mapping[str, int]) -> int:
        return sum(to_base(v, c, base, rates[c]) for c, v in per_currency.items())

    groups = (
        in_base(sums.groups, "open_minor", base, rates)
        .group_by("key")
        .agg(pl.col("base_minor").sum())
    )
    ar = base_of(sums.closing)
    return Kpis(
        as_of=as_of,
        days=days,
        currency=base,
        ar=ar,
        current_ar=base_of(sums.current),
        opening_ar=base_of(sums.opening),
        sales=base_of(sums.sales),
        written_off=base_of(sums.written_off),
        dso_count_back=formula.count_back_dso(
            ar, [(base_of(per_month), length) for per_month, length in sums.monthly]
        ),
        groups=tuple(groups["base_minor"].sort(descending=True).to_list()),
    )


@dataclass(frozen=True, slots=True)
class Concentration:
    as_of: date
    by: str
    currency: str
    rows: list[tuple[str, int]]  # key, open AR in base currency; largest first

    def as_json(self, top: int = 10) -> dict[str, Any]:
        amounts = [amount for _, amount in self.rows]
        whole = sum(amounts)
        return {
            "as_of": self.as_of.isoformat(),
            "by": self.by,
            "currency": self.currency,
            "total": Money(whole, self.currency).decimal_string(),
            "top": top,
            "top_share": text_or_none(formula.top_share(amounts, top)),
            "hhi": text_or_none(formula.hhi(amounts)),
            "rows": [
                {
                    "key": key,
                    "amount": Money(amount, self.currency).decimal_string(),
                    "share": text_or_none(formula.share(amount, whole)),
                }
                for key, amount in self.rows[:top]
            ],
        }


def concentration(
    session: Session, actor: Actor, as_of: date, *, by: str = "group"
) -> Concentration:
    """Open AR on ``as_of`` per ``by`` (group by default: a group's members are one risk)."""
    return concentration_of(aging(session, actor, as_of, by=by, buckets=Buckets()))


def concentration_of(report: AgingReport) -> Concentration:
    """Each key's total, the largest first (ties by key)."""
    width = len(report.buckets.bounds())
    totals = report.table.select(
        "key",
        pl.sum_horizontal(pl.col(f"b{i}").cast(pl.Int128) for i in range(width)).alias("total"),
    ).sort("total", "key", descending=[True, False])
    return Concentration(report.as_of, report.by, report.currency, list(totals.iter_rows()))


def text_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def kpi_series(session: Session, actor: Actor, last: date, months: int = 12) -> list[Kpis]:
    """Month by month, oldest first: the KPIs of each calendar month ending on or before
    ``last`` (the last one may be the month to date), from one refresh of the snapshot."""
    ends = month_ends(last, months)
    snap = snapshot_for(session, actor.company_id)
    return [kpis_of(session, actor, end, days, kpi_sums(snap, end, days)) for end, days in ends]


def month_ends(last: date, months: int) -> list[tuple[date, int]]:
    """The last day and length of each of ``months`` calendar months ending on or before
    ``last`` (the last one to date), oldest first."""
    if not 1 <= months <= 60:
        raise invalid("months", months, "out_of_range", low=1, high=60)
    ends = [last, *(first - timedelta(days=1) for first in _month_starts(last, months - 1))]
    return [(end, (end - end.replace(day=1)).days + 1) for end in reversed(ends)]


def _month_starts(last: date, count: int) -> list[date]:
    starts: list[date] = []
    first = last.replace(day=1)
    for _ in range(count):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return starts


def months_back(as_of: date, count: int) -> list[tuple[date, date]]:
    """(after, until] windows of one calendar month each, ending on ``as_of``, newest first."""
    windows: list[tuple[date, date]] = []
    high = as_of
    for _ in range(count):
        low = months_before(high, 1)
        windows.append((low, high))
        high = low
    return windows


def months_before(day: date, count: int) -> date:
    """The same day ``count`` calendar months earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - count
    year, month = divmod(index, 12)
    following = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def _sums(frame: pl.DataFrame, column: str = "open_minor") -> dict[str, int]:
    sums = frame.group_by("currency").agg(pl.col(column).sum())
    return {c: int(v) for c, v in sums.iter_rows() if v}
