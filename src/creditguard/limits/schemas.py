"""Input and output shapes of limit requests, the limit that holds, the review and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.identity.schemas import Strict, example
from creditguard.ledger.schemas import Amount, Currency

Scope = Literal["customer", "group"]
Status = Literal["pending", "approved", "rejected", "withdrawn", "applied"]

AT = "2026-11-22T01:30:00Z"
LINE_OUT: JsonDict = {
    "code": "rising_volume",
    "zh": "近 6 个月销售额较前 6 个月增长 35.00%（阈值 20%）",
    "en": "sales up 35.00% in the last 6 months vs the 6 before (threshold 20%)",
}
REQUEST_IN: JsonDict = {
    "customer_ref": "C-10023",
    "scope": "customer",
    "amount": "1500000.00",
    "currency": "CNY",
    "term_days": 60,
    "expires_on": "2027-03-31",
    "reason": "旺季备货 / seasonal stock-up before the spring festival",
}
REQUEST_OUT: JsonDict = {
    "id": 7,
    "customer_id": 17,
    "customer_ref": "C-10023",
    "scope": "customer",
    "amount": "1500000.00",
    "currency": "CNY",
    "previous_amount": "1000000.00",
    "term_days": 60,
    "expires_on": "2027-03-31",
    "reason": REQUEST_IN["reason"],
    "explanation": [],
    "origin": "manual",
    "required_role": "approver",
    "status": "applied",
    "requested_at": AT,
    "requested_by": "user:12",
    "decided_at": "2026-11-22T03:10:00Z",
    "decided_by": "user:3",
    "decision_note": "同意 / approved for the season",
}
DECISION_IN: JsonDict = {"note": "同意 / approved for the season"}
LIMIT_OUT: JsonDict = {
    "scope": "customer",
    "amount": "1500000.00",
    "currency": "CNY",
    "term_days": 60,
    "expires_on": "2027-03-31",
    "source": "request",
    "request_id": 7,
    "revision": 2,
    "updated_at": "2026-11-22T03:10:00Z",
    "updated_by": "user:3",
}
CHANGE_OUT: JsonDict = {
    "seq": 12,
    "at": "2026-11-22T03:10:00Z",
    "actor": "user:3",
    "scope": "customer",
    "before": "1000000.00",
    "after": "1500000.00",
    "source": "request",
    "request_id": 7,
}
CUSTOMER_LIMIT_OUT: JsonDict = {
    "customer_id": 17,
    "customer_ref": "C-10023",
    "limits": [LIMIT_OUT],
    "changes": [CHANGE_OUT],
}
REVIEW_OUT: JsonDict = {
    "as_of": "2026-11-22",
    "dry_run": False,
    "customers": 1200,
    "reviewed": 950,
    "skipped_pending": 3,
    "skipped_moved": 0,
    "increased": 12,
    "cut": 7,
    "sent_for_approval": 4,
}
ENTRY_OUT: JsonDict = {
    "seq": 12,
    "at": "2026-11-22T03:10:00Z",
    "actor": "user:3",
    "action": "limit.set",
    "subject": "customer:17",
    "body": {"before": "1000000.00", "after": "1500000.00", "source": "request"},
    "hash": "5d1c" * 16,
}
BREAK_OUT: JsonDict = {
    "seq": 3,
    "code": "hash",
    "expected": "9a0e" * 16,
    "found": "77b2" * 16,
    "message": {
        "en": "entry 3: its content no longer matches its hash",
        "zh-CN": "第 3 条：内容与其哈希不符",
    },
}
VERIFY_OUT: JsonDict = {
    "company_id": 1,
    "entries": 12,
    "last_hash": "5d1c" * 16,
    "intact": False,
    "breaks": [BREAK_OUT],
}


class LimitRequestIn(Strict):
    """A request to set a customer's (or its group's) credit limit (额度申请)."""

    model_config = example(REQUEST_IN)

    customer_ref: str = Field(
        min_length=1, max_length=64, description="Customer code; for a group, its parent's."
    )
    scope: Scope = Field(
        "customer",
        description="customer: the customer's own limit; group: the limit shared by the group, "
        "held on the parent customer.",
    )
    amount: Amount = Field(description="The limit asked for, a decimal string (not negative).")
    currency: Currency = Field(description="Must be the company's base currency.")
    term_days: int | None = Field(
        None, ge=0, le=3650, description="Payment term in days that goes with the limit."
    )
    expires_on: date | None = Field(
        None, description="A temporary limit holds through this day (today or later)."
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why (required).")


class DecisionIn(Strict):
    """An approval or a rejection, with an optional note."""

    model_config = example(DECISION_IN)

    note: str | None = Field(None, max_length=2000, description="The decider's note.")


class LineOut(BaseModel):
    """One line of an explanation: a stable code and the text in Chinese and English."""

    model_config = example(LINE_OUT)

    code: str = Field(description="Stable code of the rule.")
    zh: str = Field(description="The line in Chinese.")
    en: str = Field(description="The line in English.")


class LimitRequestOut(BaseModel):
    """A limit request and where it stands."""

    model_config = example(REQUEST_OUT)

    id: int = Field(description="Request id.")
    customer_id: int = Field(description="Customer id (the parent for a group limit).")
    customer_ref: str = Field(description="Customer code.")
    scope: Scope = Field(description="customer or group.")
    amount: str = Field(description="The limit asked for.")
    currency: str = Field(description="The base currency.")
    previous_amount: str | None = Field(description="The limit that held when asked.")
    term_days: int | None = Field(description="Payment term in days, if asked.")
    expires_on: date | None = Field(description="Last day of a temporary limit.")
    reason: str = Field(description="Why.")
    explanation: list[LineOut] = Field(description="The review's lines (origin review).")
    origin: Literal["manual", "review"] = Field(description="Who asked: a person or the review.")
    required_role: str = Field(description="The lowest role of the ladder that may approve it.")
    status: Status = Field(description="pending, applied, rejected or withdrawn.")
    requested_at: datetime = Field(description="When it was asked (UTC).")
    requested_by: str = Field(description="Who asked (user:12, system:review).")
    decided_at: datetime | None = Field(description="When it was decided or withdrawn.")
    decided_by: str | None = Field(description="Who decided (never the requester).")
    decision_note: str | None = Field(description="The decider's note.")


class LimitOut(BaseModel):
    """A limit that holds."""

    model_config = example(LIMIT_OUT)

    scope: Scope = Field(description="customer or group.")
    amount: str = Field(description="The limit.")
    currency: str = Field(description="The base currency.")
    term_days: int | None = Field(description="Payment term in days.")
    expires_on: date | None = Field(description="Last day of a temporary limit.")
    source: str = Field(description="request, review, manual or policy.")
    request_id: int | None = Field(description="The approved request that set it.")
    revision: int = Field(description="Grows by one on each change.")
    updated_at: datetime = Field(description="Last change (UTC).")
    updated_by: str = Field(description="Who (or which job) changed it last.")


class LimitChangeOut(BaseModel):
    """One change of a limit, read from the audit log."""

    model_config = example(CHANGE_OUT)

    seq: int = Field(description="Audit log sequence number.")
    at: datetime = Field(description="When (UTC).")
    actor: str = Field(description="Who approved it, or system:review.")
    scope: Scope = Field(description="customer or group.")
    before: str | None = Field(description="The limit before (null: none).")
    after: str = Field(description="The limit after.")
    source: str = Field(description="request or review.")
    request_id: int | None = Field(description="The request, if any.")


class CustomerLimitOut(BaseModel):
    """What holds for a customer, and every change before."""

    model_config = example(CUSTOMER_LIMIT_OUT)

    customer_id: int = Field(description="Customer id.")
    customer_ref: str = Field(description="Customer code.")
    limits: list[LimitOut] = Field(description="The customer's limit and its group limit.")
    changes: list[LimitChangeOut] = Field(description="Changes, newest first.")


class ReviewOut(BaseModel):
    """What one nightly limit review did (or would do, dry run)."""

    model_config = example(REVIEW_OUT)

    as_of: date = Field(description="The business date reviewed.")
    dry_run: bool = Field(description="True: nothing was written.")
    customers: int = Field(description="Customers of the company.")
    reviewed: int = Field(
        description="Limits reviewed: customer limits and group limits (one per group)."
    )
    skipped_pending: int = Field(
        description="Limits left alone: a review request of theirs is still pending."
    )
    skipped_moved: int = Field(
        description="Changes not applied: the limit moved between the review's read and write."
    )
    increased: int = Field(description="Increases applied at once (inside policy).")
    cut: int = Field(description="Cuts applied at once.")
    sent_for_approval: int = Field(description="Increases sent for approval.")


class AuditEntryOut(BaseModel):
    """One entry of the audit log."""

    model_config = example(ENTRY_OUT)

    seq: int = Field(description="Sequence number in the company's chain.")
    at: datetime = Field(description="When (UTC).")
    actor: str = Field(description="Who.")
    action: str = Field(description="What, e.g. limit.set, limit_request.approve.")
    subject: str = Field(description="To what, e.g. customer:17, limit_request:7.")
    body: dict[str, Any] = Field(description="The facts recorded.")
    hash: str = Field(description="The entry's SHA-256, covering the one before.")


class BreakOut(BaseModel):
    """Where the chain does not hold."""

    model_config = example(BREAK_OUT)

    seq: int = Field(description="The entry.")
    code: str = Field(description="gap, prev_hash, hash, count or anchor.")
    expected: str = Field(description="What should be there.")
    found: str = Field(description="What is there.")
    message: dict[str, str] = Field(description="The break explained, en and zh-CN.")


class VerificationOut(BaseModel):
    """The audit chain checked from its first entry."""

    model_config = example(VERIFY_OUT)

    company_id: int = Field(description="Company id.")
    entries: int = Field(description="Entries checked.")
    last_hash: str = Field(description="Hash of the last entry: keep it as an anchor.")
    intact: bool = Field(description="True when no break was found.")
    breaks: list[BreakOut] = Field(description="Every break found, in order.")
