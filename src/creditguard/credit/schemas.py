"""Input and output shapes of the limit policy, customer credit, credit checks and webhooks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.identity.schemas import Strict, example

Grade = Literal["A", "B", "C", "D"]
Event = Literal["credit_check.released", "credit_check.rejected"]
EVENTS: tuple[Event, ...] = ("credit_check.released", "credit_check.rejected")

# Money travels as decimal strings in the currency's units ("1234.50"), never as JSON numbers.
AMOUNT = r"^-?\d{1,16}(\.\d{1,4})?$"
Amount = Annotated[str, Field(pattern=AMOUNT)]
AT = "2026-11-22T01:30:00Z"
BY = "user:12"


def _row(fixed: str, revenue: str | None, equity: str | None, *terms: int | str) -> JsonDict:
    term, prepay, review, overdue = terms
    return {
        "limit": {"fixed_max": fixed, "revenue_percent": revenue, "equity_percent": equity},
        "term_days": term,
        "prepayment_percent": prepay,
        "review_months": review,
        "max_days_overdue": overdue,
    }


POLICY_IN: JsonDict = {
    "grades": {
        "A": _row("5000000.00", "10", "50", 90, "0", 12, 30),
        "B": _row("2000000.00", "5", "30", 60, "0", 6, 15),
        "C": _row("500000.00", "2", "10", 30, "30", 3, 7),
        "D": _row("0.00", None, None, 0, "100", 1, 0),
    },
    "step": "10000.00",
    "unrated_as": "D",
    "ladder": [
        {"role": "credit_manager", "up_to": "1000000.00"},
        {"role": "approver", "up_to": None},
    ],
    "note": "C 级预付 30% / C: 30% prepayment",
}
ROW_IN: JsonDict = _row("500000.00", "2", "10", 30, "30", 3, 7)


class LimitRuleIn(Strict):
    model_config = example(
        {"fixed_max": "500000.00", "revenue_percent": "2", "equity_percent": "10"}
    )

    fixed_max: Amount = Field(description="Fixed maximum (固定上限), base currency.")
    revenue_percent: Decimal | None = Field(
        default=None,
        description="Share of annual revenue (营业收入), percent 0-100; null: no such rule.",
        examples=["2"],
    )
    equity_percent: Decimal | None = Field(
        default=None,
        description="Share of equity (净资产), percent 0-100; null: no such rule.",
        examples=["10"],
    )


class GradeTermsIn(Strict):
    model_config = example(ROW_IN)

    limit: LimitRuleIn = Field(description="The limit rule (额度规则).")
    term_days: int = Field(description="Payment term (账期), days.")
    prepayment_percent: Decimal = Field(description="Required prepayment (预付比例), percent.")
    review_months: int = Field(description="Review cycle (复评周期), months, 1-60.")
    max_days_overdue: int = Field(
        description="N: orders are held once the oldest overdue item is more than N days "
        "past due (day N approved, day N + 1 held)."
    )


class RungIn(Strict):
    model_config = example({"role": "credit_manager", "up_to": "1000000.00"})

    role: str = Field(description="A role (credit_manager, approver, admin, ...).")
    up_to: Amount | None = Field(
        default=None,
        description="Largest amount this role approves; null: no bound (the last rung only).",
        examples=["1000000.00"],
    )


class LimitPolicyIn(Strict):
    """The limit policy matrix (授信政策矩阵) by grade and the approval ladder (审批权限)."""

    model_config = example(POLICY_IN)

    grades: dict[str, GradeTermsIn] = Field(description="One row per grade A, B, C, D.")
    step: Amount = Field(description="Rounding step of suggested limits (取整步长).")
    unrated_as: Grade | None = Field(
        default="D", description="The row used for unrated customers; null refuses them."
    )
    ladder: list[RungIn] = Field(description="Approval authority, lowest rung first.")
    note: str | None = Field(default=None, max_length=500, description="Why this version.")


POLICY_OUT: JsonDict = {
    **POLICY_IN,
    "currency": "CNY",
    "version": 2,
    "default": False,
    "created_at": AT,
    "created_by": BY,
}


class LimitPolicyOut(LimitPolicyIn):
    model_config = example(POLICY_OUT)

    currency: str = Field(description="The company's base currency: every amount is in it.")
    version: int = Field(description="0: the defaults, nothing stored yet.")
    default: bool = Field(description="True while no policy is stored (the defaults hold).")
    created_at: datetime | None = Field(description="When this version was saved.")
    created_by: str | None = Field(description="Who saved it.")


class LimitPolicyVersionOut(BaseModel):
    model_config = example({"version": 2, "note": "C 预付 50%", "created_at": AT, "created_by": BY})

    version: int = Field(description="Version number, from 1.")
    note: str | None = Field(description="Why this version.", examples=["C 预付 50%"])
    created_at: datetime = Field(description="When it was saved.")
    created_by: str = Field(description="Who saved it.")


class CheckReasonOut(BaseModel):
    model_config = example(
        {
            "code": "overdue",
            "message": "the oldest overdue item (due "
            "2026-10-01) is 52 days past due; at most 30 are tolerated",
        }
    )

    code: str = Field(
        description="over_limit, group_over_limit, overdue, prepayment_required, blocked, "
        "limit_expired or unrated."
    )
    message: str = Field(description="For people, in the caller's language (Accept-Language).")


CHECK_IN: JsonDict = {
    "customer_ref": "C-1001",
    "amount": "125000.00",
    "currency": "CNY",
    "order_ref": "SO-2026-0042",
    "reserve": True,
    "prepaid": False,
}


class CheckIn(Strict):
    """An order credit check (订单信用检查)."""

    model_config = example(CHECK_IN)

    customer_ref: str = Field(min_length=1, max_length=64, description="The customer's code.")
    amount: Amount = Field(description="The order's amount, in its currency.")
    currency: str = Field(min_length=3, max_length=3, description="The order's currency.")
    order_ref: str = Field(
        min_length=1, max_length=64, description="The order reference: checks are idempotent by it."
    )
    reserve: bool = Field(
        default=False, description="Approved: reserve the amount against the limit."
    )
    prepaid: bool = Field(
        default=False, description="The order is prepaid: only its credit part counts."
    )


CHECK_OUT: JsonDict = {
    "decision": "held",
    "reasons": [
        {
            "code": "over_limit",
            "message": "customer limit 500000.00 CNY exceeded by 25000.00 CNY: exposure "
            "400000.00 CNY + order 125000.00 CNY",
        }
    ],
    "available": "100000.00",
    "currency": "CNY",
    "check_id": 17,
}


class CheckOut(BaseModel):
    model_config = example(CHECK_OUT)

    decision: Literal["approved", "held"] = Field(description="approved, or held for a decision.")
    reasons: list[CheckReasonOut] = Field(description="Every reason that applies, fixed order.")
    available: Amount = Field(description="Headroom before this order (customer's or group's).")
    currency: str = Field(description="The base currency of `available`.")
    check_id: int = Field(description="The check's id (release or reject a held one by it).")


CANCEL_OUT: JsonDict = {
    "order_ref": "SO-2026-0042",
    "released": "125000.00",
    "currency": "CNY",
    "held_check_cancelled": 17,
}


class CancelOut(BaseModel):
    model_config = example(CANCEL_OUT)

    order_ref: str = Field(description="The cancelled order.")
    released: Amount = Field(description="The reservation released (0 if none was open).")
    currency: str = Field(description="Base currency.")
    held_check_cancelled: int | None = Field(
        description="Id of the held check that no longer waits, if there was one.", examples=[17]
    )


HELD_OUT: JsonDict = {
    "id": 17,
    "customer_ref": "C-1001",
    "order_ref": "SO-2026-0042",
    "amount": "125000.00",
    "currency": "CNY",
    "base_amount": "125000.00",
    "decision": "held",
    "status": "released",
    "reserve": True,
    "reasons": CHECK_OUT["reasons"],
    "available": "100000.00",
    "checked_on": "2026-11-22",
    "requested_at": AT,
    "requested_by": "user:7",
    "decided_at": AT,
    "decided_by": BY,
    "decision_note": "付款计划已确认 / payment plan agreed",
}


class HeldOut(BaseModel):
    model_config = example(HELD_OUT)

    id: int = Field(description="Check id.")
    customer_ref: str = Field(description="Customer code.")
    order_ref: str | None = Field(description="Order reference.", examples=["SO-2026-0042"])
    amount: Amount = Field(description="Order amount in its currency.")
    currency: str = Field(description="Order currency.")
    base_amount: Amount = Field(description="Order amount in the base currency on the day.")
    decision: Literal["approved", "held"] = Field(description="What the check decided.")
    status: str = Field(description="approved, held, released, rejected or cancelled.")
    reserve: bool = Field(description="A reserving check (released: the amount is reserved).")
    reasons: list[CheckReasonOut] = Field(description="Why it was held.")
    available: Amount = Field(description="Headroom before the order, base currency.")
    checked_on: date = Field(description="Business date of the check.")
    requested_at: datetime = Field(description="When it was checked.")
    requested_by: str = Field(description="Who asked.")
    decided_at: datetime | None = Field(description="When it was released or rejected.")
    decided_by: str | None = Field(description="Who decided (never the requester).")
    decision_note: str | None = Field(description="The decider's note.")


class DecideIn(Strict):
    model_config = example({"note": "付款计划已确认 / payment plan agreed"})

    note: str = Field(min_length=1, max_length=2000, description="Why (mandatory).")


EXPOSURE_OUT: JsonDict = {
    "open_receivables": "30000.00",
    "invoiced_not_due": "250000.00",
    "shipped_not_invoiced": "40000.00",
    "confirmed_not_shipped": "60000.00",
    "reserved": "20000.00",
    "insured": "0.00",
    "total": "400000.00",
}


class ExposureOut(BaseModel):
    model_config = example(EXPOSURE_OUT)

    open_receivables: Amount = Field(description="Open and past due (已逾期应收).")
    invoiced_not_due: Amount = Field(description="Invoiced, not yet due (已开票未到期).")
    shipped_not_invoiced: Amount = Field(description="Shipped, not invoiced (已发货未开票).")
    confirmed_not_shipped: Amount = Field(description="Confirmed, not shipped (已确认未发货).")
    reserved: Amount = Field(description="Reserved by approved checks (已预占额度).")
    insured: Amount = Field(description="Insured part (已投保部分): 0 until insurance exists.")
    total: Amount = Field(description="The five stages added up.")


LIMIT_OUT: JsonDict = {
    "scope": "customer",
    "customer_ref": "C-1001",
    "amount": "500000.00",
    "currency": "CNY",
    "term_days": 30,
    "expires_on": "2027-03-31",
    "source": "request",
    "revision": 3,
}


class CreditLimitOut(BaseModel):
    model_config = example(LIMIT_OUT)

    scope: Literal["customer", "group"] = Field(description="customer, or group (shared).")
    customer_ref: str = Field(description="The customer (for a group: the parent).")
    amount: Amount = Field(description="The limit.")
    currency: str = Field(description="Its currency.")
    term_days: int | None = Field(description="Payment term, days.", examples=[30])
    expires_on: date | None = Field(
        description="A temporary limit is valid through this day.", examples=["2027-03-31"]
    )
    source: str = Field(description="manual, request, review or policy.")
    revision: int = Field(description="Grows with every change.")


class SuggestionLineOut(BaseModel):
    model_config = example({"code": "bound_by_fixed_max", "message": "the smallest applies"})

    code: str = Field(description="Stable code of the line.")
    message: str = Field(description="The line in the caller's language.")


SUGGESTION_OUT: JsonDict = {
    "grade": "C",
    "limit": "500000.00",
    "term_days": 30,
    "prepayment_percent": "30",
    "review_months": 3,
    "max_days_overdue": 7,
    "explanation": [{"code": "grade", "message": "policy row of grade C"}],
}


class SuggestionOut(BaseModel):
    model_config = example(SUGGESTION_OUT)

    grade: str = Field(description="The policy row used.")
    limit: Amount = Field(description="Suggested limit (建议额度), rounded down to the step.")
    term_days: int = Field(description="Payment term, days.")
    prepayment_percent: str = Field(description="Required prepayment, percent.")
    review_months: int = Field(description="Review cycle, months.")
    max_days_overdue: int = Field(description="N days overdue tolerated.")
    explanation: list[SuggestionLineOut] = Field(description="Which rule bound, and why.")


CREDIT_OUT: JsonDict = {
    "customer_ref": "C-1001",
    "as_of": "2026-11-22",
    "currency": "CNY",
    "grade": "C",
    "policy_version": 2,
    "limit": LIMIT_OUT,
    "group_limit": {**LIMIT_OUT, "scope": "group", "customer_ref": "G-1"},
    "suggestion": SUGGESTION_OUT,
    "exposure": EXPOSURE_OUT,
    "group_exposure": EXPOSURE_OUT,
    "available": "100000.00",
    "insurance": "no credit insurance yet: insured part is 0",
}


class CustomerCreditOut(BaseModel):
    model_config = example(CREDIT_OUT)

    customer_ref: str = Field(description="Customer code.")
    as_of: date = Field(description="Business date of the figures.")
    currency: str = Field(description="Base currency of every amount.")
    grade: str | None = Field(description="The grade that holds; null: unrated.", examples=["C"])
    policy_version: int = Field(description="The limit policy version used (0: defaults).")
    limit: CreditLimitOut | None = Field(description="The customer's limit; null: none (0).")
    group_limit: CreditLimitOut | None = Field(description="The group's shared limit, if any.")
    suggestion: SuggestionOut | None = Field(
        description="Suggested limit and terms; null when the policy refuses unrated customers."
    )
    exposure: ExposureOut = Field(description="The customer's exposure by stage.")
    group_exposure: ExposureOut | None = Field(
        description="The group's exposure (root and members), when a group limit exists."
    )
    available: Amount = Field(description="What is available: the smaller headroom.")
    insurance: str = Field(description="About the insured part: 0 until insurance exists.")


WEBHOOK_IN: JsonDict = {
    "url": "https://erp.example.com/hooks/credit",
    "secret": "whsec_change-me-32-characters-long",
    "events": ["credit_check.released", "credit_check.rejected"],
}


class WebhookIn(Strict):
    model_config = example(WEBHOOK_IN)

    url: str = Field(
        min_length=8, max_length=500, pattern=r"^https?://", description="Where to POST."
    )
    secret: str = Field(
        min_length=16, max_length=128, description="Signs each delivery (HMAC-SHA256); never shown."
    )
    events: list[Event] = Field(min_length=1, description="The events to deliver.")


WEBHOOK_OUT: JsonDict = {
    "id": 1,
    "url": "https://erp.example.com/hooks/credit",
    "events": ["credit_check.released", "credit_check.rejected"],
    "active": True,
    "created_at": AT,
    "created_by": BY,
}


class WebhookOut(BaseModel):
    model_config = example(WEBHOOK_OUT)

    id: int = Field(description="Webhook id (the X-Creditguard-Delivery is per notification).")
    url: str = Field(description="Where deliveries go.")
    events: list[str] = Field(description="Subscribed events.")
    active: bool = Field(description="Inactive webhooks get nothing.")
    created_at: datetime = Field(description="When it was registered.")
    created_by: str = Field(description="Who registered it.")
