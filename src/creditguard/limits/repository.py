"""Every query of limit requests, the limits they set and the review's inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from creditguard.db.bulk import insert_rows, read_frame, reserve_ids
from creditguard.models import (
    CreditLimit,
    Customer,
    FinancialStatement,
    LimitRequest,
)


def get_request(
    session: Session, company_id: int, request_id: int, *, lock: bool = False
) -> LimitRequest | None:
    stmt = select(LimitRequest).where(
        LimitRequest.company_id == company_id, LimitRequest.id == request_id
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def list_requests(
    session: Session,
    company_id: int,
    *,
    status: str | None,
    roles: Sequence[str] | None,
    limit: int,
) -> list[LimitRequest]:
    """Requests newest first, by status and by the roles they wait for (``None``: any)."""
    stmt = select(LimitRequest).where(LimitRequest.company_id == company_id)
    if status is not None:
        stmt = stmt.where(LimitRequest.status == status)
    if roles is not None:
        stmt = stmt.where(LimitRequest.required_role.in_(roles))
    return list(session.scalars(stmt.order_by(LimitRequest.id.desc()).limit(limit)))


def decide(session: Session, company_id: int, request_id: int, values: dict[str, Any]) -> bool:
    """Move a pending request on: the update holds only while it is still pending, so of two
    deciders at once exactly one changes it (the other finds it decided: ``False``)."""
    result = session.execute(
        update(LimitRequest)
        .where(
            LimitRequest.company_id == company_id,
            LimitRequest.id == request_id,
            LimitRequest.status == "pending",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def limit_of(
    session: Session, company_id: int, customer_id: int, scope: str, *, lock: bool = False
) -> CreditLimit | None:
    stmt = select(CreditLimit).where(
        CreditLimit.company_id == company_id,
        CreditLimit.customer_id == customer_id,
        CreditLimit.scope == scope,
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def limits_of(session: Session, company_id: int, customer_id: int) -> list[CreditLimit]:
    return list(
        session.scalars(
            select(CreditLimit)
            .where(CreditLimit.company_id == company_id, CreditLimit.customer_id == customer_id)
            .order_by(CreditLimit.scope)
        )
    )


def customer_codes(session: Session, company_id: int, ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ids), 900):  # bounded IN lists
        rows = session.execute(
            select(Customer.id, Customer.code).where(
                Customer.company_id == company_id, Customer.id.in_(ids[start : start + 900])
            )
        )
        found.update({row[0]: row[1] for row in rows})
    return found


# --- the nightly review ---


def customer_count(session: Session, company_id: int) -> int:
    stmt = select(func.count()).select_from(Customer).where(Customer.company_id == company_id)
    return int(session.scalar(stmt) or 0)


def customer_limits(session: Session, company_id: int) -> pl.DataFrame:
    """Every customer-scope limit of the company, in one query, as columns."""
    stmt = select(
        CreditLimit.id.label("limit_id"),
        CreditLimit.customer_id,
        CreditLimit.currency,
        CreditLimit.amount_minor,
        CreditLimit.revision,
        CreditLimit.changed_on,
    ).where(CreditLimit.company_id == company_id, CreditLimit.scope == "customer")
    schema = {
        "limit_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "amount_minor": pl.Int64,
        "revision": pl.Int64,
        "changed_on": pl.Date,
    }
    return read_frame(session, stmt, schema)


def latest_statements(
    session: Session, company_id: int, as_of: date
) -> dict[int, tuple[str, int | None, int | None]]:
    """Per customer, the latest statement up to ``as_of``: currency, revenue, equity."""
    rows = session.execute(
        select(
            FinancialStatement.customer_id,
            FinancialStatement.currency,
            FinancialStatement.revenue_minor,
            FinancialStatement.total_assets_minor,
            FinancialStatement.total_liabilities_minor,
        )
        .where(FinancialStatement.company_id == company_id, FinancialStatement.period_end <= as_of)
        .order_by(FinancialStatement.customer_id, FinancialStatement.period_end)
    )
    found: dict[int, tuple[str, int | None, int | None]] = {}
    for customer_id, currency, revenue, assets, liabilities in rows:
        equity = None if assets is None or liabilities is None else assets - liabilities
        found[customer_id] = (currency, revenue, equity)  # the latest period wins
    return found


def pending_review_customers(session: Session, company_id: int) -> set[int]:
    """Customers with a review request still pending: the review leaves them alone."""
    return set(
        session.scalars(
            select(LimitRequest.customer_id).where(
                LimitRequest.company_id == company_id,
                LimitRequest.origin == "review",
                LimitRequest.status == "pending",
            )
        )
    )


def set_limits(session: Session, rows: list[dict[str, Any]]) -> None:
    """Change many limits by id (``id``, then the columns to set — the same in every row) in
    one executemany; Core, not the ORM's bulk update: no per-row objects or bookkeeping."""
    if not rows:
        return
    table = cast(Table, CreditLimit.__table__)
    names = [name for name in rows[0] if name != "id"]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("limit_id"))
        .values({name: bindparam(f"v_{name}") for name in names})
    )
    session.execute(stmt, [{"limit_id": r["id"], **{f"v_{n}": r[n] for n in names}} for r in rows])


def add_requests(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many requests (dicts with the same keys, no ``id``) in one bulk insert; their
    ids, in the order of ``rows`` — allocated in one statement (:func:`reserve_ids`), not
    read back row by row."""
    table = cast(Table, LimitRequest.__table__)
    ids = reserve_ids(session, table, len(rows))
    insert_rows(session, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return ids
