"""Point-in-time features of every customer and the 12-month bad label: the training data of
models fitted on the company's own ledger (点时特征, no leakage).

Everything here works on the whole ledger read once into columns (:class:`Ledger`); no
database. The features on an observation date ``t`` are computed from :meth:`Ledger.known_on`
— the entries dated up to ``t``, with a reversal dated after ``t`` not yet happened — and from
nothing else. The label looks forward instead: a customer is *bad* at ``t`` when, in the 365
days after ``t``, one of its invoices was written off or an instalment went more than 90 days
past due.

Days late and the share paid late follow :mod:`creditguard.analytics.behaviour` (a payment's
money on an instalment counts once, on the day it was first applied; money applied and undone
by ``t`` does not count), computed for many customers at once. Amounts are summed in minor
units of their own currency without conversion, as there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl

from creditguard.analytics.behaviour import Behaviour, Window
from creditguard.analytics.kpis import months_before
from creditguard.core import kpis as formula

HORIZON_DAYS = 365  # the label's window: (t, t + 365 days]
BAD_DAYS_PAST_DUE = 90  # more than this many days past due is bad (91 is, 90 is not)
WINDOWS = (3, 6, 12)  # months of payment behaviour
FEATURES = (
    "days_late_3m",
    "days_late_6m",
    "days_late_12m",
    "share_paid_late_12m",
    "late_trend_days",
    "max_days_past_due",
    "open_minor",
    "overdue_minor",
    "sales_12m_minor",
    "sales_3m_share",
    "invoices_12m",
    "relationship_months",
    "credit_note_share_12m",
    "disputes_12m",
    "debt_ratio",
    "current_ratio",
    "years_in_business",
)


def _clamped(year: int, month: int, day: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day, (following - timedelta(days=1)).day))


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return _clamped(day.year, day.month, 31)


def observation_dates(start: date, end: date, every_months: int) -> list[date]:
    """Month-ends from the first one on or after ``start`` up to ``end``, every ``every_months``."""
    found: list[date] = []
    index = start.year * 12 + start.month - 1
    while True:
        year, month = divmod(index, 12)
        day = month_end(date(year, month + 1, 1))
        if day > end:
            return found
        if day >= start:
            found.append(day)
        index += every_months


@dataclass(frozen=True)
class Ledger:
    """A company's ledger in columns (see :mod:`creditguard.rating.repository`)."""

    customers: pl.DataFrame  # customer_id, customer (code), founded_on
    items: (
        pl.DataFrame
    )  # instalment_id, invoice_id, customer_id, issued_on, due_on, amount_minor, reversed_on
    applications: (
        pl.DataFrame
    )  # instalment_id, customer_id, source_kind, source_id, amount_minor, applied_on
    credit_notes: pl.DataFrame  # customer_id, on, amount_minor, reversed_on
    write_offs: pl.DataFrame  # customer_id, on, amount_minor, reversed_on
    disputes: pl.DataFrame  # customer_id, on
    statements: pl.DataFrame  # customer_id, period_end, total_/current_ assets/liabilities_minor
    last_date: date | None  # the latest date of any entry: how far the future is observed

    def known_on(self, t: date) -> Ledger:
        """What was known at the end of day ``t``: entries dated up to ``t``, and reversals
        dated up to ``t`` (a later reversal has not happened yet)."""

        def until(frame: pl.DataFrame, column: str) -> pl.LazyFrame:
            kept = frame.lazy().filter(pl.col(column) <= t)
            if "reversed_on" not in frame.columns:
                return kept
            late = pl.col("reversed_on") > t
            return kept.with_columns(
                pl.when(late).then(None).otherwise(pl.col("reversed_on")).alias("reversed_on")
            )

        # One collect for the six frames (each a few rows when one customer is rated).
        items, applications, notes, offs, disputes, statements = pl.collect_all(
            [
                until(self.items, "issued_on"),
                until(self.applications, "applied_on"),
                until(self.credit_notes, "on"),
                until(self.write_offs, "on"),
                until(self.disputes, "on"),
                until(self.statements, "period_end"),
            ]
        )
        return replace(
            self,
            items=items,
            applications=applications,
            credit_notes=notes,
            write_offs=offs,
            disputes=disputes,
            statements=statements,
            last_date=t,
        )


def _open_items(known: Ledger, t: date) -> pl.LazyFrame:
    applied = (
        known.applications.lazy()
        .group_by("instalment_id")
        .agg(pl.col("amount_minor").sum().alias("applied"))
    )
    return (
        known.items.lazy()
        .filter(pl.col("reversed_on").is_null())
        .join(applied, on="instalment_id", how="left")
        .with_columns(
            open=pl.col("amount_minor") - pl.col("applied").fill_null(0),
            past_due=(pl.lit(t) - pl.col("due_on")).dt.total_days(),
        )
    )


def _exposure(items: pl.LazyFrame) -> pl.LazyFrame:
    overdue = (pl.col("open") > 0) & (pl.col("past_due") > 0)
    return items.group_by("customer_id").agg(
        pl.col("open").sum().alias("open_minor"),
        pl.col("open").filter(overdue).sum().alias("overdue_minor"),
        pl.col("past_due").filter(overdue).max().fill_null(0).alias("max_days_past_due"),
    )


def window_sums(known: Ledger, t: date) -> pl.LazyFrame:
    """Per customer and window (3, 6, 12 months up to ``t``): payments (payment, instalment
    pairs), money paid, money x days late, money paid late — integer sums, netted exactly as
    :func:`creditguard.analytics.behaviour.payment_behaviour` nets them (over the applications
    of the last 12 months; a payment's money on an instalment counts once, on its first day)."""
    due = known.items.lazy().select("instalment_id", "due_on")
    net = (
        known.applications.lazy()
        .filter(
            (pl.col("source_kind") == "payment")
            & (pl.col("applied_on") > months_before(t, max(WINDOWS)))
        )
        .group_by("customer_id", "source_id", "instalment_id")
        .agg(
            pl.col("amount_minor").sum(),
            pl.col("applied_on").filter(pl.col("amount_minor") > 0).min(),
        )
        .filter(pl.col("amount_minor") > 0)
        .join(due, on="instalment_id", how="left")
        .with_columns(
            late=(pl.col("applied_on") - pl.col("due_on")).dt.total_days().clip(lower_bound=0)
        )
    )
    parts = [
        net.filter(pl.col("applied_on") > months_before(t, months))
        .group_by("customer_id")
        .agg(
            pl.len().cast(pl.Int64).alias("payments"),
            pl.col("amount_minor").sum().alias("paid"),
            (pl.col("amount_minor") * pl.col("late")).sum().alias("weighted"),
            pl.col("amount_minor").filter(pl.col("late") > 0).sum().alias("late_paid"),
        )
        .with_columns(months=pl.lit(months, dtype=pl.Int64))
        for months in WINDOWS
    ]
    return pl.concat(parts)


@dataclass(frozen=True)
class Cut:
    """A ledger as known on ``t`` (:meth:`Ledger.known_on`) and its window sums, both computed
    once: what a rating run reads its payment behaviour and its model features from."""

    known: Ledger
    t: date
    sums: pl.DataFrame  # window_sums(known, t), collected

    @classmethod
    def of(cls, ledger: Ledger, t: date) -> Cut:
        known = ledger.known_on(t)
        return cls(known, t, window_sums(known, t).collect())

    def behaviours(self, customer_ids: Sequence[int]) -> dict[int, Behaviour]:
        return _behaviours(self.sums, self.t, customer_ids)

    def features(self) -> pl.DataFrame:
        return _features(self.known, self.t, self.sums.lazy())


def behaviours(ledger: Ledger, t: date, customer_ids: Sequence[int]) -> dict[int, Behaviour]:
    """The rating's payment behaviour of ``customer_ids`` on ``t`` (the same figures as
    :func:`creditguard.analytics.behaviour.payment_behaviour`, from this ledger's columns)."""
    return _behaviours(window_sums(ledger.known_on(t), t).collect(), t, customer_ids)


def _behaviours(sums: pl.DataFrame, t: date, customer_ids: Sequence[int]) -> dict[int, Behaviour]:
    found: dict[int, dict[int, Window]] = {}
    for customer, count, paid, weighted, late_paid, months in sums.iter_rows():
        window = Window(
            months, count, paid, formula.ratio(weighted, paid), formula.share(late_paid, paid)
        )
        found.setdefault(customer, {})[months] = window
    return {
        c: Behaviour(
            c,
            t,
            tuple(found.get(c, {}).get(m, Window(m, 0, 0, None, None)) for m in WINDOWS),
        )
        for c in customer_ids
    }


def _behaviour(sums: pl.LazyFrame) -> pl.LazyFrame:
    """Amount-weighted days late per window, the share paid late, the trend (3m - 12m), from
    :func:`window_sums`."""

    def total(months: int, column: str) -> pl.Expr:
        return pl.col(column).filter(pl.col("months") == months).sum()

    def per_paid(months: int, column: str, scale: int = 1) -> pl.Expr:
        paid = total(months, "paid")
        return pl.when(paid > 0).then(scale * total(months, column) / paid)

    wide = sums.group_by("customer_id").agg(
        *(per_paid(m, "weighted").alias(f"days_late_{m}m") for m in WINDOWS),
        per_paid(12, "late_paid", 100).alias("share_paid_late_12m"),
    )
    return wide.with_columns(
        (pl.col("days_late_3m") - pl.col("days_late_12m")).alias("late_trend_days")
    )


def _sales(known: Ledger, t: date) -> pl.LazyFrame:
    live = known.items.lazy().filter(pl.col("reversed_on").is_null())
    year, quarter = months_before(t, 12), months_before(t, 3)
    in_year = pl.col("issued_on") > year
    first = live.group_by("customer_id").agg(pl.col("issued_on").min().alias("first"))
    sales = live.group_by("customer_id").agg(
        pl.col("amount_minor").filter(in_year).sum().alias("sales_12m_minor"),
        pl.col("amount_minor").filter(pl.col("issued_on") > quarter).sum().alias("sales_3m"),
        pl.col("invoice_id").filter(in_year).n_unique().alias("invoices_12m"),
    )
    months = t.year * 12 + t.month - pl.col("first").dt.year() * 12 - pl.col("first").dt.month()
    return sales.join(first, on="customer_id").select(
        "customer_id",
        "sales_12m_minor",
        pl.when(pl.col("sales_12m_minor") > 0)
        .then(100 * pl.col("sales_3m") / pl.col("sales_12m_minor"))
        .alias("sales_3m_share"),
        "invoices_12m",
        months.alias("relationship_months"),
    )


def _events(known: Ledger, t: date) -> pl.LazyFrame:
    year = months_before(t, 12)
    notes = (
        known.credit_notes.lazy()
        .filter(pl.col("reversed_on").is_null() & (pl.col("on") > year))
        .group_by("customer_id")
        .agg(pl.col("amount_minor").sum().alias("credit_notes_12m"))
    )
    disputes = (
        known.disputes.lazy()
        .filter(pl.col("on") > year)
        .group_by("customer_id")
        .agg(pl.len().cast(pl.Int64).alias("disputes_12m"))
    )
    return notes.join(disputes, on="customer_id", how="full", coalesce=True)


def _statements(known: Ledger) -> pl.LazyFrame:
    latest = known.statements.lazy().sort("period_end").group_by("customer_id").last()
    assets, liabilities = pl.col("total_assets_minor"), pl.col("total_liabilities_minor")
    current = pl.col("current_liabilities_minor")
    return latest.select(
        "customer_id",
        pl.when(assets > 0).then(100 * liabilities / assets).alias("debt_ratio"),
        pl.when(current > 0).then(pl.col("current_assets_minor") / current).alias("current_ratio"),
    )


def features_at(ledger: Ledger, t: date) -> pl.DataFrame:
    """One row per customer with an invoice issued by ``t``: ``customer_id``, ``customer``
    and :data:`FEATURES`, from what was known at the end of day ``t`` only."""
    known = ledger.known_on(t)
    return _features(known, t, window_sums(known, t))


def _features(known: Ledger, t: date, sums: pl.LazyFrame) -> pl.DataFrame:
    items = _open_items(known, t)
    frame = _exposure(items)
    for part in (_behaviour(sums), _sales(known, t), _events(known, t), _statements(known)):
        frame = frame.join(part, on="customer_id", how="left")
    founded = pl.col("founded_on")
    people = known_customers(known).lazy()
    frame = frame.join(people, on="customer_id", how="left").with_columns(
        pl.when(pl.col("sales_12m_minor") > 0)
        .then(100 * pl.col("credit_notes_12m").fill_null(0) / pl.col("sales_12m_minor"))
        .alias("credit_note_share_12m"),
        pl.col("disputes_12m").fill_null(0),
        pl.when(founded <= t)
        .then((pl.lit(t) - founded).dt.total_days() / 365.25)
        .alias("years_in_business"),
    )
    return frame.select("customer_id", "customer", *FEATURES).sort("customer_id").collect()


def known_customers(ledger: Ledger) -> pl.DataFrame:
    return ledger.customers.select("customer_id", "customer", "founded_on")


def labels(ledger: Ledger, t: date, customer_ids: Sequence[int]) -> pl.DataFrame:
    """``customer_id``, ``bad`` (1/0) and ``observed`` (the 365 days after ``t`` lie within the
    ledger) for ``customer_ids`` — from the entries after ``t`` (the whole ledger).

    Bad: a write-off dated in (t, t + 365] not reversed by then, or an instalment still open at
    the end of the day it was 90 days past due, that day + 1 falling in (t, t + 365] (an
    instalment already that late at ``t`` counts on ``t + 1`` if still open at the end of ``t``).
    """
    horizon = t + timedelta(days=HORIZON_DAYS)
    offs = ledger.write_offs.filter(
        (pl.col("on") > t)
        & (pl.col("on") <= horizon)
        & (pl.col("reversed_on").is_null() | (pl.col("reversed_on") > horizon))
    ).select("customer_id")
    first_late = pl.max_horizontal(
        pl.col("due_on") + pl.duration(days=BAD_DAYS_PAST_DUE + 1), pl.lit(t + timedelta(days=1))
    )
    items = ledger.items.with_columns(late_on=first_late).filter(
        (pl.col("late_on") <= horizon)
        & (pl.col("reversed_on").is_null() | (pl.col("reversed_on") >= pl.col("late_on")))
    )
    applied = (
        ledger.applications.join(items.select("instalment_id", "late_on"), on="instalment_id")
        .filter(pl.col("applied_on") < pl.col("late_on"))
        .group_by("instalment_id")
        .agg(pl.col("amount_minor").sum().alias("applied"))
    )
    late = (
        items.join(applied, on="instalment_id", how="left")
        .filter(pl.col("amount_minor") - pl.col("applied").fill_null(0) > 0)
        .select("customer_id")
    )
    bad = set(pl.concat([offs, late])["customer_id"].to_list())
    observed = ledger.last_date is not None and horizon <= ledger.last_date
    return pl.DataFrame(
        {
            "customer_id": list(customer_ids),
            "bad": [int(c in bad) for c in customer_ids],
            "observed": [observed] * len(customer_ids),
        },
        schema={"customer_id": pl.Int64, "bad": pl.Int64, "observed": pl.Boolean},
    )


@dataclass(frozen=True, slots=True)
class Counts:
    """How many (customer, date) rows were kept and left out, and why."""

    kept: int
    not_observed: int  # good so far, but the 365 days after t are not all in the ledger yet
    in_default: int  # already more than 90 days past due at t: nothing left to predict


def dataset(ledger: Ledger, dates: Sequence[date]) -> tuple[pl.DataFrame, Counts]:
    """The training table: ``id`` (customer code @ date), :data:`FEATURES`, ``bad``."""
    frames: list[pl.DataFrame] = []
    not_observed = in_default = 0
    for t in dates:
        feats = features_at(ledger, t)
        defaulted = pl.col("max_days_past_due") > BAD_DAYS_PAST_DUE
        in_default += feats.filter(defaulted).height
        feats = feats.filter(~defaulted)
        rows = feats.join(labels(ledger, t, feats["customer_id"].to_list()), on="customer_id")
        kept = rows.filter((pl.col("bad") == 1) | pl.col("observed"))
        not_observed += rows.height - kept.height
        frames.append(
            kept.select(
                (pl.col("customer") + pl.lit(f"@{t.isoformat()}")).alias("id"), *FEATURES, "bad"
            )
        )
    table = pl.concat(frames) if frames else pl.DataFrame(schema=_schema())
    return table, Counts(table.height, not_observed, in_default)


def _schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {"id": pl.String()}
    schema.update({name: pl.Float64() for name in FEATURES})
    schema["bad"] = pl.Int64()
    return schema
