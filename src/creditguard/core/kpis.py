"""Receivables KPIs (应收指标) from totals in minor units: the formulas, once.

Every function takes whole amounts in one currency's minor units and returns an exact Decimal
rounded half up to two places, or None where the figure is undefined (no sales, no AR).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def _two(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def dso(ar: int, sales: int, days: int) -> Decimal | None:
    """Return days sales outstanding, standard method: AR / credit sales of the period × days."""
    if sales <= 0:
        return None
    return _two(Decimal(ar) / Decimal(sales) * days)


def count_back_dso(ar: int, months: Sequence[tuple[int, int]]) -> Decimal | None:
    """Return DSO by the count-back method.

    ``months`` are (credit sales, days) of the months ending at the as-of date, newest first:
    AR is used up month by month against each month's sales; the days of the whole months
    consumed plus the used share of the last one are the DSO. None when the months' sales do
    not cover the AR (the figure would be longer than the history given).
    """
    left = Decimal(ar)
    total = Decimal(0)
    for sales, days in months:
        if left <= 0:
            break
        if sales <= 0:
            total += days
            continue
        if left >= sales:
            left -= sales
            total += days
        else:
            total += left / Decimal(sales) * days
            left = Decimal(0)
    return _two(total) if left <= 0 else None


def cei(opening: int, sales: int, closing: int, closing_current: int) -> Decimal | None:
    """Return the collection effectiveness index in percent: what was collected of what could be.

    (opening AR + sales - closing AR) / (opening AR + sales - closing current AR) x 100.
    """
    collectable = opening + sales - closing_current
    if collectable <= 0:
        return None
    return _two(Decimal(opening + sales - closing) / Decimal(collectable) * 100)


def turnover(sales: int, opening: int, closing: int) -> Decimal | None:
    """Return the AR turnover of the period: credit sales / average AR."""
    average = Decimal(opening + closing) / 2
    if average <= 0:
        return None
    return _two(Decimal(sales) / average)


def ratio(part: int, whole: int) -> Decimal | None:
    """Return ``part`` / ``whole`` (a weighted average: weighted sum over weights)."""
    if whole <= 0:
        return None
    return _two(Decimal(part) / Decimal(whole))


def share(part: int, whole: int) -> Decimal | None:
    """Return ``part`` as a percentage of ``whole`` (overdue ratio, bad-debt ratio, top-10)."""
    return ratio(part * 100, whole)


def hhi(amounts: Sequence[int]) -> Decimal | None:
    """Return the Herfindahl-Hirschman index of the amounts' shares, 0-10,000.

    10,000 is one customer holding everything; below 1,500 is usually read as unconcentrated.
    """
    positive = [a for a in amounts if a > 0]
    whole = sum(positive)
    if whole <= 0:
        return None
    # 10,000 * sum(a^2) / whole^2 in integers, one division: exact before the final rounding,
    # and a million groups cost milliseconds, not a Decimal division each.
    squares = sum(a * a for a in positive)
    return _two(Decimal(squares * 10_000) / Decimal(whole * whole))


def top_share(amounts: Sequence[int], n: int = 10) -> Decimal | None:
    """Return the share in percent of the ``n`` largest amounts in the total."""
    positive = sorted((a for a in amounts if a > 0), reverse=True)
    return share(sum(positive[:n]), sum(positive))
