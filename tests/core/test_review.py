"""The nightly limit review's rules as decision tables: each boundary on both sides."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from creditguard.core.money import Money
from creditguard.core.review import Facts, Thresholds, review

AS_OF = date(2026, 11, 22)
STEP = Money.parse("10000", "CNY")
RULES = Thresholds()


def cny(amount: str) -> Money:
    return Money.parse(amount, "CNY")


# A customer every increase condition holds for: grade A, clean, sales +20 %, current
# 1,000,000 below the suggestion 1,200,000 (exactly +20 %: inside the automatic band).
GOOD = Facts(
    customer_id=1,
    grade="A",
    current=cny("1000000"),
    suggested=cny("1200000"),
    max_days_late=15,
    days_late_3m=Decimal("2"),
    days_late_12m=Decimal("3"),
    share_late_3m=Decimal("10"),
    sales_recent=1_200_000_00,
    sales_before=1_000_000_00,
)


def _outcome(facts: Facts) -> tuple[str, str, bool] | None:
    made = review(facts, RULES, STEP, AS_OF)
    return None if made is None else (made.kind, made.proposed.decimal_string(), made.auto)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, ("increase", "1200000.00", True)),
        # sales growth: exactly +20 % vs just below
        ({"sales_recent": 1_199_999_99}, None),
        ({"sales_before": 0}, None),  # nothing sold before: no trend to speak of
        # clean record: day 15 vs 16, and no history at all
        ({"max_days_late": 16}, None),
        ({"max_days_late": None}, None),
        ({"max_days_late": 0}, ("increase", "1200000.00", True)),
        # grade
        ({"grade": "B"}, ("increase", "1200000.00", True)),
        ({"grade": "C"}, None),
        ({"grade": None}, None),
        # already at the suggestion
        ({"current": cny("1200000")}, None),
        # the automatic band: +20 % exactly vs one cent above, and from nothing
        ({"suggested": cny("1200000.01")}, ("increase", "1200000.01", False)),
        ({"current": cny("0"), "suggested": cny("10000")}, ("increase", "10000.00", False)),
    ],
)
def test_increases(change: dict[str, object], expected: tuple[str, str, bool] | None) -> None:
    assert _outcome(replace(GOOD, **change)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a downgrade: the grade's suggestion below the current limit -> cut to it
        ({"suggested": cny("999999.99")}, ("cut", "999999.99", True)),
        # payments getting later: +5 days (3 months vs 12) vs +4.99
        ({"days_late_3m": Decimal("8"), "days_late_12m": Decimal("3")}, ("cut", "750000.00", True)),
        ({"days_late_3m": Decimal("7.99"), "days_late_12m": Decimal("3")}, "increase"),
        # share paid late above 30 % vs exactly 30 %
        ({"share_late_3m": Decimal("30.01")}, ("cut", "750000.00", True)),
        ({"share_late_3m": Decimal("30")}, "increase"),
        # both: the lower of the two
        (
            {"suggested": cny("900000"), "share_late_3m": Decimal("50")},
            ("cut", "750000.00", True),
        ),
        (
            {"suggested": cny("500000"), "share_late_3m": Decimal("50")},
            ("cut", "500000.00", True),
        ),
        # a 25 % cut rounds down to the step of 10,000
        ({"current": cny("1015000"), "share_late_3m": Decimal("31")}, ("cut", "760000.00", True)),
        # nothing to cut from
        ({"current": cny("0"), "share_late_3m": Decimal("90")}, "increase"),
    ],
)
def test_cuts(change: dict[str, object], expected: tuple[str, str, bool] | str) -> None:
    made = _outcome(replace(GOOD, **change))  # type: ignore[arg-type]
    assert (made[0] if isinstance(expected, str) and made else made) == expected


@pytest.mark.parametrize(("days", "reviewed"), [(29, False), (30, True), (0, False)])
def test_a_limit_changed_by_the_review_is_left_alone_for_a_while(
    days: int, *, reviewed: bool
) -> None:
    facts = replace(GOOD, changed_on=date.fromordinal(AS_OF.toordinal() - days))
    assert (review(facts, RULES, STEP, AS_OF) is not None) is reviewed


def test_every_proposal_is_explained_in_both_languages() -> None:
    up = review(GOOD, RULES, STEP, AS_OF)
    assert up is not None
    assert [line.code for line in up.explanation] == [
        "clean_record",
        "rising_volume",
        "good_grade",
        "inside_policy",
    ]
    assert up.explanation[1].en == (
        "sales up 20.00% in the last 6 months vs the 6 before (threshold 20%)"
    )
    assert up.explanation[1].zh == "近 6 个月销售额较前 6 个月增长 20.00%（阈值 20%）"
    down = review(
        replace(GOOD, suggested=cny("800000"), days_late_3m=Decimal("9")), RULES, STEP, AS_OF
    )
    assert down is not None
    assert [line.code for line in down.explanation] == [
        "above_suggestion",
        "late_rising",
        "late_cut",
        "inside_policy",
    ]
    assert down.explanation[1].en == (
        "amount-weighted days late rising: 9 over 3 months vs 3 over 12 (+6, threshold 5)"
    )
    far = review(replace(GOOD, suggested=cny("5000000")), RULES, STEP, AS_OF)
    assert far is not None
    assert (far.auto, far.explanation[-1].code) == (False, "needs_approval")


def test_thresholds_are_data() -> None:
    strict = Thresholds(growth_percent=Decimal(50), increase_grades=("A",))
    assert review(GOOD, strict, STEP, AS_OF) is None
    assert review(replace(GOOD, sales_recent=1_500_000_00), strict, STEP, AS_OF) is not None


CHANGED = date(2026, 9, 1)  # the limit's last change, past the quiet days on AS_OF


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # money applied late after the change: new evidence, cut (day after vs the same day)
        ({"last_late_on": date(2026, 9, 2)}, ("cut", "750000.00", True)),
        ({"last_late_on": CHANGED}, None),  # the change saw it
        ({"last_late_on": date(2026, 8, 31)}, None),
        ({"last_late_on": None}, None),  # the late share from payments the change saw
        # a limit never changed: every late payment is new
        ({"changed_on": None, "last_late_on": None}, ("cut", "750000.00", True)),
        # new evidence does not stop a downgrade's cut, which needs none
        ({"last_late_on": None, "suggested": cny("800000")}, ("cut", "800000.00", True)),
    ],
)
def test_the_late_cut_needs_a_late_payment_after_the_last_change(
    change: dict[str, object], expected: object
) -> None:
    late = replace(GOOD, share_late_3m=Decimal("31"), max_days_late=40, changed_on=CHANGED)
    assert _outcome(replace(late, **change)) == expected  # type: ignore[arg-type]
