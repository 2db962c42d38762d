"""The nightly review's facts summed column-wise from the portfolio: per customer, or per
group — each row's customer mapped to its group's parent before the sums, so a group's days
late are weighted by amount over the whole group, not averaged over its customers.

The rows are read once (:func:`lateness`, :func:`issued`, the netted payment applications)
and summed twice: per customer, and with ``roots`` (customer_id, root_id: every customer of
a group under review, the parent itself included) per group. Groups are few: their sums join
a small frame to rows already in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import polars as pl
from sqlalchemy.orm import Session

from creditguard.analytics.kpis import months_before
from creditguard.analytics.service import in_base, open_in
from creditguard.analytics.snapshot import View
from creditguard.core import kpis as formula
from creditguard.reference import service as reference


def pooled(rows: pl.DataFrame, roots: pl.DataFrame | None) -> pl.DataFrame:
    """``rows`` as they are (per customer, ``roots`` ``None``), or those of the groups'
    customers with each one's ``customer_id`` replaced by its group's parent (``roots``:
    customer_id, root_id): the ``group_by`` that follows then sums or takes the most over the
    whole group, row by row."""
    if roots is None:
        return rows
    mapped = rows.join(roots, on="customer_id").drop("customer_id")
    return mapped.rename({"root_id": "customer_id"})


def lateness(view: View, as_of: date) -> pl.DataFrame:
    """Days late (customer_id, late) of each instalment paid in the last 12 months, and of each
    still open and past due on ``as_of``. As in the payment behaviour, money applied and later
    undone does not count, and reversed invoices are not open."""
    since = months_before(as_of, 12)
    paid = (
        view.entries.filter(
            pl.col("source_kind") == "payment",
            pl.col("applied_on") > since,
            pl.col("applied_on") <= as_of,
        )
        .group_by("customer_id", "source_id", "instalment_id")
        .agg(
            pl.col("amount_minor").sum(),
            pl.col("applied_on").filter(pl.col("amount_minor") > 0).min(),
        )
        .filter(pl.col("amount_minor") > 0)
        .join(view.items.select("instalment_id", "due_on"), on="instalment_id")
        .select("customer_id", late=(pl.col("applied_on") - pl.col("due_on")).dt.total_days())
    )
    still_open = open_in(view, as_of).select(
        "customer_id", late=(pl.lit(as_of) - pl.col("due_on")).dt.total_days()
    )
    return pl.concat([paid, still_open])


def max_days_late(late: pl.DataFrame, roots: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per customer (per group with ``roots``), the most days late (customer_id,
    max_days_late) of :func:`lateness`'s rows."""
    return (
        pooled(late, roots)
        .group_by("customer_id")
        .agg(pl.col("late").max().clip(lower_bound=0).alias("max_days_late"))
    )


def issued(view: View, as_of: date) -> dict[str, pl.DataFrame]:
    """The invoices of the two sales windows: the last 6 months and the 6 before."""
    return {
        name: view.issued(after, until)
        for name, (after, until) in {
            "sales_recent": (months_before(as_of, 6), as_of),
            "sales_before": (months_before(as_of, 12), months_before(as_of, 6)),
        }.items()
    }


def sales(
    session: Session,
    invoiced: Mapping[str, pl.DataFrame],
    as_of: date,
    base: str,
    roots: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per customer (per group with ``roots``), invoiced in the last 6 months and in the 6
    before (:func:`issued`), in the base currency."""
    frames = []
    for name, invoices in invoiced.items():
        sums = (
            pooled(invoices, roots)
            .group_by("customer_id", "currency")
            .agg(pl.col("amount_minor").sum())
        )
        rates = {
            c: reference.rate(session, c, base, as_of).rate
            for c in sums["currency"].unique().to_list()
            if c != base
        }
        per = in_base(sums, "amount_minor", base, rates).group_by("customer_id")
        frames.append(per.agg(pl.col("base_minor").sum().alias(name)))
    recent, before = frames
    return recent.join(before, on="customer_id", how="full", coalesce=True).fill_null(0)


class Behaviour(NamedTuple):
    """What the rules read of a customer's payments (``None``: nothing paid in the window)."""

    days_late_3m: Decimal | None
    share_late_3m: Decimal | None
    days_late_12m: Decimal | None
    last_late_on: date | None  # the last day in 3 months money was applied late


def behaviour(
    net: pl.DataFrame, as_of: date, roots: pl.DataFrame | None = None
) -> dict[int, Behaviour]:
    """Per customer with money applied in the last 12 months (per group with ``roots``: all
    the group's payments together), the 3- and 12-month windows of
    :func:`creditguard.analytics.behaviour.payment_behaviour` — from its netted applications
    (``net``), the same sums, the same rounding (``kpis.ratio``/``share``) — summed
    column-wise, without the 6-month window and without building its objects."""
    payments = pooled(net, roots)
    sums = []
    for months in (3, 12):
        window = payments.filter(pl.col("applied_on") > months_before(as_of, months))
        late = pl.col("late") > 0
        figures = [
            pl.col("amount_minor").sum().alias(f"paid_{months}"),
            (pl.col("amount_minor") * pl.col("late")).sum().alias(f"weighted_{months}"),
            pl.col("amount_minor").filter(late).sum().alias(f"late_{months}"),
        ]
        if months == 3:
            figures.append(pl.col("applied_on").filter(late).max().alias("last_late_on"))
        sums.append(window.group_by("customer_id").agg(figures))
    recent, year = sums
    both = year.join(recent, on="customer_id", how="full", coalesce=True)
    both = both.with_columns(pl.exclude("last_late_on").fill_null(0))
    names = ("customer_id", "paid_3", "weighted_3", "late_3", "paid_12", "weighted_12",
             "last_late_on")  # fmt: skip
    columns = [both.get_column(name).to_list() for name in names]
    ratio, share = formula.ratio, formula.share
    return {
        customer: Behaviour(ratio(w3, p3), share(l3, p3), ratio(w12, p12), last)
        for customer, p3, w3, l3, p12, w12, last in zip(*columns, strict=True)
    }
