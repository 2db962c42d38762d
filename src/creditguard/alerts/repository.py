"""Every query of risk alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditguard.models import Customer, RiskAlert


def get(session: Session, company_id: int, alert_id: int) -> RiskAlert | None:
    return session.scalar(
        select(RiskAlert).where(RiskAlert.company_id == company_id, RiskAlert.id == alert_id)
    )


def by_external_ref(
    session: Session, company_id: int, source: str, external_ref: str
) -> RiskAlert | None:
    return session.scalar(
        select(RiskAlert).where(
            RiskAlert.company_id == company_id,
            RiskAlert.source == source,
            RiskAlert.external_ref == external_ref,
        )
    )


def add(session: Session, row: RiskAlert) -> bool:
    """Insert ``row`` in a savepoint; ``False``: its (source, external_ref) is already taken
    — by a concurrent writer that committed first — and nothing was written."""
    savepoint = session.begin_nested()
    session.add(row)
    try:
        savepoint.commit()  # flushes the row
    except IntegrityError:
        savepoint.rollback()
        if row.external_ref is None:
            raise
        return False
    return True


def list_alerts(
    session: Session,
    company_id: int,
    *,
    filters: dict[str, Any],
    limit: int,
) -> list[RiskAlert]:
    """Alerts newest first, by ``filters`` (status, customer_id, severity: ``None`` is any)."""
    stmt = select(RiskAlert).where(RiskAlert.company_id == company_id)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(RiskAlert, name) == value)
    return list(session.scalars(stmt.order_by(RiskAlert.id.desc()).limit(limit)))


def close(session: Session, company_id: int, alert_id: int, values: dict[str, Any]) -> bool:
    """Close an open alert: the update holds only while it is still open, so of two people
    closing it at once exactly one does (the other finds it closed: ``False``)."""
    result = session.execute(
        update(RiskAlert)
        .where(
            RiskAlert.company_id == company_id,
            RiskAlert.id == alert_id,
            RiskAlert.status == "open",
        )
        .values(status="closed", **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def customer_codes(session: Session, company_id: int, ids: Sequence[int]) -> dict[int, str]:
    unique = sorted(set(ids))
    found: dict[int, str] = {}
    for start in range(0, len(unique), 900):  # bounded IN lists
        rows = session.execute(
            select(Customer.id, Customer.code).where(
                Customer.company_id == company_id, Customer.id.in_(unique[start : start + 900])
            )
        )
        found.update({row[0]: row[1] for row in rows})
    return found
