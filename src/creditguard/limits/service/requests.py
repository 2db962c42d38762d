"""Limit requests (额度申请): ask, route by amount, approve or reject by authority, withdraw.

A request goes to the lowest role of the approval ladder whose authority covers the amount; a
higher rung may approve it too, an administrator any. The requester never decides their own
request: refused here, and by the ``requester_not_decider`` constraint in the database.
Approving applies the limit in the same transaction (``credit_limits``: revision + 1), and
every step is written to the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.clock import Clock, FixedClock, business_today
from creditguard.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, invalid
from creditguard.core.limits import ApprovalLadder
from creditguard.core.money import Money
from creditguard.core.permissions import Actor, require
from creditguard.credit.service import policy as policies
from creditguard.customers import service as customers
from creditguard.identity import service as identity
from creditguard.limits import repository as repo
from creditguard.limits.schemas import (
    DecisionIn,
    LimitRequestIn,
    LimitRequestOut,
    LineOut,
)
from creditguard.models import CreditLimit, Customer, LimitRequest

ADMIN = "admin"


def request_out(row: LimitRequest, code: str) -> LimitRequestOut:
    previous = None if row.previous_minor is None else Money(row.previous_minor, row.currency)
    lines = json.loads(row.explanation) if row.explanation else []
    return LimitRequestOut(
        id=row.id,
        customer_id=row.customer_id,
        customer_ref=code,
        scope=row.scope,
        amount=Money(row.amount_minor, row.currency).decimal_string(),
        currency=row.currency,
        previous_amount=None if previous is None else previous.decimal_string(),
        term_days=row.term_days,
        expires_on=row.expires_on,
        reason=row.reason,
        explanation=[LineOut.model_validate(line) for line in lines],
        origin=row.origin,
        required_role=row.required_role,
        status=row.status,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
    )


def _reason(en: str, zh: str) -> dict[str, str]:
    return {"reason": en, "reason_zh": zh}


def _target(session: Session, actor: Actor, data: LimitRequestIn) -> Customer:
    """The customer whose row holds the limit: the customer, or for a group its parent."""
    customer = customers.get_by_code(session, actor, data.customer_ref, field="customer_ref")
    if data.scope == "group" and customer.parent_id is not None:
        parent = customers.get(session, actor, customer.parent_id)
        raise invalid(
            "customer_ref",
            data.customer_ref,
            "invalid",
            **_reason(
                f"a group limit sits on the group's parent: ask it on {parent.code}",
                f"集团额度设在集团母公司上：请对 {parent.code} 申请",
            ),
        )
    return customer


def _checked_amount(data: LimitRequestIn, base: str, today: date) -> Money:
    """The amount in the base currency; every problem of amount, currency and expiry named."""
    problems: list[Problem] = []
    if data.currency != base:
        problems.append(
            Problem(
                "currency",
                data.currency,
                "invalid",
                _reason(
                    f"limits are set in the company's base currency {base}",
                    f"额度须以公司本位币 {base} 设定",
                ),
            )
        )
    amount = Money.parse(data.amount, base, field="amount")
    if amount.minor < 0:
        problems.append(Problem("amount", data.amount, "negative"))
    if data.expires_on is not None and data.expires_on < today:
        problems.append(
            Problem(
                "expires_on",
                data.expires_on.isoformat(),
                "invalid",
                _reason(
                    f"a temporary limit cannot expire in the past (today is {today})",
                    f"临时额度的到期日不能早于今天（{today}）",
                ),
            )
        )
    if problems:
        raise InvalidInput(problems)
    return amount


def today(session: Session, actor: Actor, clock: Clock) -> date:
    return business_today(clock, identity.require_company(session, actor.company_id).timezone)


def create(session: Session, actor: Actor, data: LimitRequestIn, clock: Clock) -> LimitRequestOut:
    """Record a request, routed by its amount to the role that may approve it."""
    require(actor, "limits:request")
    base = identity.require_company(session, actor.company_id).base_currency
    amount = _checked_amount(data, base, today(session, actor, clock))
    customer = _target(session, actor, data)
    ladder = policies.current(session, actor.company_id).ladder
    held = repo.limit_of(session, actor.company_id, customer.id, data.scope)
    row = LimitRequest(
        company_id=actor.company_id,
        customer_id=customer.id,
        scope=data.scope,
        currency=base,
        amount_minor=amount.minor,
        previous_minor=None if held is None else held.amount_minor,
        term_days=data.term_days,
        expires_on=data.expires_on,
        reason=data.reason,
        origin="manual",
        required_role=ladder.approver_for(amount),
        status="pending",
        requested_at=clock.now(),
        requested_by=actor.principal,
    )
    session.add(row)
    session.flush()
    body = {"customer_id": customer.id, "scope": row.scope, "amount": amount.decimal_string(),
            "currency": base, "required_role": row.required_role, "reason": row.reason}  # fmt: skip
    event = audit.Event("limit_request.create", f"limit_request:{row.id}", body)
    audit.record(session, actor.company_id, actor.principal, event, row.requested_at)
    return request_out(row, customer.code)


def roles_under(ladder: ApprovalLadder, role: str) -> list[str] | None:
    """The ladder's roles whose requests ``role`` may decide (``None``: every one, admin)."""
    if role == ADMIN:
        return None
    roles = [rung.role for rung in ladder.rungs]
    return roles[: roles.index(role) + 1] if role in roles else []


def list_requests(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    for_me: bool = False,
    limit: int = 100,
) -> list[LimitRequestOut]:
    """Requests newest first; ``for_me``: only those the actor's role may decide."""
    roles = None
    if for_me:
        roles = roles_under(policies.current(session, actor.company_id).ladder, actor.role)
    rows = repo.list_requests(session, actor.company_id, status=status, roles=roles, limit=limit)
    codes = repo.customer_codes(session, actor.company_id, [r.customer_id for r in rows])
    return [request_out(r, codes[r.customer_id]) for r in rows]


def _found(session: Session, actor: Actor, request_id: int) -> LimitRequest:
    row = repo.get_request(session, actor.company_id, request_id)
    if row is None:
        kind = {"kind": "limit request", "kind_zh": "额度申请"}
        raise NotFound([Problem("id", request_id, "not_found", kind)])
    return row


def get(session: Session, actor: Actor, request_id: int) -> LimitRequestOut:
    row = _found(session, actor, request_id)
    return request_out(row, code_of(session, actor, row.customer_id))


def code_of(session: Session, actor: Actor, customer_id: int) -> str:
    return repo.customer_codes(session, actor.company_id, [customer_id])[customer_id]


def _pending(row: LimitRequest) -> None:
    if row.status != "pending":
        raise Conflict.of(
            "status",
            row.status,
            "state",
            **_reason(
                f"limit request {row.id} is already {row.status}: only a pending one can change",
                f"额度申请 {row.id} 已是 {row.status} 状态：只有待审批的申请可以变更",
            ),
        )


def _authority(session: Session, actor: Actor, row: LimitRequest) -> None:
    """Refuse a decider without authority for the amount, or who asked for it."""
    ladder = policies.current(session, actor.company_id).ladder
    amount = Money(row.amount_minor, row.currency)
    problems = ladder.may_approve(row.requested_by, actor.principal, actor.role, amount)
    if actor.role == ADMIN:  # an administrator may approve any amount, never their own request
        problems = [p for p in problems if p.field != "role"]
    if problems:
        raise Forbidden(problems)


@dataclass(frozen=True, slots=True)
class Decision:
    actor: Actor
    status: str
    note: str | None
    at: datetime


def _decide(session: Session, row: LimitRequest, decision: Decision) -> None:
    """Move the request on, if still pending (of two deciders at once, one wins)."""
    decided_by = None if decision.status == "withdrawn" else decision.actor.principal
    values = {"status": decision.status, "decided_at": decision.at,
              "decided_by": decided_by, "decision_note": decision.note}  # fmt: skip
    if not repo.decide(session, decision.actor.company_id, row.id, values):
        session.refresh(row)
        _pending(row)  # decided meanwhile by someone else: say how it stands
    session.refresh(row)


def apply_limit(session: Session, row: LimitRequest, at: datetime) -> CreditLimit:
    """Set the limit an approved request asks for, audited with before and after."""
    company, by = row.company_id, row.decided_by or row.requested_by
    held = repo.limit_of(session, company, row.customer_id, row.scope, lock=True)
    before = None if held is None else Money(held.amount_minor, held.currency).decimal_string()
    if held is None:
        held = CreditLimit(company_id=company, customer_id=row.customer_id, scope=row.scope,
                           revision=0)  # fmt: skip
        session.add(held)
    held.currency, held.amount_minor = row.currency, row.amount_minor
    held.term_days, held.expires_on = row.term_days, row.expires_on
    held.source, held.request_id = "request", row.id
    held.revision += 1
    zone = identity.require_company(session, company).timezone
    held.changed_on = business_today(FixedClock(at), zone)  # the day it was decided
    held.updated_at, held.updated_by = at, by
    session.flush()
    body: dict[str, Any] = {
        "scope": row.scope, "currency": row.currency, "before": before,
        "after": Money(row.amount_minor, row.currency).decimal_string(),
        "term_days": row.term_days, "expires_on": row.expires_on, "source": "request",
        "request_id": row.id, "revision": held.revision,
    }  # fmt: skip
    event = audit.Event("limit.set", f"customer:{row.customer_id}", body)
    audit.record(session, company, by, event, at)
    return held


def _decided(
    session: Session, actor: Actor, row: LimitRequest, action: str, at: datetime
) -> LimitRequestOut:
    body = {"status": row.status, "note": row.decision_note, "customer_id": row.customer_id,
            "amount": Money(row.amount_minor, row.currency).decimal_string()}  # fmt: skip
    event = audit.Event(f"limit_request.{action}", f"limit_request:{row.id}", body)
    audit.record(session, actor.company_id, actor.principal, event, at)
    return request_out(row, code_of(session, actor, row.customer_id))


def approve(
    session: Session, actor: Actor, request_id: int, data: DecisionIn, clock: Clock
) -> LimitRequestOut:
    """Approve and apply at once: the limit changes in the same transaction."""
    require(actor, "limits:approve")
    row = _found(session, actor, request_id)
    _pending(row)
    _authority(session, actor, row)
    at = clock.now()
    _decide(session, row, Decision(actor, "applied", data.note, at))
    out = _decided(session, actor, row, "approve", at)
    apply_limit(session, row, at)
    return out


def reject(
    session: Session, actor: Actor, request_id: int, data: DecisionIn, clock: Clock
) -> LimitRequestOut:
    """Reject, with the same authority an approval needs."""
    require(actor, "limits:approve")
    row = _found(session, actor, request_id)
    _pending(row)
    _authority(session, actor, row)
    at = clock.now()
    _decide(session, row, Decision(actor, "rejected", data.note, at))
    return _decided(session, actor, row, "reject", at)


def withdraw(
    session: Session, actor: Actor, request_id: int, data: DecisionIn, clock: Clock
) -> LimitRequestOut:
    """The requester takes the request back while it is pending."""
    row = _found(session, actor, request_id)
    if row.requested_by != actor.principal:
        raise Forbidden.of(
            "requested_by",
            row.requested_by,
            "invalid",
            **_reason("only the requester may withdraw a request", "只有申请人可以撤回申请"),
        )
    _pending(row)
    at = clock.now()
    _decide(session, row, Decision(actor, "withdrawn", data.note, at))
    return _decided(session, actor, row, "withdraw", at)
