"""Risk alerts (风险预警信号): external signals about a customer, open until someone closes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.core.alerts import KINDS, SEVERITIES, STATUSES
from creditguard.models.base import Base, BigId, TenantMixin


def _one_of(column: str, values: Iterable[str]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class RiskAlert(TenantMixin, Base):
    """One signal about a customer: litigation, enforcement, a bankruptcy filing, ...

    ``observed_on``: the day of the event; ``recorded_on``: the business day (company's zone)
    it was recorded here. A feed names its ``source`` and its own ``external_ref``: unique per
    company and source, so a signal sent again is the same alert (NULL refs never clash).
    ``status``: open, or closed by someone with a note.
    """

    __tablename__ = "risk_alerts"
    __table_args__ = (
        UniqueConstraint("company_id", "source", "external_ref"),
        Index("ix_risk_alerts_open", "company_id", "status", "id"),
        Index("ix_risk_alerts_customer", "company_id", "customer_id", "id"),
        CheckConstraint(_one_of("kind", KINDS), name="kind"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    observed_on: Mapped[date]
    recorded_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(32))  # manual, or the provider's / ERP's name
    external_ref: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_note: Mapped[str | None] = mapped_column(Text)
