"""KPI formulas on literal numbers."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

from creditguard.core import kpis


def test_dso_best_possible_and_add() -> None:
    assert kpis.dso(300_000, 900_000, 90) == Decimal("30.00")
    assert kpis.dso(100, 300, 30) == Decimal("10.00")
    assert kpis.dso(1, 3, 1) == Decimal("0.33")
    assert kpis.dso(5, 0, 90) is None


def test_count_back_uses_up_the_ar_month_by_month() -> None:
    # AR 1,500: the last month's 1,000 (30 days) and half of the month before's 1,000 (31 days).
    assert kpis.count_back_dso(1_500, [(1_000, 30), (1_000, 31)]) == Decimal("45.50")
    assert kpis.count_back_dso(1_000, [(0, 30), (1_000, 31)]) == Decimal("61.00")
    assert kpis.count_back_dso(0, [(1_000, 30)]) == Decimal("0.00")
    assert kpis.count_back_dso(5_000, [(1_000, 30)]) is None  # longer than the history


def test_cei_turnover_and_shares() -> None:
    # Opening 1,000 + sales 500 - closing 600 = 900 collected of 1,000 + 500 - 200 current.
    assert kpis.cei(1_000, 500, 600, 200) == Decimal("69.23")
    assert kpis.cei(0, 0, 0, 0) is None
    assert kpis.turnover(900, 1_000, 800) == Decimal("1.00")
    assert kpis.share(1, 3) == Decimal("33.33")
    assert kpis.share(2, 3) == Decimal("66.67")


def test_concentration() -> None:
    assert kpis.hhi([50, 50]) == Decimal("5000.00")
    assert kpis.hhi([100]) == Decimal("10000.00")
    assert kpis.hhi([1] * 100) == Decimal("100.00")
    assert kpis.hhi([0, -5]) is None
    assert kpis.hhi([1, 2, -7]) == Decimal("5555.56")  # 10,000 x 5 / 9, half up


def test_hhi_is_the_exact_index_rounded_once() -> None:
    """Against exact fractions over large and awkward amounts (a million groups cost the
    integer sum milliseconds; a Decimal division per group cost about a second)."""
    rng = random.Random(11)
    for _ in range(200):
        amounts = [rng.choice([rng.randint(1, 10**14), rng.randint(1, 99), -rng.randint(1, 9)])
                   for _ in range(rng.randint(1, 60))]  # fmt: skip
        positive = [a for a in amounts if a > 0]
        if not positive:
            assert kpis.hhi(amounts) is None
            continue
        exact = Fraction(10_000 * sum(a * a for a in positive), sum(positive) ** 2)
        cents = exact * 100
        rounded = (cents.numerator * 2 + cents.denominator) // (2 * cents.denominator)  # half up
        assert kpis.hhi(amounts) == Decimal(rounded) / 100
    assert kpis.top_share([5, 1, 1, 1, 1, 1], 1) == Decimal("50.00")
    assert kpis.top_share(list(range(1, 21)), 10) == Decimal("73.81")
