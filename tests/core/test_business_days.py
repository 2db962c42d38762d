from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.business_days import CALENDAR_DAYS, BusinessCalendar
from creditguard.core.errors import InvalidInput

# China 2025, written out by hand so the core tests need no holiday package: Spring Festival
# 01-28..02-04 (with 02-01/02 a weekend) and National Day 10-01..10-08; 01-26 (Sunday),
# 02-08 (Saturday), 09-28 (Sunday) and 10-11 (Saturday) are make-up working days (调休).
SPRING = [date(2025, 1, 28) + timedelta(days=i) for i in range(8)]
NATIONAL = [date(2025, 10, 1) + timedelta(days=i) for i in range(8)]
CN_2025 = BusinessCalendar(
    holidays=frozenset([date(2025, 1, 1), *SPRING, *NATIONAL]),
    extra_workdays=frozenset(
        [date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)]
    ),
)
PLAIN = BusinessCalendar()


def brute_count(calendar: BusinessCalendar, start: date, end: date) -> int:
    days = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
    return sum(1 for d in days if calendar.is_business_day(d))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 24), True),  # Friday
        (date(2025, 1, 25), False),  # Saturday
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 1, 27), True),
        (date(2025, 1, 28), False),  # Spring Festival eve
        (date(2025, 1, 29), False),
        (date(2025, 2, 1), False),  # weekend inside the holiday
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 2, 9), False),
        (date(2025, 9, 28), True),
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
    ],
)
def test_china_2025_business_days(day: date, expected: bool) -> None:
    assert CN_2025.is_business_day(day) is expected


@pytest.mark.parametrize(
    ("day", "rolled"),
    [
        (date(2025, 1, 27), date(2025, 1, 27)),  # already a business day
        (date(2025, 1, 26), date(2025, 1, 26)),  # make-up Sunday stays
        *[(d, date(2025, 2, 5)) for d in SPRING],  # every day of the holiday rolls past it
        (date(2025, 9, 30), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 10, 9)),
        (date(2025, 10, 10), date(2025, 10, 10)),
        (date(2025, 12, 27), date(2025, 12, 29)),  # Saturday -> Monday
    ],
)
def test_roll_forward_in_china(day: date, rolled: date) -> None:
    assert CN_2025.roll_forward(day) == rolled


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 1, 24), 0, date(2025, 1, 24)),
        (date(2025, 1, 25), 0, date(2025, 1, 25)),  # n = 0 leaves the date alone
        (date(2025, 1, 24), 1, date(2025, 1, 26)),  # Friday + 1 = make-up Sunday
        (date(2025, 1, 24), 2, date(2025, 1, 27)),
        (date(2025, 1, 24), 3, date(2025, 2, 5)),  # over the Spring Festival
        (date(2025, 1, 27), 3, date(2025, 2, 7)),
        (date(2025, 2, 5), 3, date(2025, 2, 8)),  # Saturday 02-08 is a working day
        (date(2025, 9, 26), 2, date(2025, 9, 29)),
    ],
)
def test_add_business_days_in_china(start: date, n: int, expected: date) -> None:
    assert CN_2025.add_business_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 3, 7), 1, date(2025, 3, 10)),  # Friday -> Monday
        (date(2025, 3, 8), 1, date(2025, 3, 10)),  # Saturday -> Monday
        (date(2025, 3, 3), 5, date(2025, 3, 10)),
        (date(2025, 3, 3), 10, date(2025, 3, 17)),
    ],
)
def test_add_business_days_plain_weekend(start: date, n: int, expected: date) -> None:
    assert PLAIN.add_business_days(start, n) == expected


def test_add_business_days_refuses_negative() -> None:
    with pytest.raises(InvalidInput) as error:
        PLAIN.add_business_days(date(2025, 3, 3), -1)
    assert [(p.field, p.code) for p in error.value.problems] == [("n", "negative")]


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2025, 1, 24), date(2025, 1, 24), 0),
        (date(2025, 1, 24), date(2025, 1, 25), 0),  # end counts, start does not
        (date(2025, 1, 24), date(2025, 1, 26), 1),
        (date(2025, 1, 24), date(2025, 2, 8), 6),  # 01-26, 01-27, 02-05, 02-06, 02-07, 02-08
        (date(2025, 1, 27), date(2025, 2, 4), 0),
        # 260 weekdays after 01-01, less 12 weekday holidays, plus 4 make-up days
        (date(2025, 1, 1), date(2025, 12, 31), 252),
        (date(2025, 2, 8), date(2025, 1, 24), -6),  # reversed range is negated
    ],
)
def test_business_days_between_in_china(start: date, end: date, count: int) -> None:
    assert CN_2025.business_days_between(start, end) == count
    assert brute_count(CN_2025, min(start, end), max(start, end)) == abs(count)


def test_calendar_days_counts_every_day() -> None:
    saturday = date(2025, 3, 8)
    assert CALENDAR_DAYS.is_business_day(saturday)
    assert CALENDAR_DAYS.roll_forward(saturday) == saturday
    assert CALENDAR_DAYS.add_business_days(saturday, 30) == date(2025, 4, 7)
    assert CALENDAR_DAYS.business_days_between(date(2025, 1, 1), date(2025, 12, 31)) == 364


def test_other_weekends() -> None:
    friday_saturday = BusinessCalendar(weekend=frozenset({4, 5}))
    assert not friday_saturday.is_business_day(date(2025, 3, 7))  # Friday
    assert friday_saturday.is_business_day(date(2025, 3, 9))  # Sunday
    assert friday_saturday.roll_forward(date(2025, 3, 7)) == date(2025, 3, 9)


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"weekend": frozenset({7})}, "weekend", "out_of_range"),
        ({"weekend": frozenset({-1, 6})}, "weekend", "out_of_range"),
        ({"weekend": frozenset(range(7))}, "weekend", "no_business_days"),
        (
            {
                "holidays": frozenset({date(2025, 1, 26)}),
                "extra_workdays": frozenset({date(2025, 1, 26)}),
            },
            "extra_workdays",
            "workday_is_holiday",
        ),
    ],
)
def test_calendar_validation(kwargs: dict[str, frozenset[object]], field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]
    assert [(p.field, p.code) for p in error.value.problems] == [(field, code)]


def test_six_day_weekend_still_ends() -> None:
    only_wednesdays = BusinessCalendar(weekend=frozenset({0, 1, 3, 4, 5, 6}))
    assert only_wednesdays.roll_forward(date(2025, 3, 6)) == date(2025, 3, 12)


dates_2025 = st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 1, 31))


@given(day=dates_2025)
def test_roll_forward_never_lands_on_a_holiday(day: date) -> None:
    rolled = CN_2025.roll_forward(day)
    assert rolled >= day
    assert CN_2025.is_business_day(rolled)
    assert rolled not in CN_2025.holidays
    assert brute_count(CN_2025, day, rolled) == (1 if rolled > day else 0)


@given(day=dates_2025, n=st.integers(min_value=1, max_value=400))
def test_add_business_days_lands_on_a_business_day(day: date, n: int) -> None:
    result = CN_2025.add_business_days(day, n)
    assert CN_2025.is_business_day(result)
    assert result not in CN_2025.holidays
    assert CN_2025.business_days_between(day, result) == n
    assert CN_2025.business_days_between(day, result - timedelta(days=1)) == n - 1


@given(a=dates_2025, b=dates_2025, c=dates_2025)
def test_business_days_between_is_additive_and_matches_counting(a: date, b: date, c: date) -> None:
    assert CN_2025.business_days_between(a, b) + CN_2025.business_days_between(
        b, c
    ) == CN_2025.business_days_between(a, c)
    lo, hi = min(a, b), max(a, b)
    assert CN_2025.business_days_between(lo, hi) == brute_count(CN_2025, lo, hi)
