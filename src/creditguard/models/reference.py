"""Reference data shared by every company: exchange rates (ECB history, seeded offline)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.db.types import DecimalText
from creditguard.models.base import Base


class FxRate(Base):
    """Units of ``currency`` per one euro on ``rate_date`` (the ECB's quotation)."""

    __tablename__ = "fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate_date: Mapped[date] = mapped_column(primary_key=True)
    per_eur: Mapped[Decimal] = mapped_column(DecimalText)
    source: Mapped[str] = mapped_column(String(16))
