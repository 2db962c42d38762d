"""The limit policy matrix (分级授信), the suggested limit and terms, and the approval ladder.

A policy row per grade A/B/C/D holds a limit rule, the payment term, the required prepayment
percent, the review cycle and ``max_days_overdue`` (N: orders are held once the oldest overdue
item is more than N days past due). The limit rule is a fixed maximum, optionally with a share of
the customer's annual revenue and/or of its equity; the suggested limit is the smallest amount
that applies, rounded down to the policy's step. A share without data does not apply and the
explanation says so. Unrated customers use the ``unrated_as`` row (default D: prepayment or cash
only) or, when it is ``None``, are refused.

Policies are data; :func:`validate_policy` returns every problem, fields named. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from creditguard.core.errors import Problem, invalid
from creditguard.core.money import Money

GRADES: Final = ("A", "B", "C", "D")
HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, slots=True)
class LimitRule:
    """Fixed maximum, and optional shares (percent) of annual revenue and of equity."""

    fixed_max: Money
    revenue_percent: Decimal | None = None
    equity_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GradeTerms:
    """One row of the matrix: limit rule and the terms that go with the grade."""

    limit: LimitRule
    term_days: int
    prepayment_percent: Decimal
    review_months: int
    max_days_overdue: int  # N: day N past due still approved, day N + 1 held


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """The matrix, the base currency, the rounding step and how unrated customers are treated."""

    currency: str
    grades: Mapping[str, GradeTerms]
    step: Money
    unrated_as: str | None = "D"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an explanation: a stable code and the text in Chinese and English."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    """What the suggestion needs: grade (``None``: unrated), annual revenue and equity."""

    grade: str | None
    annual_revenue: Money | None = None
    equity: Money | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A suggested limit and terms, with the lines saying which rule bound."""

    grade: str
    limit: Money
    term_days: int
    prepayment_percent: Decimal
    review_months: int
    max_days_overdue: int
    explanation: tuple[Line, ...]


def default_policy(currency: str) -> LimitPolicy:
    """DOMAIN.md's defaults: A net 90, B net 60, C net 30 with 30% prepayment, D cash only.

    Review cycles are DOMAIN.md's (A 12, B 6, C 3, D 1 months). The amounts, shares and N are
    creditguard's starting points, meant to be edited.
    """

    def row(fixed: str, shares: tuple[str | None, str | None], *terms: int | str) -> GradeTerms:
        revenue, equity = (None if s is None else Decimal(s) for s in shares)
        term, prepay, review, overdue = terms
        return GradeTerms(
            limit=LimitRule(Money.parse(fixed, currency), revenue, equity),
            term_days=int(term),
            prepayment_percent=Decimal(prepay),
            review_months=int(review),
            max_days_overdue=int(overdue),
        )

    grades = {
        "A": row("5000000", ("10", "50"), 90, "0", 12, 30),
        "B": row("2000000", ("5", "30"), 60, "0", 6, 15),
        "C": row("500000", ("2", "10"), 30, "30", 3, 7),
        "D": row("0", (None, None), 0, "100", 1, 0),
    }
    return LimitPolicy(currency, MappingProxyType(grades), Money.parse("10000", currency))


# --- validation ---


def _problem(where: str, value: object, reason: tuple[str, str]) -> Problem:
    return Problem(where, value, "invalid", {"reason": reason[0], "reason_zh": reason[1]})


def _percent(where: str, value: Decimal | None) -> list[Problem]:
    if value is None or 0 <= value <= HUNDRED:
        return []
    return [Problem(where, str(value), "out_of_range", {"low": 0, "high": 100})]


def _not_negative(where: str, value: int) -> list[Problem]:
    return [] if value >= 0 else [Problem(where, value, "negative")]


def _currency(where: str, amount: Money, currency: str) -> list[Problem]:
    if amount.currency == currency:
        return []
    params = {"left": currency, "right": amount.currency}
    return [Problem(where, amount.currency, "currency_mismatch", params)]


def _check_row(where: str, row: GradeTerms, currency: str) -> list[Problem]:
    fixed = row.limit.fixed_max
    problems = _currency(f"{where}.limit.fixed_max", fixed, currency)
    if fixed.minor < 0:
        problems.append(Problem(f"{where}.limit.fixed_max", fixed.decimal_string(), "negative"))
    problems += _percent(f"{where}.limit.revenue_percent", row.limit.revenue_percent)
    problems += _percent(f"{where}.limit.equity_percent", row.limit.equity_percent)
    problems += _percent(f"{where}.prepayment_percent", row.prepayment_percent)
    problems += _not_negative(f"{where}.term_days", row.term_days)
    problems += _not_negative(f"{where}.max_days_overdue", row.max_days_overdue)
    if not 1 <= row.review_months <= 60:
        bounds = {"low": 1, "high": 60}
        problems.append(
            Problem(f"{where}.review_months", row.review_months, "out_of_range", bounds)
        )
    return problems


_INCREASING = (
    "limits must not increase from A to D: must not exceed the grade above",
    "额度从 A 到 D 不得递增：不得高于上一等级",
)
_STEP = ("the rounding step must be greater than zero", "取整步长须大于零")
_UNRATED = (
    "must be a grade A-D, or null to refuse unrated customers",
    "须为 A-D 等级，或为空以拒绝未评级客户",
)
_UNKNOWN_GRADE = ("unknown grade; the grades are A, B, C, D", "未知等级；可用等级为 A、B、C、D")


def validate_policy(policy: LimitPolicy) -> list[Problem]:
    """Return every problem of a policy matrix edit, each naming its field (empty: valid)."""
    problems = _currency("step", policy.step, policy.currency)
    if policy.step.minor <= 0:
        problems.append(_problem("step", policy.step.decimal_string(), _STEP))
    if policy.unrated_as is not None and policy.unrated_as not in GRADES:
        problems.append(_problem("unrated_as", policy.unrated_as, _UNRATED))
    problems += [
        _problem(f"grades.{g}", g, _UNKNOWN_GRADE) for g in policy.grades if g not in GRADES
    ]
    above: Money | None = None
    for grade in GRADES:
        row = policy.grades.get(grade)
        if row is None:
            problems.append(Problem(f"grades.{grade}", None, "required"))
            continue
        problems += _check_row(f"grades.{grade}", row, policy.currency)
        fixed = row.limit.fixed_max
        if above is not None and fixed.currency == above.currency and fixed > above:
            problems.append(
                _problem(f"grades.{grade}.limit.fixed_max", fixed.decimal_string(), _INCREASING)
            )
        above = fixed
    return problems


# --- suggestion ---


def resolve_grade(policy: LimitPolicy, grade: str | None) -> str:
    """Return the grade whose row a customer uses: its own, or ``unrated_as``; else refuse."""
    if grade is None:
        if policy.unrated_as is None:
            raise invalid(
                "grade",
                None,
                "invalid",
                reason="the customer is not rated and this policy refuses unrated customers",
                reason_zh="客户尚未评级，且本政策不接受未评级客户",
            )
        return policy.unrated_as
    if grade not in policy.grades:
        raise invalid(
            "grade", grade, "invalid", reason=_UNKNOWN_GRADE[0], reason_zh=_UNKNOWN_GRADE[1]
        )
    return grade


def _share(
    name: tuple[str, str, str], base: Money | None, percent: Decimal | None, currency: str
) -> tuple[Money | None, Line | None]:
    """Compute a share of revenue or equity, or say why it does not apply."""
    field, en, zh = name
    if percent is None:
        return None, None
    if base is None:
        return None, Line(
            f"no_{field}",
            f"无{zh}数据，{zh}比例规则（{percent}%）不适用，仅按固定上限",
            f"no {en} known: the {percent}% of {en} rule does not apply, fixed maximum only",
        )
    if base.currency != currency:
        raise invalid(field, base.currency, "currency_mismatch", left=currency, right=base.currency)
    amount = base.times(percent / HUNDRED)
    return amount, Line(
        f"{field}_share",
        f"{zh} {base.amount} 的 {percent}% = {amount.amount}",
        f"{percent}% of {en} {base.amount} = {amount.amount}",
    )


def suggest(policy: LimitPolicy, figures: CustomerFigures) -> Suggestion:
    """Suggest limit and terms: the smallest applicable amount, rounded down to the step."""
    grade = resolve_grade(policy, figures.grade)
    row = policy.grades[grade]
    fixed = row.limit.fixed_max
    lines = [Line("grade", f"按 {grade} 级政策", f"policy row of grade {grade}")]
    if figures.grade is None:
        lines.append(Line("unrated", f"未评级，按 {grade} 级处理", f"unrated: treated as {grade}"))
    candidates = [("fixed_max", fixed)]
    shares = (
        (("annual_revenue", "annual revenue", "年营业收入"), figures.annual_revenue),
        (("equity", "equity", "净资产"), figures.equity),
    )
    percents = (row.limit.revenue_percent, row.limit.equity_percent)
    for (name, base), percent in zip(shares, percents, strict=True):
        amount, line = _share(name, base, percent, policy.currency)
        lines += [line] if line is not None else []
        candidates += [(name[0], amount)] if amount is not None else []
    bound, smallest = min(candidates, key=lambda item: item[1].minor)
    step = policy.step.minor
    limit = Money(max(smallest.minor, 0) // step * step, policy.currency)
    lines.append(
        Line(
            f"bound_by_{bound}",
            f"取最小者：{_ZH_BOUND[bound]} {smallest.amount}，按 {policy.step.amount} 向下取整为 "
            f"{limit.amount}",
            f"the smallest applies: {bound.replace('_', ' ')} {smallest.amount}, rounded down to "
            f"a step of {policy.step.amount}: {limit.amount}",
        )
    )
    return Suggestion(
        grade, limit, row.term_days, row.prepayment_percent, row.review_months,
        row.max_days_overdue, tuple(lines),
    )  # fmt: skip


_ZH_BOUND: Final = {
    "fixed_max": "固定上限",
    "annual_revenue": "营业收入比例",
    "equity": "净资产比例",
}


# --- approval authority (审批权限) ---


@dataclass(frozen=True, slots=True)
class Rung:
    """A role and the largest amount it may approve (``None``: no upper bound)."""

    role: str
    up_to: Money | None


_NOT_RISING = ("thresholds must increase up the ladder", "审批权限金额须逐级递增")
_LAST_OPEN = ("the last rung must be unbounded (null)", "最后一级的权限须为无上限（空）")
_ONLY_LAST = ("only the last rung may be unbounded", "只有最后一级可以无上限")
_EMPTY = ("the ladder needs at least one rung", "审批层级至少需要一级")


@dataclass(frozen=True, slots=True)
class ApprovalLadder:
    """Who approves what: rungs ordered from the lowest authority up (seed: 审批权限)."""

    rungs: tuple[Rung, ...]

    def validate(self) -> list[Problem]:
        """Every problem of the ladder, fields named: rising thresholds, last one unbounded."""
        if not self.rungs:
            return [_problem("rungs", None, _EMPTY)]
        problems: list[Problem] = []
        previous: Money | None = None
        for i, rung in enumerate(self.rungs):
            where = f"rungs[{i}].up_to"
            if rung.up_to is None:
                if i < len(self.rungs) - 1:
                    problems.append(_problem(where, None, _ONLY_LAST))
                continue
            if rung.up_to.minor < 0:
                problems.append(Problem(where, rung.up_to.decimal_string(), "negative"))
            comparable = previous is not None and rung.up_to.currency == previous.currency
            if comparable and previous is not None and rung.up_to <= previous:
                problems.append(_problem(where, rung.up_to.decimal_string(), _NOT_RISING))
            previous = rung.up_to
        if self.rungs[-1].up_to is not None:
            last = self.rungs[-1].up_to.decimal_string()
            problems.append(_problem(f"rungs[{len(self.rungs) - 1}].up_to", last, _LAST_OPEN))
        return problems

    def approver_for(self, amount: Money) -> str:
        """Return the lowest role whose authority covers ``amount`` (a threshold is inclusive)."""
        for rung in self.rungs:
            if rung.up_to is None or amount <= rung.up_to:
                return rung.role
        raise invalid("amount", amount.decimal_string(), "invalid", **_reason(_NO_RUNG))

    def may_approve(self, requester: str, approver: str, role: str, amount: Money) -> list[Problem]:
        """Problems stopping ``approver`` (acting as ``role``) approving; empty: allowed.

        Segregation of duties: the requester may never approve their own request, whatever the
        role. A role may approve what its own rung or a lower one covers.
        """
        problems: list[Problem] = []
        if requester == approver:
            problems.append(
                Problem(
                    "approver", approver, "invalid", {"rule": "self_approval", **_reason(_SELF)}
                )
            )
        roles = [rung.role for rung in self.rungs]
        if role not in roles:
            problems.append(_problem("role", role, _UNKNOWN_ROLE))
        elif roles.index(role) < roles.index(self.approver_for(amount)):
            needed = self.approver_for(amount)
            text = (
                f"above the authority of {role}: {amount} needs {needed}",
                f"超出 {role} 的审批权限：{amount} 须由 {needed} 审批",
            )
            problems.append(
                Problem("role", role, "invalid", {"rule": "above_authority", **_reason(text)})
            )
        return problems


_SELF = ("the requester may not approve their own request", "申请人不得审批自己的申请")
_UNKNOWN_ROLE = ("this role is not on the approval ladder", "该角色不在审批层级中")
_NO_RUNG = ("no rung of the ladder covers this amount", "审批层级中没有可审批该金额的角色")


def _reason(text: tuple[str, str]) -> dict[str, str]:
    return {"reason": text[0], "reason_zh": text[1]}
