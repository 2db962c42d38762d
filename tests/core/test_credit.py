"""Limits, suggested terms, exposure, the order credit check and the approval ladder."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.credit import (
    REASON_ORDER,
    CheckFacts,
    Exposure,
    check,
    group_exposure,
    headroom,
)
from creditguard.core.errors import InvalidInput
from creditguard.core.limits import (
    ApprovalLadder,
    CustomerFigures,
    LimitPolicy,
    LimitRule,
    Rung,
    default_policy,
    suggest,
    validate_policy,
)
from creditguard.core.money import Money

AS_OF = date(2026, 11, 22)
POLICY = default_policy("CNY")
D = Decimal


def cny(amount: str) -> Money:
    return Money.parse(amount, "CNY")


def exposure(
    *,
    open_receivables: str = "0",
    invoiced_not_due: str = "0",
    shipped_not_invoiced: str = "0",
    confirmed_not_shipped: str = "0",
    reserved: str = "0",
    insured: str = "0",
) -> Exposure:
    return Exposure(
        cny(open_receivables),
        cny(invoiced_not_due),
        cny(shipped_not_invoiced),
        cny(confirmed_not_shipped),
        cny(reserved),
        cny(insured),
    )


def codes(order: str, parts: Exposure, limit: str, facts: CheckFacts) -> list[str]:
    decision = check(cny(order), parts, cny(limit), facts, POLICY, AS_OF)
    return [reason.code for reason in decision.reasons]


A = CheckFacts(grade="A")
B = CheckFacts(grade="B")


# --- exposure ---


def test_exposure_adds_every_stage_and_shows_the_insured_part_apart() -> None:
    parts = exposure(
        open_receivables="100.01",
        invoiced_not_due="200.02",
        shipped_not_invoiced="300.03",
        confirmed_not_shipped="400.04",
        reserved="500.05",
        insured="900.00",
    )
    assert parts.total == cny("1500.15")
    assert parts.uninsured == cny("600.15")


def test_group_exposure_is_the_sum_over_members_stage_by_stage() -> None:
    one = exposure(open_receivables="10.00", reserved="1.00", insured="5.00")
    two = exposure(invoiced_not_due="20.00", reserved="2.50")
    group = group_exposure([one, two], "CNY")
    assert group == exposure(
        open_receivables="10.00", invoiced_not_due="20.00", reserved="3.50", insured="5.00"
    )
    assert group.total == one.total + two.total
    assert group_exposure([], "CNY").total == cny("0")


def test_a_negative_stage_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        group_exposure([exposure(shipped_not_invoiced="-0.01")], "CNY")
    assert caught.value.problems[0].field == "shipped_not_invoiced"
    assert caught.value.problems[0].code == "negative"
    with pytest.raises(InvalidInput) as in_check:
        check(cny("1"), exposure(reserved="-1"), cny("10"), A, POLICY, AS_OF)
    assert in_check.value.problems[0].field == "exposure.reserved"


def test_a_stage_in_another_currency_or_an_insured_part_above_exposure_is_refused() -> None:
    mixed = dataclasses.replace(exposure(), reserved=Money.parse("1", "USD"))
    facts = CheckFacts("A", group_exposure=mixed, group_limit=cny("10"))
    with pytest.raises(InvalidInput) as caught:
        check(cny("1"), exposure(), cny("10"), facts, POLICY, AS_OF)
    assert caught.value.problems[0].field == "group_exposure.reserved"
    with pytest.raises(InvalidInput) as insured:
        check(cny("1"), exposure(reserved="5", insured="5.01"), cny("10"), A, POLICY, AS_OF)
    assert insured.value.problems[0].field == "exposure.insured"


# --- the credit check: decision tables ---


@pytest.mark.parametrize(
    ("order", "decision", "by"),
    [("300.00", "approved", None), ("300.01", "held", "0.01"), ("299.99", "approved", None)],
)
def test_limit_exactly_reached_is_approved_one_cent_over_is_held(
    order: str, decision: str, by: str | None
) -> None:
    parts = exposure(open_receivables="500.00", reserved="200.00")
    result = check(cny(order), parts, cny("1000.00"), A, POLICY, AS_OF)
    assert result.decision == decision
    assert result.available == cny("300.00")
    if by is None:
        assert result.reasons == ()
    else:
        (reason,) = result.reasons
        assert reason.code == "over_limit"
        assert reason.data["by"] == by
        assert reason.message_en == (
            "customer limit 1000.00 CNY exceeded by 0.01 CNY: exposure 700.00 CNY + order 300.01 CNY"
        )
        assert reason.message_zh.startswith("超出客户额度 1000.00 CNY，超出 0.01 CNY")


@pytest.mark.parametrize(
    ("days_past_due", "expected"),
    [(0, []), (1, []), (15, []), (16, ["overdue"]), (400, ["overdue"])],
)
def test_overdue_day_n_is_approved_day_n_plus_one_is_held(
    days_past_due: int, expected: list[str]
) -> None:
    # Grade B tolerates N = 15 days: due on 2026-11-07 is day 15 on 2026-11-22.
    facts = CheckFacts(grade="B", oldest_overdue_due_on=AS_OF - timedelta(days=days_past_due))
    assert codes("1.00", exposure(), "1000.00", facts) == expected


def test_overdue_reason_gives_the_days_and_the_due_date() -> None:
    facts = CheckFacts(grade="B", oldest_overdue_due_on=date(2026, 11, 6))
    (reason,) = check(cny("1.00"), exposure(), cny("10.00"), facts, POLICY, AS_OF).reasons
    assert reason.data == {"days_overdue": "16", "max_days_overdue": "15", "due_on": "2026-11-06"}
    assert "16 days past due" in reason.message_en
    assert "已逾期 16 天" in reason.message_zh


@pytest.mark.parametrize(
    ("expires_on", "expected"),
    [(AS_OF + timedelta(days=1), []), (AS_OF, []), (AS_OF - timedelta(days=1), ["limit_expired"])],
)
def test_temporary_limit_is_valid_on_its_expiry_day_and_expired_the_day_after(
    expires_on: date, expected: list[str]
) -> None:
    facts = CheckFacts(grade="A", limit_expires_on=expires_on)
    assert codes("1.00", exposure(), "1000.00", facts) == expected


def test_grade_d_is_cash_only_unless_the_order_is_prepaid() -> None:
    held = check(cny("800.00"), exposure(), cny("1000.00"), CheckFacts("D"), POLICY, AS_OF)
    (reason,) = held.reasons
    assert (held.decision, reason.code) == ("held", "prepayment_required")
    assert reason.data == {"grade": "D", "prepayment_percent": "100", "prepayment": "800.00"}
    prepaid = CheckFacts("D", prepaid=True)
    assert check(cny("800.00"), exposure(), cny("1000.00"), prepaid, POLICY, AS_OF).decision == (
        "approved"
    )


def test_a_prepaid_order_counts_only_its_credit_part_against_the_limit() -> None:
    # D is cash only: a prepaid order puts nothing on credit, so a zero limit is enough.
    prepaid_d = CheckFacts("D", prepaid=True)
    assert check(cny("800.00"), exposure(), cny("0"), prepaid_d, POLICY, AS_OF).reasons == ()
    # C prepays 30%: 70% of 1000.00 = 700.00 on credit; 700.00 fits exactly, 700.01 does not.
    prepaid_c = CheckFacts("C", prepaid=True)
    fits = check(
        cny("1000.00"), exposure(reserved="300.00"), cny("1000.00"), prepaid_c, POLICY, AS_OF
    )
    assert fits.decision == "approved"
    over = check(
        cny("1000.00"), exposure(reserved="300.01"), cny("1000.00"), prepaid_c, POLICY, AS_OF
    )
    assert [(r.code, r.data["by"]) for r in over.reasons] == [("over_limit", "0.01")]
    # Not prepaid: the whole order counts.
    unpaid = check(
        cny("1000.00"), exposure(reserved="300.00"), cny("1000.00"), CheckFacts("C"), POLICY, AS_OF
    )
    assert [(r.code, r.data.get("by")) for r in unpaid.reasons] == [
        ("over_limit", "300.00"),
        ("prepayment_required", None),
    ]


def test_grade_c_requires_its_prepayment_percent() -> None:
    (reason,) = check(
        cny("1000.01"), exposure(), cny("5000"), CheckFacts("C"), POLICY, AS_OF
    ).reasons
    assert reason.data["prepayment"] == "300.00"  # 30% of 1000.01 = 300.003, half up to cents
    assert reason.message_en.startswith("grade C requires 30% prepayment (300.00 CNY)")


def test_blocked_customer_is_held_even_well_inside_the_limit() -> None:
    blocked = CheckFacts("A", blocked=True)
    result = check(cny("1.00"), exposure(), cny("1000.00"), blocked, POLICY, AS_OF)
    assert (result.decision, [r.code for r in result.reasons]) == ("held", ["blocked"])
    assert (result.reasons[0].message_en, result.reasons[0].message_zh) == (
        "the customer is blocked",
        "该客户已被冻结",
    )


def test_every_reason_that_applies_comes_in_the_fixed_order() -> None:
    facts = CheckFacts(
        grade="C",
        blocked=True,
        oldest_overdue_due_on=AS_OF - timedelta(days=8),
        limit_expires_on=AS_OF - timedelta(days=1),
        group_exposure=exposure(reserved="900.00"),
        group_limit=cny("1000.00"),
    )
    result = check(cny("200.00"), exposure(reserved="900.00"), cny("1000.00"), facts, POLICY, AS_OF)
    assert [r.code for r in result.reasons] == [
        "over_limit",
        "group_over_limit",
        "overdue",
        "prepayment_required",
        "blocked",
        "limit_expired",
    ]
    assert list(REASON_ORDER[:6]) == [r.code for r in result.reasons]


def test_group_limit_binds_while_the_customer_limit_does_not() -> None:
    facts = CheckFacts(
        grade="A", group_exposure=exposure(invoiced_not_due="9500.00"), group_limit=cny("10000.00")
    )
    result = check(
        cny("500.01"), exposure(invoiced_not_due="100.00"), cny("5000"), facts, POLICY, AS_OF
    )
    assert result.decision == "held"
    assert [(r.code, r.data["by"]) for r in result.reasons] == [("group_over_limit", "0.01")]
    assert result.available == cny("500.00")  # min(4900.00 customer, 500.00 group)
    exact = check(
        cny("500.00"), exposure(invoiced_not_due="100.00"), cny("5000"), facts, POLICY, AS_OF
    )
    assert exact.decision == "approved"


def test_available_is_zero_not_negative_when_already_over() -> None:
    result = check(cny("1.00"), exposure(reserved="1200.00"), cny("1000.00"), A, POLICY, AS_OF)
    assert result.available == cny("0.00")
    assert result.reasons[0].data["by"] == "201.00"


def test_unrated_customer_uses_the_unrated_row_by_default() -> None:
    # Default unrated_as = "D": cash only.
    assert codes("1.00", exposure(), "1000.00", CheckFacts(None)) == ["prepayment_required"]


def test_unrated_customer_is_held_when_the_policy_refuses_them() -> None:
    strict = dataclasses.replace(POLICY, unrated_as=None)
    result = check(cny("1.00"), exposure(), cny("1000.00"), CheckFacts(None), strict, AS_OF)
    assert [r.code for r in result.reasons] == ["unrated"]
    with pytest.raises(InvalidInput) as caught:
        suggest(strict, CustomerFigures(grade=None))
    assert caught.value.problems[0].field == "grade"
    assert "不接受未评级客户" in caught.value.message("zh-CN")


@pytest.mark.parametrize("where", ["order_amount", "limit", "group_limit"])
def test_a_foreign_currency_is_refused_naming_the_field(where: str) -> None:
    usd = Money.parse("1.00", "USD")
    order, limit, group = cny("1.00"), cny("10.00"), cny("10.00")
    order, limit, group = (usd if where == name else value for name, value in
                           (("order_amount", order), ("limit", limit), ("group_limit", group)))  # fmt: skip
    facts = CheckFacts("A", group_exposure=exposure(), group_limit=group)
    with pytest.raises(InvalidInput) as caught:
        check(order, exposure(), limit, facts, POLICY, AS_OF)
    problem = caught.value.problems[0]
    assert (problem.field, problem.code, problem.value) == (where, "currency_mismatch", "USD")
    assert caught.value.message("en") == f"{where}: cannot combine CNY with USD"


def test_a_zero_order_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check(cny("0"), exposure(), cny("10.00"), A, POLICY, AS_OF)
    assert (caught.value.problems[0].field, caught.value.problems[0].code) == (
        "order_amount",
        "not_positive",
    )


# --- properties ---

cents = st.integers(min_value=0, max_value=10**12)


@given(limit=cents, spent=cents, order=st.integers(min_value=1, max_value=10**12))
def test_available_is_limit_minus_exposure_and_approval_never_overcommits(
    limit: int, spent: int, order: int
) -> None:
    parts = Exposure.zero("CNY")
    parts = dataclasses.replace(parts, confirmed_not_shipped=Money(spent, "CNY"))
    result = check(Money(order, "CNY"), parts, Money(limit, "CNY"), A, POLICY, AS_OF)
    assert result.available.minor == (limit - spent if limit >= spent else 0)
    assert (result.decision == "approved") == (spent + order <= limit)
    if result.decision == "approved":
        assert parts.total.minor + order <= limit
        assert order <= result.available.minor
    else:
        assert result.reasons[0].data["by"] == Money(spent + order - limit, "CNY").decimal_string()


@given(st.lists(st.tuples(cents, cents, cents), max_size=6))
def test_group_exposure_is_additive(members: list[tuple[int, int, int]]) -> None:
    parts = [
        dataclasses.replace(
            Exposure.zero("CNY"),
            open_receivables=Money(a, "CNY"),
            reserved=Money(b, "CNY"),
            shipped_not_invoiced=Money(c, "CNY"),
        )
        for a, b, c in members
    ]
    assert group_exposure(parts, "CNY").total.minor == sum(a + b + c for a, b, c in members)


def test_headroom_never_goes_below_zero() -> None:
    assert headroom(cny("10.00"), cny("10.01")) == cny("0")
    assert headroom(cny("10.00"), cny("9.99")) == cny("0.01")


# --- suggested limit and terms ---


def test_suggestion_with_revenue_binds_on_the_revenue_share_rounded_down() -> None:
    # A: fixed 5,000,000.00; 10% of revenue 12,345,678.90 = 1,234,567.89 -> 1,230,000.00.
    result = suggest(POLICY, CustomerFigures("A", annual_revenue=cny("12345678.90")))
    assert result.limit == cny("1230000.00")
    assert (result.term_days, result.prepayment_percent, result.review_months) == (90, D(0), 12)
    assert [line.code for line in result.explanation] == [
        "grade",
        "annual_revenue_share",
        "no_equity",
        "bound_by_annual_revenue",
    ]
    assert result.explanation[-1].en == (
        "the smallest applies: annual revenue 1234567.89, rounded down to a step of 10000.00: "
        "1230000.00"
    )


def test_suggestion_with_equity_binds_on_the_equity_share() -> None:
    # B: fixed 2,000,000.00; 30% of equity 3,000,000.00 = 900,000.00.
    result = suggest(POLICY, CustomerFigures("B", equity=cny("3000000.00")))
    assert result.limit == cny("900000.00")
    assert (result.term_days, result.max_days_overdue) == (60, 15)
    assert [line.code for line in result.explanation] == [
        "grade",
        "no_annual_revenue",
        "equity_share",
        "bound_by_equity",
    ]


def test_suggestion_with_both_takes_the_smaller_share_and_the_fixed_cap_binds_large_ones() -> None:
    both = CustomerFigures("C", annual_revenue=cny("10000000"), equity=cny("1500000"))
    assert suggest(POLICY, both).limit == cny("150000.00")  # 10% of equity < 2% of revenue
    huge = CustomerFigures("C", annual_revenue=cny("900000000"), equity=cny("900000000"))
    result = suggest(POLICY, huge)
    assert result.limit == cny("500000.00")
    assert result.explanation[-1].code == "bound_by_fixed_max"


def test_suggestion_without_data_says_only_the_fixed_amount_applies() -> None:
    result = suggest(POLICY, CustomerFigures("A"))
    assert result.limit == cny("5000000.00")
    no_revenue = result.explanation[1]
    assert no_revenue.code == "no_annual_revenue"
    assert no_revenue.en == (
        "no annual revenue known: the 10% of annual revenue rule does not apply, fixed maximum only"
    )
    assert no_revenue.zh == "无年营业收入数据，年营业收入比例规则（10%）不适用，仅按固定上限"


def test_grade_d_and_unrated_suggest_no_credit() -> None:
    for grade in ("D", None):
        result = suggest(POLICY, CustomerFigures(grade, annual_revenue=cny("1000000")))
        assert (result.grade, result.limit, result.prepayment_percent) == ("D", cny("0"), D(100))
    assert suggest(POLICY, CustomerFigures(None)).explanation[1].code == "unrated"


def test_suggestion_refuses_figures_in_another_currency() -> None:
    with pytest.raises(InvalidInput) as caught:
        suggest(POLICY, CustomerFigures("A", equity=Money.parse("1", "USD")))
    assert caught.value.problems[0].field == "equity"


# --- matrix validation ---


def test_default_policy_is_valid() -> None:
    assert validate_policy(POLICY) == []


def test_matrix_validation_names_every_field_at_fault() -> None:
    grades = dict(POLICY.grades)
    grades["B"] = dataclasses.replace(
        grades["B"],
        prepayment_percent=D("100.01"),
        limit=LimitRule(cny("6000000"), revenue_percent=D("-1")),
        term_days=-1,
    )
    grades["C"] = dataclasses.replace(grades["C"], limit=LimitRule(cny("-0.01")))
    del grades["D"]
    edited = LimitPolicy("CNY", MappingProxyType(grades), cny("0"), unrated_as="E")
    problems = validate_policy(edited)
    assert [(p.field, p.code) for p in problems] == [
        ("step", "invalid"),
        ("unrated_as", "invalid"),
        ("grades.B.limit.revenue_percent", "out_of_range"),
        ("grades.B.prepayment_percent", "out_of_range"),
        ("grades.B.term_days", "negative"),
        ("grades.B.limit.fixed_max", "invalid"),  # 6,000,000 above A's 5,000,000
        ("grades.C.limit.fixed_max", "negative"),
        ("grades.D", "required"),
    ]
    assert problems[5].message("zh-CN") == "额度从 A 到 D 不得递增：不得高于上一等级"


# --- approval ladder ---

LADDER = ApprovalLadder(
    (Rung("credit_manager", cny("1000000.00")), Rung("cfo", None)),
)


@pytest.mark.parametrize(
    ("amount", "role"),
    [("1000000.00", "credit_manager"), ("1000000.01", "cfo"), ("0.01", "credit_manager")],
)
def test_approver_for_routes_by_amount(amount: str, role: str) -> None:
    assert LADDER.approver_for(cny(amount)) == role


def test_self_approval_is_refused_whatever_the_role() -> None:
    (problem,) = LADDER.may_approve("wang", "wang", "cfo", cny("10.00"))
    assert (problem.field, problem.params["rule"]) == ("approver", "self_approval")
    assert problem.message("en") == "the requester may not approve their own request"
    assert problem.message("zh-CN") == "申请人不得审批自己的申请"
    assert LADDER.may_approve("wang", "li", "cfo", cny("10.00")) == []


def test_a_role_may_not_approve_above_its_authority() -> None:
    (problem,) = LADDER.may_approve("wang", "li", "credit_manager", cny("1000000.01"))
    assert (problem.field, problem.params["rule"]) == ("role", "above_authority")
    assert LADDER.may_approve("wang", "li", "credit_manager", cny("1000000.00")) == []
    (unknown,) = LADDER.may_approve("wang", "li", "intern", cny("1.00"))
    assert unknown.field == "role"


def test_ladder_validation_names_the_rung() -> None:
    assert LADDER.validate() == []
    bad = ApprovalLadder(
        (Rung("a", cny("500")), Rung("b", cny("500")), Rung("c", None), Rung("d", cny("9")))
    )
    assert [(p.field, p.message("en")) for p in bad.validate()] == [
        ("rungs[1].up_to", "thresholds must increase up the ladder"),
        ("rungs[2].up_to", "only the last rung may be unbounded"),
        ("rungs[3].up_to", "thresholds must increase up the ladder"),  # 9 after 500
        ("rungs[3].up_to", "the last rung must be unbounded (null)"),
    ]
    assert [p.field for p in ApprovalLadder(()).validate()] == ["rungs"]
