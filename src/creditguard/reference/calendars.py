"""Business calendars for countries, built from the ``holidays`` package.

The core rules take a :class:`~creditguard.core.business_days.BusinessCalendar` as plain data;
this module is the one place that knows where holidays come from. For China it also carries the
make-up working days (调休) that the State Council moves onto weekends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays

from creditguard.core.business_days import BusinessCalendar
from creditguard.core.errors import invalid


def calendar_for(country: str, years: Iterable[int]) -> BusinessCalendar:
    """The business calendar of ``country`` (ISO 3166 alpha-2, e.g. "CN") for ``years``.

    Holidays are only known for the years asked for: ask for every year a rule may reach (a due
    date in late December rolls into January). Results are cached per country and years.
    """
    code = country.strip().upper()
    if not code or code not in holidays.list_supported_countries():
        raise invalid("country", country, "unknown_country")
    wanted = tuple(sorted(set(years)))
    if not wanted:
        raise invalid("years", [], "required")
    return _calendar(code, wanted)


@lru_cache(maxsize=64)
def _calendar(country: str, years: tuple[int, ...]) -> BusinessCalendar:
    source = holidays.country_holidays(country, years=years)
    in_years = set(years)
    # The attribute lists make-up days of every year the package knows, not just these.
    workdays: Iterable[date] = getattr(source, "weekend_workdays", ())
    return BusinessCalendar(
        holidays=frozenset(d for d in source if d.year in in_years),
        extra_workdays=frozenset(d for d in workdays if d.year in in_years),
        weekend=frozenset(source.weekend),
    )
