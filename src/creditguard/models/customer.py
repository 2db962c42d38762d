"""Customers (buyers), their parent groups and contacts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    column,
    func,
    select,
    table,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.models.base import Base, BigId, TenantMixin

_revisions = table("customers", column("revision", BigInteger))
_NEXT_REVISION = select(func.coalesce(func.max(_revisions.c.revision), 0) + 1).scalar_subquery()


class Customer(TenantMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_changes", "company_id", "updated_at", "id"),
        UniqueConstraint("company_id", "code"),
        CheckConstraint("status IN ('active', 'blocked', 'closed')", name="status"),
    )

    code: Mapped[str] = mapped_column(String(64))  # the ERP's customer number
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms: Mapped[str] = mapped_column(String(64))
    salesperson: Mapped[str | None] = mapped_column(String(100))
    tax_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Larger than every revision before it, on every insert and update (the portfolio snapshot
    # reads the customers changed since its last refresh by it; ties are fine).
    revision: Mapped[int] = mapped_column(
        BigInteger, default=_NEXT_REVISION, onupdate=_NEXT_REVISION, index=True
    )


class Contact(TenantMixin, Base):
    __tablename__ = "contacts"

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Order(TenantMixin, Base):
    """A sales order: not a ledger entry, so it may change (shipped, invoiced, cancelled).

    Confirmed orders not shipped, and shipped goods not invoiced, count in a customer's exposure.
    """

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_changes", "company_id", "updated_at", "id"),
        UniqueConstraint("company_id", "external_ref"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "shipped_minor >= 0 AND shipped_minor <= amount_minor", name="shipped_in_range"
        ),
        CheckConstraint(
            "status IN ('confirmed', 'shipped', 'invoiced', 'cancelled')", name="status"
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    ordered_on: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    shipped_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    expected_ship_on: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
