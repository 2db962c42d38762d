"""Financial ratios of a buyer's statements: the financial-health dimension of a rating.

Every input is an amount in integer minor units of the statement's currency (or ``None`` when
the statement does not give it). A ratio is a :class:`Ratio`: a Decimal value, or ``None`` with
the reason it cannot be computed (a zero or missing denominator, a missing numerator, no
earlier period, another currency). Money never passes through a float, and no ratio raises.

Plain ratios (current, quick, cash) have 4 decimal places; percentages (debt ratio, margins,
revenue trend, operating cash flow to revenue) have 2, rounded half up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

RATIO_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)

# Why a ratio is missing: stable codes (the API and the rating show them).
MISSING_INPUT = "missing_input"
ZERO_DENOMINATOR = "zero_denominator"
NO_PREVIOUS_PERIOD = "no_previous_period"
OTHER_CURRENCY = "previous_period_in_another_currency"


@dataclass(frozen=True, slots=True)
class Statement:
    """One period's financial statement, amounts in minor units of ``currency``."""

    period_end: date
    currency: str
    revenue: int | None = None
    cost_of_sales: int | None = None
    net_profit: int | None = None
    total_assets: int | None = None
    total_liabilities: int | None = None
    current_assets: int | None = None
    current_liabilities: int | None = None
    inventory: int | None = None
    cash: int | None = None
    operating_cash_flow: int | None = None


@dataclass(frozen=True, slots=True)
class Ratio:
    """A computed ratio, or ``None`` and the reason it could not be computed."""

    value: Decimal | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Ratios:
    """The derived ratios of one statement (against the previous period for the trend)."""

    debt_ratio: Ratio  # total liabilities / total assets, percent
    current_ratio: Ratio  # current assets / current liabilities
    quick_ratio: Ratio  # (current assets - inventory) / current liabilities
    cash_ratio: Ratio  # cash / current liabilities
    gross_margin: Ratio  # (revenue - cost of sales) / revenue, percent
    net_margin: Ratio  # net profit / revenue, percent
    operating_cash_flow_margin: Ratio  # operating cash flow / revenue, percent
    revenue_trend: Ratio  # revenue / previous period's revenue - 1, percent

    def as_dict(self) -> dict[str, Ratio]:
        """Return the ratios by name, in a stable order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def divide(numerator: int | None, denominator: int | None, *, percent: bool = False) -> Ratio:
    """``numerator / denominator`` rounded half up, or ``None`` with the reason.

    >>> divide(150, 100)
    Ratio(value=Decimal('1.5000'), reason=None)
    >>> divide(1, 0)
    Ratio(value=None, reason='zero_denominator')
    """
    if numerator is None or denominator is None:
        return Ratio(None, MISSING_INPUT)
    if denominator == 0:
        return Ratio(None, ZERO_DENOMINATOR)
    value = Decimal(numerator) / Decimal(denominator)
    if percent:
        return Ratio((value * HUNDRED).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP))
    return Ratio(value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP))


def _minus(left: int | None, right: int | None) -> int | None:
    return None if left is None or right is None else left - right


def revenue_trend(current: Statement, previous: Statement | None) -> Ratio:
    """Revenue growth against the previous period, in percent (negative: shrinking)."""
    if previous is None:
        return Ratio(None, NO_PREVIOUS_PERIOD)
    if previous.currency != current.currency:
        return Ratio(None, OTHER_CURRENCY)
    if previous.revenue is not None and previous.revenue < 0:
        return Ratio(None, MISSING_INPUT)  # a negative base has no meaningful growth rate
    return divide(_minus(current.revenue, previous.revenue), previous.revenue, percent=True)


def compute_ratios(current: Statement, previous: Statement | None = None) -> Ratios:
    """Every derived ratio of ``current``; ``previous`` is the period before it, if any."""
    return Ratios(
        debt_ratio=divide(current.total_liabilities, current.total_assets, percent=True),
        current_ratio=divide(current.current_assets, current.current_liabilities),
        quick_ratio=divide(
            _minus(current.current_assets, current.inventory), current.current_liabilities
        ),
        cash_ratio=divide(current.cash, current.current_liabilities),
        gross_margin=divide(
            _minus(current.revenue, current.cost_of_sales), current.revenue, percent=True
        ),
        net_margin=divide(current.net_profit, current.revenue, percent=True),
        operating_cash_flow_margin=divide(
            current.operating_cash_flow, current.revenue, percent=True
        ),
        revenue_trend=revenue_trend(current, previous),
    )
