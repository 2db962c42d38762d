"""The ledger as it stood on a date, read into columns (Polars) for the portfolio reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from creditguard.models import (
    Application,
    Company,
    Customer,
    Dispute,
    Instalment,
    Invoice,
    Reversal,
)

OPEN_ITEMS = {
    "invoice_id": pl.Int64,
    "customer_id": pl.Int64,
    "due_on": pl.Date,
    "issued_on": pl.Date,
    "currency": pl.String,
    "open_minor": pl.Int64,
    "salesperson": pl.String,
}


def open_items(
    session: Session, company_id: int, as_of: date, customer_id: int | None = None
) -> pl.DataFrame:
    """Every instalment of every invoice issued by ``as_of`` with what was still open on it
    then: its amount less the applications dated up to ``as_of`` (reversed invoices are
    taken out by the caller, see :func:`reversals`)."""
    applied_stmt = (
        select(Application.instalment_id, func.sum(Application.amount_minor).label("applied"))
        .where(Application.company_id == company_id, Application.applied_on <= as_of)
        .group_by(Application.instalment_id)
    )
    if customer_id is not None:  # one customer: through its invoices, by index
        own = select(Invoice.id).where(
            Invoice.company_id == company_id, Invoice.customer_id == customer_id
        )
        applied_stmt = applied_stmt.where(Application.invoice_id.in_(own))
    applied = applied_stmt.subquery()
    open_minor = Instalment.amount_minor - func.coalesce(applied.c.applied, 0)
    stmt = (
        select(
            Instalment.invoice_id,
            Instalment.customer_id,
            Instalment.due_on,
            Invoice.issued_on,
            Instalment.currency,
            open_minor,
            Invoice.salesperson,
        )
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .outerjoin(applied, applied.c.instalment_id == Instalment.id)
        .where(Instalment.company_id == company_id, Invoice.issued_on <= as_of, open_minor != 0)
    )
    if customer_id is not None:
        stmt = stmt.where(Instalment.customer_id == customer_id)
    return _frame(session, stmt, OPEN_ITEMS)


def reversals(
    session: Session, company_id: int, customer_id: int | None = None
) -> list[tuple[int, str, int, date]]:
    """Every reversal of the company (or of one customer): (id, target kind, target id, date)."""
    stmt = select(
        Reversal.id, Reversal.target_kind, Reversal.target_id, Reversal.reversed_on
    ).where(Reversal.company_id == company_id)
    if customer_id is not None:
        stmt = stmt.where(Reversal.customer_id == customer_id)
    rows = session.execute(stmt)
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def disputed(
    session: Session, company_id: int, as_of: date, customer_id: int | None = None
) -> pl.DataFrame:
    """Per invoice, the amount in dispute on ``as_of`` (opened by then, not yet settled)."""
    stmt = (
        select(Dispute.invoice_id, func.sum(Dispute.amount_minor))
        .where(
            Dispute.company_id == company_id,
            Dispute.opened_on <= as_of,
            or_(Dispute.resolved_on.is_(None), Dispute.resolved_on > as_of),
        )
        .group_by(Dispute.invoice_id)
    )
    if customer_id is not None:
        stmt = stmt.where(Dispute.customer_id == customer_id)
    return _frame(session, stmt, {"invoice_id": pl.Int64, "disputed_minor": pl.Int64})


def customers(session: Session, company_id: int, customer_id: int | None = None) -> pl.DataFrame:
    """The attributes a portfolio is grouped by, per customer (group: the parent's code, or
    the customer's own when it has no parent)."""
    parent = aliased(Customer)
    stmt = (
        select(
            Customer.id,
            Customer.code,
            Customer.name,
            func.coalesce(parent.code, Customer.code),
            Customer.industry,
            Customer.region,
            Customer.salesperson,
        )
        .outerjoin(parent, and_(parent.id == Customer.parent_id))
        .where(Customer.company_id == company_id)
    )
    if customer_id is not None:
        stmt = stmt.where(Customer.id == customer_id)
    return _frame(
        session,
        stmt,
        {
            "customer_id": pl.Int64,
            "customer": pl.String,
            "name": pl.String,
            "group": pl.String,
            "industry": pl.String,
            "region": pl.String,
            "customer_salesperson": pl.String,
        },
    )


def _frame(session: Session, stmt: Any, schema: Mapping[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(session.execute(stmt).all(), schema=schema, orient="row")


def base_currency(session: Session, company_id: int) -> str:
    return str(session.scalar(select(Company.base_currency).where(Company.id == company_id)))


def issued(session: Session, company_id: int, after: date, until: date) -> pl.DataFrame:
    """Invoices issued after ``after`` up to ``until`` (credit sales), with their amounts."""
    stmt = select(
        Invoice.id, Invoice.customer_id, Invoice.issued_on, Invoice.currency, Invoice.amount_minor
    ).where(Invoice.company_id == company_id, Invoice.issued_on > after, Invoice.issued_on <= until)
    return _frame(
        session,
        stmt,
        {
            "invoice_id": pl.Int64,
            "customer_id": pl.Int64,
            "issued_on": pl.Date,
            "currency": pl.String,
            "amount_minor": pl.Int64,
        },
    )


def written_off(session: Session, company_id: int, after: date, until: date) -> dict[str, int]:
    """Net amounts written off after ``after`` up to ``until``, per currency (undone write-offs
    count back as negative applications on the day they were undone)."""
    stmt = (
        select(Application.currency, func.sum(Application.amount_minor))
        .where(
            Application.company_id == company_id,
            Application.source_kind == "write_off",
            Application.applied_on > after,
            Application.applied_on <= until,
        )
        .group_by(Application.currency)
    )
    return {row[0]: int(row[1]) for row in session.execute(stmt)}


def payments_applied(
    session: Session, company_id: int, after: date, until: date, customer_ids: list[int] | None
) -> pl.DataFrame:
    """Payment applications dated after ``after`` up to ``until``, with the due date of the
    instalment they paid; undo rows (negative) included, so callers can net them out."""
    stmt = (
        select(
            Application.customer_id,
            Application.source_id,
            Application.instalment_id,
            Application.applied_on,
            Application.currency,
            Application.amount_minor,
            Instalment.due_on,
        )
        .join(Instalment, Instalment.id == Application.instalment_id)
        .where(
            Application.company_id == company_id,
            Application.source_kind == "payment",
            Application.applied_on > after,
            Application.applied_on <= until,
        )
    )
    if customer_ids is not None:
        stmt = stmt.where(Application.customer_id.in_(customer_ids))
    return _frame(
        session,
        stmt,
        {
            "customer_id": pl.Int64,
            "source_id": pl.Int64,
            "instalment_id": pl.Int64,
            "applied_on": pl.Date,
            "currency": pl.String,
            "amount_minor": pl.Int64,
            "due_on": pl.Date,
        },
    )
