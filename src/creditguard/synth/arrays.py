"""Numpy helpers shared by the generator: array types, calendar arithmetic, weighted picks.

Dates are day numbers (days since 1970-01-01); months are months since 1970-01. Everything here
works on whole arrays at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Singles = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]

NEVER = 1 << 40  # a day number later than any date: "no default", "not settled"


def ints(values: npt.ArrayLike) -> Ints:
    return np.asarray(values, dtype=np.int64)


def civil(days: Ints) -> tuple[Ints, Ints, Ints]:
    """Year, month (1-12) and day of each day number (proleptic Gregorian, integer only).

    Howard Hinnant's ``civil_from_days``: much faster than numpy's datetime64 unit casts.
    """
    shifted = days + 719_468
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    march_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * march_month + 2) // 5 + 1
    month = np.where(march_month < 10, march_month + 3, march_month - 9)
    year = year_of_era + era * 400 + (month <= 2)
    return ints(year), ints(month), ints(day)


def day_numbers(year: Ints, month: Ints, day: Ints) -> Ints:
    """Day numbers of dates given as year, month (1-12), day (``days_from_civil``)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return ints(era * 146_097 + day_of_era - 719_468)


def tabulated(function: Callable[[Ints], Ints], days: Ints) -> Ints:
    """``function(days)``, computed once per distinct day of the span when that is cheaper.

    Millions of dates fall on a few thousand days: the calendar arithmetic runs over the span
    from the first to the last day, and each date looks its result up.
    """
    if len(days) == 0:
        return function(days)
    low = int(days.min())
    span = int(days.max()) - low + 1
    if span * 4 > len(days):
        return function(days)
    return function(np.arange(low, low + span, dtype=np.int64))[days - low]


def _months_of(days: Ints) -> Ints:
    year, month, _ = civil(days)
    return ints((year - 1970) * 12 + month - 1)


def months_of(days: Ints) -> Ints:
    """Months since 1970-01 of each day number."""
    return tabulated(_months_of, days)


def years_of(days: Ints) -> Ints:
    return tabulated(lambda span: civil(span)[0], days)


def first_days(months: Ints) -> Ints:
    """The day number of the first day of each month (months since 1970-01)."""
    return day_numbers(1970 + months // 12, months % 12 + 1, np.ones_like(months))


def end_of_month(days: Ints) -> Ints:
    """The last day of the month of each day number."""
    return tabulated(lambda span: first_days(_months_of(span) + 1) - 1, days)


def next_run_day(days: Ints, run_day: int) -> Ints:
    """The first payment-run day (the ``run_day``-th of a month) on or after each day."""

    def run(span: Ints) -> Ints:
        year, month, day = civil(span)
        months = (year - 1970) * 12 + month - 1 + (day > run_day)
        return first_days(ints(months)) + (run_day - 1)

    return tabulated(run, days)


def sigmoid(x: npt.NDArray[np.floating]) -> Floats:
    return np.asarray(1.0 / (1.0 + np.exp(-x.astype(np.float64))), dtype=np.float64)


def logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def softplus(x: npt.NDArray[np.floating]) -> Floats:
    return np.asarray(np.logaddexp(0.0, x.astype(np.float64)), dtype=np.float64)


def shares(weights: Sequence[float] | Floats) -> Floats:
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def pick(rng: np.random.Generator, weights: Sequence[float] | Floats, size: int) -> Ints:
    """``size`` indices drawn with the given relative weights."""
    return rng.choice(len(weights), size=size, p=shares(weights)).astype(np.int64)


def pick_rows(rng: np.random.Generator, table: Sequence[Sequence[float]], rows: Ints) -> Ints:
    """For each entry of ``rows``, an index drawn with the weights of that row of ``table``."""
    weights = np.asarray(table, dtype=np.float64)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draw = rng.random(len(rows))
    chosen = np.zeros(len(rows), dtype=np.int64)
    for column in range(weights.shape[1] - 1):  # a handful of categories
        chosen += draw >= cumulative[rows, column]
    return chosen


def uniform_days(rng: np.random.Generator, low: Ints, high: Ints) -> Ints:
    """A day drawn uniformly in ``[low, high]`` for each pair (``high`` below ``low``: low)."""
    span = np.maximum(high - low + 1, 1)
    return ints(low + (rng.random(len(low)) * span).astype(np.int64))


def sort_order(*keys: Ints) -> Ints:
    """The row order sorting by the first key, then the next, ... (stable)."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    span = 1
    for key in reversed(keys):
        if len(key) == 0:
            return np.zeros(0, dtype=np.int64)
        low = int(key.min())
        size = int(key.max()) - low + 1
        if span * size >= 1 << 62:  # too wide for one integer key
            return ints(np.lexsort(tuple(reversed(keys))))
        combined += (key - low) * span
        span *= size
    return ints(np.argsort(combined, kind="stable"))


def yyyymmdd(days: Ints) -> Ints:
    """Day numbers as the integers 20261120 (for bank references)."""

    def digits(span: Ints) -> Ints:
        year, month, day = civil(span)
        return ints(year * 10_000 + month * 100 + day)

    return tabulated(digits, days)
