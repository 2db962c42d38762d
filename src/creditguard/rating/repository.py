"""Every query of the credit file, the scorecard policies and the ratings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from creditguard.models import (
    CreditDocument,
    CreditProfile,
    CreditRating,
    Customer,
    FinancialStatement,
    ScorecardPolicy,
)


def profile(session: Session, company_id: int, customer_id: int) -> CreditProfile | None:
    return session.scalar(
        select(CreditProfile).where(
            CreditProfile.company_id == company_id, CreditProfile.customer_id == customer_id
        )
    )


def profiles(
    session: Session, company_id: int, customer_ids: Sequence[int]
) -> dict[int, CreditProfile]:
    found: dict[int, CreditProfile] = {}
    for start in range(0, len(customer_ids), 900):  # bounded IN lists
        chunk = customer_ids[start : start + 900]
        rows = session.scalars(
            select(CreditProfile).where(
                CreditProfile.company_id == company_id, CreditProfile.customer_id.in_(chunk)
            )
        )
        found.update({row.customer_id: row for row in rows})
    return found


def statements(
    session: Session, company_id: int, customer_id: int, until: date | None = None
) -> list[FinancialStatement]:
    """The customer's statements, oldest period first (up to ``until`` if given)."""
    stmt = select(FinancialStatement).where(
        FinancialStatement.company_id == company_id,
        FinancialStatement.customer_id == customer_id,
    )
    if until is not None:
        stmt = stmt.where(FinancialStatement.period_end <= until)
    return list(session.scalars(stmt.order_by(FinancialStatement.period_end)))


def statements_of(
    session: Session, company_id: int, customer_ids: Sequence[int], until: date
) -> dict[int, list[FinancialStatement]]:
    """Many customers' statements up to ``until``, each customer's oldest period first."""
    found: dict[int, list[FinancialStatement]] = {}
    for start in range(0, len(customer_ids), 900):  # bounded IN lists
        rows = session.scalars(
            select(FinancialStatement)
            .where(
                FinancialStatement.company_id == company_id,
                FinancialStatement.customer_id.in_(customer_ids[start : start + 900]),
                FinancialStatement.period_end <= until,
            )
            .order_by(FinancialStatement.customer_id, FinancialStatement.period_end)
        )
        for row in rows:
            found.setdefault(row.customer_id, []).append(row)
    return found


def statement_on(
    session: Session, company_id: int, customer_id: int, period_end: date
) -> FinancialStatement | None:
    return session.scalar(
        select(FinancialStatement).where(
            FinancialStatement.company_id == company_id,
            FinancialStatement.customer_id == customer_id,
            FinancialStatement.period_end == period_end,
        )
    )


def documents(session: Session, company_id: int, customer_id: int) -> list[CreditDocument]:
    return list(
        session.scalars(
            select(CreditDocument)
            .where(
                CreditDocument.company_id == company_id, CreditDocument.customer_id == customer_id
            )
            .order_by(CreditDocument.id.desc())
        )
    )


def latest_policy(session: Session, company_id: int) -> ScorecardPolicy | None:
    return session.scalar(
        select(ScorecardPolicy)
        .where(ScorecardPolicy.company_id == company_id)
        .order_by(ScorecardPolicy.version.desc())
        .limit(1)
    )


def policy_version(session: Session, company_id: int, version: int) -> ScorecardPolicy | None:
    return session.scalar(
        select(ScorecardPolicy).where(
            ScorecardPolicy.company_id == company_id, ScorecardPolicy.version == version
        )
    )


def ratings(session: Session, company_id: int, customer_id: int) -> list[CreditRating]:
    """The customer's ratings, newest first."""
    return list(
        session.scalars(
            select(CreditRating)
            .where(CreditRating.company_id == company_id, CreditRating.customer_id == customer_id)
            .order_by(CreditRating.id.desc())
        )
    )


def latest_rating(session: Session, company_id: int, customer_id: int) -> CreditRating | None:
    return session.scalar(
        select(CreditRating)
        .where(CreditRating.company_id == company_id, CreditRating.customer_id == customer_id)
        .order_by(CreditRating.id.desc())
        .limit(1)
    )


def due_customers(session: Session, company_id: int, as_of: date, *, everyone: bool) -> list[int]:
    """Active customers due a rating on ``as_of``: never rated, or their review date reached."""
    stmt = (
        select(Customer.id)
        .outerjoin(
            CreditProfile,
            (CreditProfile.customer_id == Customer.id) & (CreditProfile.company_id == company_id),
        )
        .where(Customer.company_id == company_id, Customer.status == "active")
    )
    if not everyone:
        stmt = stmt.where(
            or_(CreditProfile.next_review_on.is_(None), CreditProfile.next_review_on <= as_of)
        )
    return list(session.scalars(stmt.order_by(Customer.id)))
