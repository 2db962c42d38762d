"""The expert scorecard and the financial ratios, on literal facts computed by hand."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.rating import (
    DEFAULT_POLICY,
    Bin,
    Policy,
    RatingInputs,
    add_months,
    grade_of,
    next_review,
    rate,
    validate_policy,
    years_in_business,
)
from creditguard.core.ratios import Ratio, Statement, compute_ratios, divide

AS_OF = date(2026, 11, 22)
D = Decimal
M = 100  # minor units per CNY

LAST_YEAR = Statement(period_end=date(2024, 12, 31), currency="CNY", revenue=100_000_000 * M)
THIS_YEAR = Statement(
    period_end=date(2025, 12, 31),
    currency="CNY",
    revenue=120_000_000 * M,
    cost_of_sales=90_000_000 * M,
    net_profit=6_000_000 * M,
    total_assets=80_000_000 * M,
    total_liabilities=44_000_000 * M,
    current_assets=50_000_000 * M,
    current_liabilities=30_000_000 * M,
    inventory=15_000_000 * M,
    cash=6_000_000 * M,
    operating_cash_flow=7_200_000 * M,
)
QUALIFICATION = {
    "licence_status": "valid",
    "registered_capital": D("5000000.00"),
    "founded_on": date(2012, 5, 18),
    "legal_form": "limited_company",
    "negative_records": 1,
}
FULL = RatingInputs(
    **QUALIFICATION,  # type: ignore[arg-type]
    ratios=compute_ratios(THIS_YEAR, LAST_YEAR),
    average_days_late=D("20"),
    share_paid_late=D("45"),
    late_trend_days=D("8"),
)


def test_ratios_of_a_statement_against_the_year_before() -> None:
    ratios = compute_ratios(THIS_YEAR, LAST_YEAR).as_dict()
    assert {k: v.value for k, v in ratios.items()} == {
        "debt_ratio": D("55.00"),
        "current_ratio": D("1.6667"),
        "quick_ratio": D("1.1667"),
        "cash_ratio": D("0.2000"),
        "gross_margin": D("25.00"),
        "net_margin": D("5.00"),
        "operating_cash_flow_margin": D("6.00"),
        "revenue_trend": D("20.00"),
    }


def test_ratios_missing_with_a_reason_never_a_crash() -> None:
    empty = Statement(period_end=date(2025, 12, 31), currency="CNY", total_assets=0, revenue=5)
    ratios = compute_ratios(empty, None)
    assert ratios.debt_ratio == Ratio(None, "missing_input")
    assert ratios.net_margin == Ratio(None, "missing_input")
    assert ratios.revenue_trend == Ratio(None, "no_previous_period")
    zero = dataclasses.replace(empty, total_liabilities=10)
    assert compute_ratios(zero).debt_ratio == Ratio(None, "zero_denominator")
    in_usd = dataclasses.replace(LAST_YEAR, currency="USD")
    assert compute_ratios(THIS_YEAR, in_usd).revenue_trend == Ratio(
        None, "previous_period_in_another_currency"
    )
    assert divide(-1, 3, percent=True) == Ratio(D("-33.33"))
    assert divide(2, 3) == Ratio(D("0.6667"))


def test_years_in_business_turn_on_the_anniversary() -> None:
    assert years_in_business(date(2012, 11, 22), AS_OF) == 14
    assert years_in_business(date(2012, 11, 23), AS_OF) == 13
    assert years_in_business(date(2026, 1, 1), AS_OF) == 0


def test_hand_computed_score_every_factor_bin_and_points() -> None:
    result = rate(DEFAULT_POLICY, FULL, AS_OF)
    table = [(f.key, f.weight, f.value, f.bin, f.points, f.impact) for f in result.factors]
    assert table == [
        ("licence_status", D("9"), "valid", 0, D("100"), D("4.50")),
        ("years_in_business", D("6"), D("14"), 3, D("100"), D("3.00")),
        ("registered_capital", D("4.5"), D("5000000.00"), 1, D("60"), D("0.45")),
        ("legal_form", D("3"), "limited_company", 0, D("70"), D("0.60")),
        ("negative_records", D("7.5"), D("1"), 1, D("40"), D("-0.75")),
        ("debt_ratio", D("8.75"), D("55.00"), 1, D("75"), D("2.19")),
        ("current_ratio", D("7"), D("1.6667"), 2, D("80"), D("2.10")),
        ("quick_ratio", D("5.25"), D("1.1667"), 2, D("100"), D("2.63")),
        ("cash_ratio", D("3.5"), D("0.2000"), 1, D("60"), D("0.35")),
        ("operating_cash_flow_margin", D("3.5"), D("6.00"), 2, D("100"), D("1.75")),
        ("revenue_trend", D("3.5"), D("20.00"), 3, D("100"), D("1.75")),
        ("net_margin", D("3.5"), D("5.00"), 2, D("100"), D("1.75")),
        ("average_days_late", D("14"), D("20"), 2, D("50"), D("0.00")),
        ("share_paid_late", D("12.25"), D("45"), 2, D("40"), D("-1.23")),
        ("late_trend_days", D("8.75"), D("8"), 2, D("40"), D("-0.88")),
    ]
    # 22.8 (qualification) + 30.0125 (financial) + 15.4 (behaviour) = 68.2125
    assert (result.score, result.grade) == (D("68.21"), "B")
    assert result.missing_weight == D("0.00")
    assert result.missing == ()
    assert result.next_review_on == date(2027, 5, 22)  # B: half-yearly


def test_reasons_are_the_largest_impacts_in_both_languages() -> None:
    reasons = rate(DEFAULT_POLICY, FULL, AS_OF).reasons
    assert [(r.key, r.direction, r.impact) for r in reasons] == [
        ("licence_status", "raises", D("4.50")),
        ("years_in_business", "raises", D("3.00")),
        ("quick_ratio", "raises", D("2.63")),
        ("debt_ratio", "raises", D("2.19")),
    ]
    assert reasons[0].message_en == "Business licence: valid raises the score by 4.50 points"
    assert reasons[0].message_zh == "营业执照状态：有效，使评分提高 4.50 分"
    assert reasons[3].message_en == "Debt ratio %: 55.00 (40 to 60) raises the score by 2.19 points"
    assert reasons[3].message_zh == "资产负债率 %：55.00（40 至 60），使评分提高 2.19 分"


def test_a_factor_that_lowers_the_score_says_so() -> None:
    bad = dataclasses.replace(FULL, licence_status="revoked", negative_records=3)
    reasons = rate(DEFAULT_POLICY, bad, AS_OF).reasons
    assert [(r.key, r.direction, r.impact) for r in reasons[:2]] == [
        ("licence_status", "lowers", D("-4.50")),
        ("negative_records", "lowers", D("-3.75")),
    ]
    assert reasons[1].message_en == (
        "Negative records: 3 (2 or more) lowers the score by 3.75 points"
    )
    assert reasons[1].message_zh == "失信及负面记录：3（2 及以上），使评分降低 3.75 分"


def test_missing_data_scores_neutral_and_is_reported() -> None:
    only_qualification = RatingInputs(**QUALIFICATION)  # type: ignore[arg-type]
    result = rate(DEFAULT_POLICY, only_qualification, AS_OF)
    # 22.8 from the qualification; 70 points of weight missing score neutral 50: 35.
    assert (result.score, result.grade, result.missing_weight) == (D("57.80"), "C", D("70.00"))
    assert result.missing == (
        "debt_ratio",
        "current_ratio",
        "quick_ratio",
        "cash_ratio",
        "operating_cash_flow_margin",
        "revenue_trend",
        "net_margin",
        "average_days_late",
        "share_paid_late",
        "late_trend_days",
    )
    missing = result.factors[5]
    assert (missing.status, missing.value, missing.bin, missing.points, missing.impact) == (
        "missing",
        None,
        None,
        D("50"),
        D("0.00"),
    )
    assert {r.key for r in result.reasons}.isdisjoint(result.missing)
    nothing = rate(DEFAULT_POLICY, RatingInputs(), AS_OF)
    assert (nothing.score, nothing.grade, nothing.missing_weight) == (D("50.00"), "C", D("100.00"))
    assert nothing.reasons == ()


def test_a_founding_date_after_the_rating_date_is_missing() -> None:
    later = rate(DEFAULT_POLICY, RatingInputs(founded_on=date(2027, 1, 1)), AS_OF)
    assert "years_in_business" in later.missing


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100.00", "A"),
        ("80.00", "A"),
        ("79.99", "B"),
        ("65.00", "B"),
        ("64.99", "C"),
        ("50.00", "C"),
        ("49.99", "D"),
        ("0.00", "D"),
    ],
)
def test_grade_cut_offs_at_the_boundary(score: str, grade: str) -> None:
    assert grade_of(D(score), DEFAULT_POLICY) == grade


@pytest.mark.parametrize(
    ("grade", "due"),
    [
        ("A", date(2027, 11, 22)),
        ("B", date(2027, 5, 22)),
        ("C", date(2027, 2, 22)),
        ("D", date(2026, 12, 22)),
    ],
)
def test_next_review_by_grade(grade: str, due: date) -> None:
    assert next_review(AS_OF, grade, DEFAULT_POLICY) == due


def test_months_are_added_within_short_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)


def test_the_default_policy_is_valid() -> None:
    assert validate_policy(DEFAULT_POLICY) == []


def _factor_changed(index: int, **changes: object) -> Policy:
    factors = list(DEFAULT_POLICY.factors)
    factors[index] = dataclasses.replace(factors[index], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(DEFAULT_POLICY, factors=tuple(factors))


def _fields(policy: Policy) -> list[tuple[str, object]]:
    return [(p.field, p.value) for p in validate_policy(policy)]


def test_policy_weights_must_add_up_to_100() -> None:
    policy = _factor_changed(5, weight=D("20"))  # debt ratio 25 -> 20: financial adds up to 95
    assert _fields(policy) == [("factors.financial.weight", "95")]
    problem = validate_policy(policy)[0]
    assert problem.message("en") == "financial factor weights add up to 95, not 100"
    dimensions = dataclasses.replace(
        DEFAULT_POLICY,
        dimension_weights=MappingProxyType(
            {"qualification": D(30), "financial": D(30), "behaviour": D(35)}
        ),
    )
    assert _fields(dimensions) == [("dimensions", "95")]


def test_policy_bins_must_cover_the_range_without_gap_or_overlap() -> None:
    debt = DEFAULT_POLICY.factors[5]
    gap = (debt.bins[0], debt.bins[1], Bin(D(40), D(65), D(80)), debt.bins[3])
    assert _fields(_factor_changed(5, bins=gap)) == [("factors[5].bins[2].low", "65")]
    overlap = (debt.bins[0], debt.bins[1], Bin(D(40), D(55), D(80)), debt.bins[3])
    assert _fields(_factor_changed(5, bins=overlap)) == [("factors[5].bins[2].low", "55")]
    closed = (*debt.bins[:3], Bin(D(10), D(80), D(200)))
    assert _fields(_factor_changed(5, bins=closed)) == [("factors[5].bins[3].high", "200")]
    unbounded_start = (Bin(D(100), D(0), D(40)), *debt.bins[1:])
    assert _fields(_factor_changed(5, bins=unbounded_start)) == [("factors[5].bins[0].low", "0")]
    messages = validate_policy(_factor_changed(5, bins=gap))
    assert messages[0].message("zh-CN") == "须为 60，即上一个分箱的上限（不得有间隙或重叠）"


def test_policy_categories_each_once() -> None:
    licence = DEFAULT_POLICY.factors[0]
    twice = (licence.bins[0], licence.bins[0], licence.bins[2])
    assert _fields(_factor_changed(0, bins=twice)) == [
        ("factors[0].bins[1].category", "valid"),
        ("factors[0].bins", "expired"),
    ]


def test_policy_factor_names_keys_points_and_cut_offs() -> None:
    assert _fields(_factor_changed(0, name_zh=" ")) == [("factors[0].name.zh-CN", " ")]
    assert _fields(_factor_changed(2, key="turnover")) == [("factors[2].key", "turnover")]
    assert _fields(_factor_changed(3, neutral=D(101))) == [("factors[3].neutral", "101")]
    cutoffs = dataclasses.replace(
        DEFAULT_POLICY, cutoffs=MappingProxyType({"A": D(80), "B": D(85), "C": D(50)})
    )
    assert _fields(cutoffs) == [("cutoffs.B", "85")]
    months = dataclasses.replace(
        DEFAULT_POLICY, review_months=MappingProxyType({"A": 12, "B": 6, "C": 0, "D": 1})
    )
    assert _fields(months) == [("review_months.C", 0)]


maybe_number = st.none() | st.decimals(min_value=-1000, max_value=10**9, places=2)


@given(
    licence=st.none() | st.sampled_from(["valid", "expired", "revoked"]),
    records=st.none() | st.integers(min_value=0, max_value=20),
    days_late=maybe_number,
    share_late=st.none() | st.decimals(min_value=0, max_value=100, places=2),
    trend=maybe_number,
    capital=maybe_number,
)
def test_any_facts_score_within_0_100_and_weights_add_up(
    licence: str | None,
    records: int | None,
    days_late: Decimal | None,
    share_late: Decimal | None,
    trend: Decimal | None,
    capital: Decimal | None,
) -> None:
    inputs = RatingInputs(
        licence_status=licence,
        negative_records=records,
        registered_capital=capital,
        average_days_late=days_late,
        share_paid_late=share_late,
        late_trend_days=trend,
    )
    result = rate(DEFAULT_POLICY, inputs, AS_OF)
    assert D(0) <= result.score <= D(100)
    assert sum(f.weight for f in result.factors) == D(100)
    missing = sum(f.weight for f in result.factors if f.status == "missing")
    assert result.missing_weight == missing
    assert len(result.reasons) <= DEFAULT_POLICY.reason_count
    assert grade_of(result.score, DEFAULT_POLICY) == result.grade
