from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.errors import InvalidInput
from creditguard.core.interest import (
    LateInterestPolicy,
    days_overdue,
    late_interest,
    late_interest_on_balances,
)
from creditguard.core.money import Money

DUE = date(2025, 1, 31)
TEN_THOUSAND = Money.parse("10000.00", "CNY")


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


@pytest.mark.parametrize(
    ("as_of", "days"),
    [
        (date(2025, 1, 1), 0),  # not yet due
        (date(2025, 1, 30), 0),
        (date(2025, 1, 31), 0),  # due today
        (date(2025, 2, 1), 1),  # the day after
        (date(2025, 3, 2), 30),
        (date(2025, 3, 3), 31),
    ],
)
def test_days_overdue(as_of: date, days: int) -> None:
    assert days_overdue(DUE, as_of) == days


@pytest.mark.parametrize(
    ("as_of", "interest"),
    [
        (date(2025, 1, 31), "0.00"),
        (date(2025, 2, 1), "5.00"),
        (date(2025, 2, 10), "50.00"),  # seed: 0.05% a day, ten days late
        (date(2025, 3, 2), "150.00"),
        (date(2026, 1, 31), "1825.00"),  # a year, simple interest
    ],
)
def test_seed_rate(as_of: date, interest: str) -> None:
    assert late_interest(TEN_THOUSAND, DUE, as_of) == cny(interest)


def test_rounded_once_not_per_day() -> None:
    # 33.33 a day at 0.05% is 0.016665: rounding each day would give 10 x 0.02 = 0.20.
    assert late_interest(cny("33.33"), DUE, date(2025, 2, 10)) == cny("0.17")


@pytest.mark.parametrize(
    ("overdue", "interest"),
    [
        (Money.parse("10000", "JPY"), "50"),
        (Money.parse("12345", "JPY"), "62"),  # 61.725 rounds half up
        (Money.parse("1.000", "KWD"), "0.005"),
    ],
)
def test_other_currencies(overdue: Money, interest: str) -> None:
    assert late_interest(overdue, DUE, date(2025, 2, 10)).decimal_string() == interest


@pytest.mark.parametrize(
    ("as_of", "interest"),
    [
        (date(2025, 2, 5), "0.00"),  # day 5 of a 5-day grace
        (date(2025, 2, 6), "30.00"),  # day 6: charged from the due date, all six days
        (date(2025, 2, 10), "50.00"),
    ],
)
def test_grace_day_n_and_n_plus_one(as_of: date, interest: str) -> None:
    policy = LateInterestPolicy(grace_days=5)
    assert late_interest(TEN_THOUSAND, DUE, as_of, policy) == cny(interest)


@pytest.mark.parametrize(
    ("as_of", "interest"),
    [
        (date(2025, 2, 10), "50.00"),
        (date(2025, 3, 31), "295.00"),  # 59 days, under the 300.00 cap
        (date(2025, 4, 1), "300.00"),  # 60 days reaches it exactly
        (date(2025, 4, 2), "300.00"),  # 61 days stays at the cap
        (date(2030, 1, 1), "300.00"),
    ],
)
def test_cap(as_of: date, interest: str) -> None:
    policy = LateInterestPolicy(cap_rate=Decimal("0.03"))
    assert late_interest(TEN_THOUSAND, DUE, as_of, policy) == cny(interest)


def test_zero_rate_and_zero_overdue() -> None:
    assert late_interest(TEN_THOUSAND, DUE, date(2025, 3, 1), LateInterestPolicy(Decimal(0))) == (
        cny("0.00")
    )
    assert late_interest(cny("0.00"), DUE, date(2025, 3, 1)) == cny("0.00")


def test_negative_overdue_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        late_interest(cny("-1.00"), DUE, date(2025, 3, 1))
    assert [(p.field, p.code) for p in error.value.problems] == [("overdue", "negative")]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"daily_rate": Decimal("-0.0001")}, [("daily_rate", "negative")]),
        ({"daily_rate": 0.0005}, [("daily_rate", "float_refused")]),
        ({"cap_rate": Decimal("-0.1")}, [("cap_rate", "negative")]),
        ({"grace_days": -1}, [("grace_days", "negative")]),
        (
            {"daily_rate": Decimal("NaN"), "cap_rate": 0.2, "grace_days": -3},
            [
                ("daily_rate", "not_a_number"),
                ("cap_rate", "float_refused"),
                ("grace_days", "negative"),
            ],
        ),
    ],
)
def test_policy_validation(kwargs: dict[str, object], expected: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput) as error:
        LateInterestPolicy(**kwargs)  # type: ignore[arg-type]
    assert [(p.field, p.code) for p in error.value.problems] == expected


def test_balances_part_payment() -> None:
    # 10,000.00 due 01-31; 4,000.00 paid on 02-06, so 6,000.00 is open from 02-06.
    balances = [(DUE, TEN_THOUSAND), (date(2025, 2, 6), cny("6000.00"))]
    # 02-01..02-05: 5 days x 5.00; 02-06..02-10: 5 days x 3.00
    assert late_interest_on_balances(DUE, date(2025, 2, 10), balances) == cny("40.00")
    assert late_interest_on_balances(DUE, date(2025, 2, 5), balances) == cny("25.00")
    assert late_interest_on_balances(DUE, DUE, balances) == cny("0.00")


def test_balances_paid_in_full() -> None:
    balances = [(DUE, TEN_THOUSAND), (date(2025, 2, 11), cny("0.00"))]
    # paid on 02-11: ten days of interest, then nothing more however late we look
    assert late_interest_on_balances(DUE, date(2025, 2, 10), balances) == cny("50.00")
    assert late_interest_on_balances(DUE, date(2025, 12, 31), balances) == cny("50.00")


def test_balances_that_start_before_or_after_the_due_date() -> None:
    early = [(date(2025, 1, 1), TEN_THOUSAND)]
    assert late_interest_on_balances(DUE, date(2025, 2, 10), early) == cny("50.00")
    late = [(date(2025, 2, 6), TEN_THOUSAND)]  # nothing open before 02-06
    assert late_interest_on_balances(DUE, date(2025, 2, 10), late) == cny("25.00")


def test_balances_grace_looks_at_the_last_day_still_open() -> None:
    policy = LateInterestPolicy(grace_days=5)
    paid_in_grace = [(DUE, TEN_THOUSAND), (date(2025, 2, 6), cny("0.00"))]  # open to day 5
    assert late_interest_on_balances(DUE, date(2025, 3, 31), paid_in_grace, policy) == cny("0.00")
    paid_day_6 = [(DUE, TEN_THOUSAND), (date(2025, 2, 7), cny("0.00"))]  # open to day 6
    assert late_interest_on_balances(DUE, date(2025, 3, 31), paid_day_6, policy) == cny("30.00")


def test_balances_cap_uses_the_highest_principal() -> None:
    policy = LateInterestPolicy(cap_rate=Decimal("0.01"))  # at most 1% of the highest balance
    balances = [(DUE, cny("1000.00")), (date(2025, 2, 2), TEN_THOUSAND)]
    # uncapped: 0.50 + 99 days x 5.00 = 495.50; capped at 1% of 10,000.00
    assert late_interest_on_balances(DUE, date(2025, 5, 11), balances, policy) == cny("100.00")
    assert late_interest_on_balances(DUE, date(2025, 2, 10), balances) == cny("45.50")


@pytest.mark.parametrize(
    ("balances", "expected"),
    [
        ([], [("balances", "required")]),
        (
            [(DUE, TEN_THOUSAND), (DUE, cny("1.00"))],
            [("balances[1]", "date_order")],
        ),
        (
            [(DUE, TEN_THOUSAND), (DUE - timedelta(days=1), cny("1.00"))],
            [("balances[1]", "date_order")],
        ),
        (
            [(DUE, TEN_THOUSAND), (date(2025, 2, 2), Money(100, "USD"))],
            [("balances[1]", "currency_mismatch")],
        ),
        ([(DUE, cny("-1.00"))], [("balances[0]", "negative")]),
    ],
)
def test_balances_validation(
    balances: list[tuple[date, Money]], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidInput) as error:
        late_interest_on_balances(DUE, date(2025, 3, 1), balances)
    assert [(p.field, p.code) for p in error.value.problems] == expected


policies = st.builds(
    LateInterestPolicy,
    daily_rate=st.decimals(min_value=0, max_value=Decimal("0.01"), places=5),
    cap_rate=st.none() | st.decimals(min_value=0, max_value=1, places=2),
    grace_days=st.integers(min_value=0, max_value=30),
)
dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(
    minor=st.integers(min_value=0, max_value=10**11),
    due_on=dates,
    as_of=dates,
    since=st.integers(min_value=0, max_value=60),
    policy=policies,
)
def test_constant_balance_matches_late_interest(
    minor: int, due_on: date, as_of: date, since: int, policy: LateInterestPolicy
) -> None:
    overdue = Money(minor, "CNY")
    balances = [(due_on - timedelta(days=since), overdue)]
    expected = late_interest(overdue, due_on, as_of, policy)
    assert late_interest_on_balances(due_on, as_of, balances, policy) == expected
    if policy.cap_rate is not None:
        assert expected.minor <= minor * policy.cap_rate + Decimal("0.5")
