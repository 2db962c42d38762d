from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.errors import InvalidInput
from creditguard.reference.calendars import calendar_for

CN_2025 = calendar_for("CN", [2025])


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 1), False),  # New Year's Day
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 1, 28), False),  # Spring Festival eve
        (date(2025, 1, 29), False),  # Spring Festival
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 4, 27), True),  # Sunday, make-up working day
        (date(2025, 5, 5), False),
        (date(2025, 9, 28), True),
        *[(date(2025, 10, d), False) for d in range(1, 9)],  # National Day week
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),  # ordinary Sunday
    ],
)
def test_china_2025(day: date, expected: bool) -> None:
    assert CN_2025.is_business_day(day) is expected


@pytest.mark.parametrize("due", [date(2025, 1, 28) + timedelta(days=i) for i in range(8)])
def test_spring_festival_due_dates_roll_to_the_fifth(due: date) -> None:
    assert CN_2025.roll_forward(due) == date(2025, 2, 5)


def test_make_up_days_are_limited_to_the_years_asked_for() -> None:
    assert CN_2025.extra_workdays == frozenset(
        [
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
        ]
    )
    assert all(d.year == 2025 for d in CN_2025.holidays)
    assert CN_2025.weekend == frozenset({5, 6})


def test_several_years_and_the_turn_of_the_year() -> None:
    calendar = calendar_for("CN", [2025, 2024])
    assert date(2024, 10, 1) in calendar.holidays
    assert date(2025, 1, 1) in calendar.holidays
    assert calendar.roll_forward(date(2024, 12, 31)) == date(2024, 12, 31)
    assert calendar.add_business_days(date(2024, 12, 31), 1) == date(2025, 1, 2)


def test_calendars_are_cached_and_codes_are_case_insensitive() -> None:
    assert calendar_for("CN", [2025]) is CN_2025
    assert calendar_for(" cn ", (2025,)) is CN_2025
    assert calendar_for("CN", [2025, 2025]) is CN_2025


def test_other_countries_have_their_own_weekend_and_no_make_up_days() -> None:
    us = calendar_for("US", [2025])
    assert us.extra_workdays == frozenset()
    assert date(2025, 7, 4) in us.holidays
    assert not us.is_business_day(date(2025, 12, 25))
    assert us.roll_forward(date(2025, 7, 4)) == date(2025, 7, 7)


def test_three_letter_codes_are_understood_too() -> None:
    assert calendar_for("CHN", [2025]) == CN_2025


@pytest.mark.parametrize("country", ["XX", "", "ZZZ", "China"])
def test_unknown_country(country: str) -> None:
    with pytest.raises(InvalidInput) as error:
        calendar_for(country, [2025])
    problem = error.value.problems[0]
    assert (problem.field, problem.code, problem.value) == ("country", "unknown_country", country)
    assert "ISO 3166" in problem.message("en")
    assert "国家" in problem.message("zh-CN")


def test_years_are_required() -> None:
    with pytest.raises(InvalidInput) as error:
        calendar_for("CN", [])
    assert [(p.field, p.code) for p in error.value.problems] == [("years", "required")]


@given(day=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 20)))
def test_rolled_dates_never_land_on_a_chinese_holiday(day: date) -> None:
    rolled = CN_2025.roll_forward(day)
    assert rolled not in CN_2025.holidays
    assert rolled.weekday() < 5 or rolled in CN_2025.extra_workdays
