"""Builders for the credit tests: limits (helper B's requests write them in the product) and
grades written straight to their tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.models import CreditLimit, CreditRating, Customer, Order
from creditguard.rating.service.policies import policy_row
from tests import builders as b


def customer_id(db: Database, actor: Actor, code: str) -> int:
    with db.read() as session:
        found = session.scalar(
            select(Customer.id).where(
                Customer.company_id == actor.company_id, Customer.code == code
            )
        )
    assert found is not None
    return found


def set_limit(
    db: Database,
    actor: Actor,
    *,
    code: str,
    amount: str,
    scope: str = "customer",
    currency: str = "CNY",
    expires_on: date | None = None,
) -> None:
    cid = customer_id(db, actor, code)
    with db.write() as session:
        session.add(
            CreditLimit(
                company_id=actor.company_id,
                customer_id=cid,
                scope=scope,
                currency=currency,
                amount_minor=Money.parse(amount, currency).minor,
                term_days=None,
                expires_on=expires_on,
                source="manual",
                revision=1,
                updated_at=b.NOW,
                updated_by="user:test",
            )
        )


def rate(db: Database, actor: Actor, *, code: str, grade: str, as_of: date) -> None:
    cid = customer_id(db, actor, code)
    with db.write() as session:
        policy = policy_row(session, actor, b.clock())
        session.add(
            CreditRating(
                company_id=actor.company_id,
                customer_id=cid,
                policy_id=policy.id,
                policy_version=policy.version,
                kind="scorecard",
                trigger="manual",
                as_of=as_of,
                score=Decimal(50),
                scored_grade=grade,
                grade=grade,
                missing_weight=Decimal(0),
                details="{}",
                next_review_on=date(2027, 11, 1),
                rated_at=b.NOW,
                rated_by="user:test",
            )
        )


def order(
    db: Database,
    actor: Actor,
    *,
    ref: str,
    code: str,
    amount: str,
    shipped: str = "0",
    status: str = "confirmed",
    currency: str = "CNY",
) -> None:
    cid = customer_id(db, actor, code)
    with db.write() as session:
        session.add(
            Order(
                company_id=actor.company_id,
                customer_id=cid,
                external_ref=ref,
                ordered_on=date(2026, 11, 1),
                currency=currency,
                amount_minor=Money.parse(amount, currency).minor,
                shipped_minor=Money.parse(shipped, currency).minor,
                status=status,
                expected_ship_on=None,
                created_at=b.NOW,
                updated_at=b.NOW,
            )
        )


def group(db: Database, actor: Actor, *, group_limit: str = "1000.00") -> None:
    """Parent P with members M1 and M2, each rated A with a limit of 5,000.00, and a group
    limit on P shared by the three."""
    b.customer(db, actor, code="P")
    b.customer(db, actor, code="M1", parent="P")
    b.customer(db, actor, code="M2", parent="P")
    for code in ("P", "M1", "M2"):
        rate(db, actor, code=code, grade="A", as_of=date(2026, 11, 1))
        set_limit(db, actor, code=code, amount="5000.00")
    set_limit(db, actor, code="P", amount=group_limit, scope="group")
