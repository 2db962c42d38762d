"""Exposure (风险敞口) and the order credit check: approve, or hold with every reason that applies.

Exposure = open receivables past due + invoiced not due + shipped not invoiced + confirmed
orders not shipped + reservations held, all in the base currency; the insured part is shown
apart and does not reduce it. A group's exposure is the sum over its members, and a group limit
is shared: what is available is the smaller of the customer's and the group's headroom.

:func:`check` takes Money already converted to the base currency by the caller and refuses
any other currency, naming the field. Reasons come in a fixed order (:data:`REASON_ORDER`).
Dates are business dates and ``as_of`` is passed in. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from creditguard.core.errors import invalid
from creditguard.core.limits import HUNDRED, LimitPolicy, resolve_grade
from creditguard.core.money import Money

REASON_ORDER: Final = (
    "over_limit",
    "group_over_limit",
    "overdue",
    "prepayment_required",
    "blocked",
    "limit_expired",
    "unrated",
)


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a customer (or a group) owes or is committed to, by stage, in the base currency."""

    open_receivables: Money  # invoices past their due date, still open
    invoiced_not_due: Money
    shipped_not_invoiced: Money
    confirmed_not_shipped: Money
    reserved: Money  # limit reserved by approved credit checks, not yet an order line above
    insured: Money  # the insured part of the above, shown apart; it does not reduce exposure

    @property
    def currency(self) -> str:
        """The base currency all parts are in."""
        return self.open_receivables.currency

    @property
    def total(self) -> Money:
        """Total exposure: the five stages added up (insured part included)."""
        return (
            self.open_receivables
            + self.invoiced_not_due
            + self.shipped_not_invoiced
            + self.confirmed_not_shipped
            + self.reserved
        )

    @property
    def uninsured(self) -> Money:
        """The part of the exposure no insurer covers."""
        return self.total - self.insured

    @classmethod
    def zero(cls, currency: str) -> Exposure:
        """No exposure at all."""
        nothing = Money.zero(currency)
        return cls(nothing, nothing, nothing, nothing, nothing, nothing)


def exposure_of(parts: Exposure, where: str = "") -> Exposure:
    """Check an exposure: one currency, no negative stage; raise naming ``where`` + the field."""
    for item in fields(parts):
        value: Money = getattr(parts, item.name)
        if value.currency != parts.currency:
            left, right = parts.currency, value.currency
            raise invalid(f"{where}{item.name}", right, "currency_mismatch", left=left, right=right)
        if value.minor < 0:
            raise invalid(f"{where}{item.name}", value.decimal_string(), "negative")
    if parts.insured > parts.total:
        raise invalid(
            f"{where}insured",
            parts.insured.decimal_string(),
            "invalid",
            reason=f"the insured part exceeds the exposure {parts.total}",
            reason_zh=f"投保部分超过风险敞口 {parts.total}",
        )
    return parts


def group_exposure(members: Sequence[Exposure], currency: str) -> Exposure:
    """Sum a group's exposure stage by stage over its members (the sum of none is zero)."""
    result = Exposure.zero(currency)
    for member in members:
        exposure_of(member)
        result = Exposure(
            *(getattr(result, f.name) + getattr(member, f.name) for f in fields(Exposure))
        )
    return result


def headroom(limit: Money, exposure: Money) -> Money:
    """Return what is still available under ``limit``: ``limit - exposure``, never below zero."""
    return Money(max(limit.minor - exposure.minor, 0), limit.currency)


@dataclass(frozen=True, slots=True)
class CheckFacts:
    """What the check knows of the customer besides exposure and limit, on ``as_of``.

    ``oldest_overdue_due_on`` is the due date of the oldest open, undisputed item; it is
    ``d`` days past due on ``as_of`` where ``d = (as_of - due_on).days``: the due date itself is
    day 0, the next day is day 1. ``limit_expires_on`` is the last day a temporary limit is valid.
    """

    grade: str | None
    blocked: bool = False
    prepaid: bool = False
    oldest_overdue_due_on: date | None = None
    limit_expires_on: date | None = None
    group_exposure: Exposure | None = None
    group_limit: Money | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an order is held: a stable code, the message in English and Chinese, and figures."""

    code: str
    message_en: str
    message_zh: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: approved or held, every reason in :data:`REASON_ORDER`, and what is available.

    ``available`` is the headroom before this order: the customer's, or the group's if smaller.
    """

    decision: Literal["approved", "held"]
    reasons: tuple[Reason, ...]
    available: Money


def _same_currency(name: str, amount: Money, currency: str) -> None:
    if amount.currency != currency:
        raise invalid(
            name, amount.currency, "currency_mismatch", left=currency, right=amount.currency
        )


def _check_inputs(order_amount: Money, exposure: Exposure, limit: Money, facts: CheckFacts,
                  currency: str) -> None:  # fmt: skip
    _same_currency("order_amount", order_amount, currency)
    _same_currency("limit", limit, currency)
    _same_currency("exposure.open_receivables", exposure.open_receivables, currency)
    exposure_of(exposure, "exposure.")
    if order_amount.minor <= 0:
        raise invalid("order_amount", order_amount.decimal_string(), "not_positive")
    if limit.minor < 0:
        raise invalid("limit", limit.decimal_string(), "negative")
    if (facts.group_exposure is None) != (facts.group_limit is None):
        raise invalid(
            "group_limit",
            None,
            "invalid",
            reason="a group limit and a group exposure go together",
            reason_zh="集团额度与集团敞口须同时提供",
        )
    if facts.group_exposure is not None and facts.group_limit is not None:
        group = facts.group_exposure
        _same_currency("group_exposure.open_receivables", group.open_receivables, currency)
        exposure_of(group, "group_exposure.")
        _same_currency("group_limit", facts.group_limit, currency)


def _over(
    code: str, who: tuple[str, str], order: Money, exposure: Money, limit: Money
) -> list[Reason]:
    after = exposure + order
    if after <= limit:
        return []
    by = after - limit
    data = {"by": by.decimal_string(), "limit": limit.decimal_string(),
            "exposure": exposure.decimal_string(), "order_amount": order.decimal_string(),
            "currency": limit.currency}  # fmt: skip
    return [
        Reason(
            code,
            f"{who[0]} limit {limit} exceeded by {by}: exposure {exposure} + order {order}",
            f"超出{who[1]}额度 {limit}，超出 {by}：敞口 {exposure} + 订单 {order}",
            data,
        )
    ]


def _overdue(facts: CheckFacts, allowed: int, as_of: date) -> list[Reason]:
    due_on = facts.oldest_overdue_due_on
    if due_on is None or (as_of - due_on).days <= allowed:
        return []
    days = (as_of - due_on).days
    data = {
        "days_overdue": str(days),
        "max_days_overdue": str(allowed),
        "due_on": due_on.isoformat(),
    }
    return [
        Reason(
            "overdue",
            f"the oldest overdue item (due {due_on}) is {days} days past due; at most {allowed} "
            "are tolerated",
            f"最早逾期款项（到期日 {due_on}）已逾期 {days} 天，超过容忍的 {allowed} 天",
            data,
        )
    ]


def _prepayment(order: Money, grade: str, percent: Decimal, facts: CheckFacts) -> list[Reason]:
    if facts.prepaid or percent <= 0:
        return []
    share = percent  # already 100 for grade D (see _prepay_share)
    due = order.times(share / HUNDRED)
    data = {"grade": grade, "prepayment_percent": str(share), "prepayment": due.decimal_string()}
    return [
        Reason(
            "prepayment_required",
            f"grade {grade} requires {share}% prepayment ({due}); the order is not marked prepaid",
            f"{grade} 级客户须预付 {share}%（{due}），该订单未标记为已预付",
            data,
        )
    ]


def _status(facts: CheckFacts, as_of: date) -> list[Reason]:
    reasons: list[Reason] = []
    if facts.blocked:
        reasons.append(Reason("blocked", "the customer is blocked", "该客户已被冻结"))
    expires = facts.limit_expires_on
    if expires is not None and expires < as_of:
        reasons.append(
            Reason(
                "limit_expired",
                f"the temporary limit expired on {expires}",
                f"临时额度已于 {expires} 到期",
                {"expires_on": expires.isoformat()},
            )
        )
    return reasons


def _prepay_share(grade: str | None, policy: LimitPolicy) -> Decimal:
    """Percent of an order to be prepaid: 100 for grade D (cash only), else the row's percent."""
    if grade is None:
        return Decimal(0)
    return HUNDRED if grade == "D" else policy.grades[grade].prepayment_percent


def check(order_amount: Money, exposure: Exposure, limit: Money, facts: CheckFacts,
          policy: LimitPolicy, as_of: date) -> Decision:  # fmt: skip
    """Decide an order: approved, or held with every reason that applies, in a fixed order.

    Over limit when exposure + the order's credit part > limit (exactly reaching the limit is
    approved); the same for the group. The credit part is the whole order, or, for an order
    marked prepaid, what is left after the grade's prepayment (nothing for grade D). Overdue
    when the oldest overdue item is more than N days past due (N from the grade's row).
    Prepayment is required for grade D or a row with a prepayment percent above zero, unless
    the order is marked prepaid. A temporary limit is valid through its expiry day. An unrated
    customer uses the policy's ``unrated_as`` row, or is held as ``unrated``.
    """
    _check_inputs(order_amount, exposure, limit, facts, policy.currency)
    refused = facts.grade is None and policy.unrated_as is None
    grade = None if refused else resolve_grade(policy, facts.grade)
    share = _prepay_share(grade, policy)
    on_credit = (
        order_amount - order_amount.times(share / HUNDRED) if facts.prepaid else order_amount
    )
    spent = exposure.total
    available = headroom(limit, spent)
    reasons = _over("over_limit", ("customer", "客户"), on_credit, spent, limit)
    if facts.group_exposure is not None and facts.group_limit is not None:
        group_spent = facts.group_exposure.total
        available = min(available, headroom(facts.group_limit, group_spent))
        reasons += _over(
            "group_over_limit", ("group", "集团"), on_credit, group_spent, facts.group_limit
        )
    if grade is None:
        unrated = Reason("unrated", "the customer is not rated", "该客户尚未评级")
        reasons += [*_status(facts, as_of), unrated]
    else:
        reasons += _overdue(facts, policy.grades[grade].max_days_overdue, as_of)
        reasons += _prepayment(order_amount, grade, share, facts)
        reasons += _status(facts, as_of)
    return Decision("held" if reasons else "approved", tuple(reasons), available)
