"""Business days: weekends, public holidays and China's make-up working days (调休).

A :class:`BusinessCalendar` is plain data — the holidays of the years in question, the weekend
days and the weekend dates that are working days — so the rules that use it (due dates rolled to
a working day, "written demand within 3 working days") stay pure. Building a calendar for a
country from a holiday source is the job of :mod:`creditguard.reference.calendars`.

A calendar only knows the holidays it was given: outside those years only the weekend counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from creditguard.core.errors import invalid

_DAY = timedelta(days=1)
_WEEK = 7


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Which dates are working days.

    ``weekend`` holds weekday numbers (Monday 0 … Sunday 6). ``extra_workdays`` are dates that
    are working days although they fall on a weekend (China's 调休 make-up days). A date is a
    business day when it is an extra working day, or when it is neither a holiday nor a weekend
    day. A date may not be both a holiday and an extra working day, and a week must keep at least
    one working day (so rolling forward always ends).
    """

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})

    def __post_init__(self) -> None:
        bad_days = sorted(d for d in self.weekend if not 0 <= d < _WEEK)
        if bad_days:
            raise invalid("weekend", bad_days[0], "out_of_range", low=0, high=_WEEK - 1)
        if len(self.weekend) == _WEEK:
            raise invalid("weekend", sorted(self.weekend), "no_business_days")
        clashes = sorted(self.holidays & self.extra_workdays)
        if clashes:
            raise invalid("extra_workdays", clashes[0].isoformat(), "workday_is_holiday")

    def is_business_day(self, d: date) -> bool:
        """Tell whether ``d`` is a working day in this calendar."""
        if d in self.extra_workdays:
            return True
        return d not in self.holidays and d.weekday() not in self.weekend

    def roll_forward(self, d: date) -> date:
        """Return ``d`` if it is a business day, else the next business day after it."""
        while not self.is_business_day(d):
            d += _DAY
        return d

    def add_business_days(self, d: date, n: int) -> date:
        """Return the ``n``-th business day after ``d`` (``n`` ≥ 0).

        ``d`` itself never counts, whether or not it is a business day, so with ``n`` ≥ 1 the
        result is a business day and ``business_days_between(d, result) == n``. With ``n`` = 0 the
        answer is ``d`` unchanged; use :meth:`roll_forward` to land on a working day.
        """
        if n < 0:
            raise invalid("n", n, "negative")
        remaining = n
        while remaining:
            d += _DAY
            if self.is_business_day(d):
                remaining -= 1
        return d

    def business_days_between(self, start: date, end: date) -> int:
        """Count the business days in the half-open range (``start``, ``end``].

        ``start`` itself is not counted, ``end`` is. When ``end`` is before ``start`` the count
        of (``end``, ``start``] is returned negated, so the result is additive like date
        subtraction. Counted by whole weeks, then corrected for the holidays and extra working
        days inside the range, so long ranges cost no more than short ones.
        """
        if end < start:
            return -self.business_days_between(end, start)
        weeks, rest = divmod((end - start).days, _WEEK)
        count = weeks * (_WEEK - len(self.weekend))
        count += sum(
            1 for i in range(1, rest + 1) if (start + i * _DAY).weekday() not in self.weekend
        )
        count -= sum(
            1 for h in self.holidays if start < h <= end and h.weekday() not in self.weekend
        )
        count += sum(
            1 for x in self.extra_workdays if start < x <= end and x.weekday() in self.weekend
        )
        return count


# Every day is a business day: due dates that are never rolled.
CALENDAR_DAYS: Final[BusinessCalendar] = BusinessCalendar(weekend=frozenset())
