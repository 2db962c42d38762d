"""Between the API's policy shape, the stored JSON and the core's policy and ladder."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from types import MappingProxyType
from typing import TypeVar

from creditguard.core.errors import DomainError, Problem
from creditguard.core.limits import (
    GRADES,
    ApprovalLadder,
    GradeTerms,
    LimitPolicy,
    LimitRule,
    Rung,
)
from creditguard.core.money import Money
from creditguard.core.permissions import ROLES
from creditguard.credit.schemas import GradeTermsIn, LimitPolicyIn, LimitRuleIn, RungIn

T = TypeVar("T")


def _collect(problems: list[Problem], make: Callable[[], T]) -> T | None:
    try:
        return make()
    except DomainError as error:
        problems.extend(error.problems)
        return None


def _money(problems: list[Problem], amount: str, currency: str, where: str) -> Money:
    found = _collect(problems, lambda: Money.parse(amount, currency, where))
    return Money.zero(currency) if found is None else found


def policy_from_schema(
    data: LimitPolicyIn, currency: str
) -> tuple[LimitPolicy, ApprovalLadder, list[Problem]]:
    """The core policy and ladder of an API body, with the problems of reading amounts and roles.

    The caller still runs ``validate_policy`` and ``ApprovalLadder.validate`` (rules of the
    matrix); this only reads it, naming each field that cannot be read.
    """
    problems: list[Problem] = []
    grades: dict[str, GradeTerms] = {}
    for grade, row in data.grades.items():
        where = f"grades.{grade}"
        fixed = _money(problems, row.limit.fixed_max, currency, f"{where}.limit.fixed_max")
        rule = LimitRule(fixed, row.limit.revenue_percent, row.limit.equity_percent)
        grades[grade] = GradeTerms(
            rule, row.term_days, row.prepayment_percent, row.review_months, row.max_days_overdue
        )
    step = _money(problems, data.step, currency, "step")
    rungs: list[Rung] = []
    for i, rung in enumerate(data.ladder):
        if rung.role not in ROLES:
            problems.append(
                Problem(
                    f"ladder[{i}].role",
                    rung.role,
                    "invalid",
                    {
                        "reason": f"not a role; the roles are {', '.join(ROLES)}",
                        "reason_zh": f"不是有效角色；可用角色为 {'、'.join(ROLES)}",
                    },
                )
            )
        up_to = (
            None
            if rung.up_to is None
            else _money(problems, rung.up_to, currency, f"ladder[{i}].up_to")
        )
        rungs.append(Rung(rung.role, up_to))
    policy = LimitPolicy(currency, MappingProxyType(grades), step, data.unrated_as)
    return policy, ApprovalLadder(tuple(rungs)), problems


def ladder_problems(ladder: ApprovalLadder) -> list[Problem]:
    """The ladder's own problems, fields named as in the API body (``ladder[i].up_to``)."""
    return [
        Problem("ladder" + p.field.removeprefix("rungs"), p.value, p.code, p.params)
        for p in ladder.validate()
    ]


def _percent(value: Decimal | None) -> Decimal | None:
    return value


def policy_to_schema(
    policy: LimitPolicy, ladder: ApprovalLadder, note: str | None = None
) -> LimitPolicyIn:
    grades = {
        grade: GradeTermsIn(
            limit=LimitRuleIn(
                fixed_max=row.limit.fixed_max.decimal_string(),
                revenue_percent=_percent(row.limit.revenue_percent),
                equity_percent=_percent(row.limit.equity_percent),
            ),
            term_days=row.term_days,
            prepayment_percent=row.prepayment_percent,
            review_months=row.review_months,
            max_days_overdue=row.max_days_overdue,
        )
        for grade, row in sorted(policy.grades.items())
    }
    rungs = [
        RungIn(role=r.role, up_to=None if r.up_to is None else r.up_to.decimal_string())
        for r in ladder.rungs
    ]
    return LimitPolicyIn(
        grades=grades,
        step=policy.step.decimal_string(),
        unrated_as=policy.unrated_as,
        ladder=rungs,
        note=note,
    )


def policy_body(data: LimitPolicyIn) -> str:
    """The stored form of a policy: JSON, Decimals as strings, without the note."""
    return data.model_dump_json(exclude={"note"})


def policy_of_body(body: str, note: str | None) -> LimitPolicyIn:
    return LimitPolicyIn.model_validate_json(body).model_copy(update={"note": note})


__all__ = ["GRADES", "ladder_problems", "policy_body", "policy_from_schema", "policy_of_body"]
