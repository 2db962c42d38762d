"""Late-payment interest (滞纳金) on overdue receivables.

Seed contract guidance: a penalty of 0.05% per day of the overdue amount. Interest is simple
(never compounded), accrues from the due date, may be capped at a share of the overdue principal,
and is rounded once, at the end, half up.

Grace convention: a payment made within ``grace_days`` after the due date costs nothing; once the
grace period is exceeded, interest is charged for every day since the due date, grace days
included (the grace period is a tolerance, not a discount on the penalty).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from creditguard.core.errors import InvalidInput, Problem, invalid
from creditguard.core.money import Money, round_minor


def _rate_problems(field: str, rate: object) -> list[Problem]:
    if isinstance(rate, float):
        return [Problem(field, rate, "float_refused")]
    if not isinstance(rate, Decimal) or not rate.is_finite():
        return [Problem(field, rate, "not_a_number")]
    if rate < 0:
        return [Problem(field, str(rate), "negative")]
    return []


@dataclass(frozen=True, slots=True)
class LateInterestPolicy:
    """How late interest is charged: a daily rate, an optional cap, a grace period.

    ``daily_rate`` is a share of the overdue amount per day (seed: 0.05% = ``Decimal("0.0005")``).
    ``cap_rate`` is the most interest in total as a share of the overdue principal (``0.2`` =
    at most 20%), or None for no cap. ``grace_days`` is the tolerance after the due date.
    """

    daily_rate: Decimal = Decimal("0.0005")
    cap_rate: Decimal | None = None
    grace_days: int = 0

    def __post_init__(self) -> None:
        problems = _rate_problems("daily_rate", self.daily_rate)
        if self.cap_rate is not None:
            problems += _rate_problems("cap_rate", self.cap_rate)
        grace: object = self.grace_days
        if not isinstance(grace, int) or isinstance(grace, bool):
            problems.append(Problem("grace_days", grace, "not_a_number"))
        elif self.grace_days < 0:
            problems.append(Problem("grace_days", grace, "negative"))
        if problems:
            raise InvalidInput(problems)


DEFAULT_POLICY: Final[LateInterestPolicy] = LateInterestPolicy()


def days_overdue(due_on: date, as_of: date) -> int:
    """Days past due on ``as_of``: 0 up to and including the due date, 1 the day after."""
    return max(0, (as_of - due_on).days)


def _capped(interest: Decimal, principal_minor: int, policy: LateInterestPolicy) -> int:
    """Interest in minor units, held to the cap and rounded half up: the one rounding."""
    if policy.cap_rate is not None:
        interest = min(interest, Decimal(principal_minor) * policy.cap_rate)
    return round_minor(interest)


def late_interest(
    overdue: Money,
    due_on: date,
    as_of: date,
    policy: LateInterestPolicy = DEFAULT_POLICY,
) -> Money:
    """Interest on ``overdue`` (constant since ``due_on``) for the days past due on ``as_of``.

    overdue * daily rate * days overdue, nothing while within the grace period, capped at
    ``cap_rate`` * overdue, rounded once. 10,000.00 CNY ten days late at 0.05% is 50.00 CNY.
    """
    if overdue.minor < 0:
        raise invalid("overdue", overdue.decimal_string(), "negative")
    days = days_overdue(due_on, as_of)
    if days <= policy.grace_days:
        return Money.zero(overdue.currency)
    interest = Decimal(overdue.minor) * policy.daily_rate * days
    return Money(_capped(interest, overdue.minor, policy), overdue.currency)


def _check_balances(balances: Sequence[tuple[date, Money]]) -> str:
    """Validate the balance history and return its currency."""
    if not balances:
        raise invalid("balances", [], "required")
    currency = balances[0][1].currency
    problems: list[Problem] = []
    for i, (since, amount) in enumerate(balances):
        if amount.currency != currency:
            params = {"left": currency, "right": amount.currency}
            problems.append(Problem(f"balances[{i}]", amount.currency, "currency_mismatch", params))
        elif amount.minor < 0:
            problems.append(Problem(f"balances[{i}]", amount.decimal_string(), "negative"))
        if i and since <= balances[i - 1][0]:
            other = (balances[i - 1][0] + timedelta(days=1)).isoformat()
            problems.append(
                Problem(f"balances[{i}]", since.isoformat(), "date_order", {"other": other})
            )
    if problems:
        raise InvalidInput(problems)
    return currency


def late_interest_on_balances(
    due_on: date,
    as_of: date,
    balances: Sequence[tuple[date, Money]],
    policy: LateInterestPolicy = DEFAULT_POLICY,
) -> Money:
    """Interest on an open amount that changes over time (part payments, credit notes).

    ``balances`` are (effective from, open amount from that date on), in strictly increasing date
    order; before the first date nothing is open. Each day after ``due_on`` up to and including
    ``as_of`` accrues that day's open amount * daily rate. Nothing is charged when the amount was
    settled within the grace period. The total is capped at ``cap_rate`` * the highest amount
    overdue on any day, and rounded once.
    """
    currency = _check_balances(balances)
    first_day = due_on + timedelta(days=1)
    ends = [since - timedelta(days=1) for since, _ in balances[1:]] + [as_of]
    minor_days = 0
    highest = 0
    last_open: date | None = None
    for (since, amount), until in zip(balances, ends, strict=True):
        start, end = max(since, first_day), min(until, as_of)
        if end < start or amount.minor == 0:
            continue
        minor_days += amount.minor * ((end - start).days + 1)
        highest = max(highest, amount.minor)
        last_open = end
    if last_open is None or days_overdue(due_on, last_open) <= policy.grace_days:
        return Money.zero(currency)
    interest = Decimal(minor_days) * policy.daily_rate
    return Money(_capped(interest, highest, policy), currency)
