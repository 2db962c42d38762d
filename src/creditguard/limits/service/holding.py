"""What limit holds for a customer, and its history of changes from the audit log."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.limits import repository as repo
from creditguard.limits.schemas import CustomerLimitOut, LimitChangeOut, LimitOut


def customer_limit(session: Session, actor: Actor, customer_ref: str) -> CustomerLimitOut:
    """The customer's own limit and its group limit (on it, when it is a parent), and every
    change of them, newest first, as the audit log recorded them."""
    customer = customers.get_by_code(session, actor, customer_ref, field="customer_ref")
    limits = [
        LimitOut(
            scope=row.scope,
            amount=Money(row.amount_minor, row.currency).decimal_string(),
            currency=row.currency,
            term_days=row.term_days,
            expires_on=row.expires_on,
            source=row.source,
            request_id=row.request_id,
            revision=row.revision,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
        for row in repo.limits_of(session, actor.company_id, customer.id)
    ]
    changes = []
    for entry in audit.of_subject(
        session, actor.company_id, f"customer:{customer.id}", "limit.set"
    ):
        body = json.loads(entry.body)
        changes.append(
            LimitChangeOut(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                scope=body["scope"],
                before=body["before"],
                after=body["after"],
                source=body["source"],
                request_id=body.get("request_id"),
            )
        )
    return CustomerLimitOut(
        customer_id=customer.id, customer_ref=customer.code, limits=limits, changes=changes
    )
