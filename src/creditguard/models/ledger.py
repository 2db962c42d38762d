"""The receivables ledger.

Posted entries (invoices, payments, credit notes, write-offs, reversals) are never edited: a
correction is a new entry. What changes are the derived, incrementally kept figures — an
invoice's ``open_minor``, a payment's ``unapplied_minor``, a ``status``, and the per-customer
:class:`CustomerBalance` — always in the same transaction as the posting that moves them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.db.types import DecimalText
from creditguard.models.base import Base, BigId, Minor, TenantMixin


class Invoice(TenantMixin, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("company_id", "external_ref"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("open_minor >= 0 AND open_minor <= amount_minor", name="open_in_range"),
        CheckConstraint("disputed_minor >= 0 AND disputed_minor <= open_minor", name="disputed"),
        CheckConstraint("status IN ('open', 'settled', 'reversed')", name="status"),
        Index("ix_invoices_customer_due", "company_id", "customer_id", "due_on"),
        Index("ix_invoices_changes", "company_id", "updated_at", "id"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date]
    due_on: Mapped[date]  # the last instalment's due date
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    payment_terms: Mapped[str] = mapped_column(String(64))
    discount_rate: Mapped[Decimal | None] = mapped_column(DecimalText)
    discount_until: Mapped[date | None]
    order_ref: Mapped[str | None] = mapped_column(String(64))
    salesperson: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    open_minor: Mapped[int] = mapped_column(Minor)
    disputed_minor: Mapped[int] = mapped_column(Minor, default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime]
    # When open, disputed or status last moved: what an ERP pulls with GET /changes/invoices.
    updated_at: Mapped[datetime]


class InvoiceLine(TenantMixin, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no"),)

    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    unit_price: Mapped[Decimal] = mapped_column(DecimalText)
    amount_minor: Mapped[int] = mapped_column(Minor)


class Instalment(TenantMixin, Base):
    """An open item: one due date and amount of an invoice (one row for a single-due invoice)."""

    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("invoice_id", "seq"),
        CheckConstraint("open_minor >= 0 AND open_minor <= amount_minor", name="open_in_range"),
        Index("ix_instalments_customer_due", "company_id", "customer_id", "due_on"),
    )

    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    open_minor: Mapped[int] = mapped_column(Minor)


class Payment(TenantMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_changes", "company_id", "created_at", "id"),
        UniqueConstraint("company_id", "external_ref"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "unapplied_minor >= 0 AND unapplied_minor <= amount_minor", name="unapplied_in_range"
        ),
        CheckConstraint("status IN ('posted', 'reversed')", name="status"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    received_on: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    method: Mapped[str | None] = mapped_column(String(32))
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    unapplied_minor: Mapped[int] = mapped_column(Minor)
    status: Mapped[str] = mapped_column(String(10), default="posted")
    created_at: Mapped[datetime]


class CreditNote(TenantMixin, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        Index("ix_credit_notes_changes", "company_id", "created_at", "id"),
        UniqueConstraint("company_id", "external_ref"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "unapplied_minor >= 0 AND unapplied_minor <= amount_minor", name="unapplied_in_range"
        ),
        CheckConstraint("status IN ('posted', 'reversed')", name="status"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    reason: Mapped[str] = mapped_column(String(500))
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    unapplied_minor: Mapped[int] = mapped_column(Minor)
    status: Mapped[str] = mapped_column(String(10), default="posted")
    created_at: Mapped[datetime]


class WriteOff(TenantMixin, Base):
    __tablename__ = "write_offs"
    __table_args__ = (
        Index("ix_write_offs_changes", "company_id", "created_at", "id"),
        UniqueConstraint("company_id", "external_ref"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('posted', 'reversed')", name="status"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    written_off_on: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="posted")
    created_at: Mapped[datetime]


class Application(TenantMixin, Base):
    """Money applied to an instalment: by a payment, a credit note or a write-off.

    Negative amounts undo an earlier application (a reversal, or an invoice reversed while
    paid). An invoice's open amount is its amount minus the sum of its applications.
    """

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_nonzero"),
        CheckConstraint(
            "source_kind IN ('payment', 'credit_note', 'write_off')", name="source_kind"
        ),
        Index("ix_applications_source", "company_id", "source_kind", "source_id"),
        Index("ix_applications_invoice", "company_id", "invoice_id"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"))
    instalment_id: Mapped[int] = mapped_column(BigId, ForeignKey("instalments.id"))
    source_kind: Mapped[str] = mapped_column(String(12))
    source_id: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(String(3))
    applied_on: Mapped[date]
    reversal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("reversals.id"))
    created_at: Mapped[datetime]


class Reversal(TenantMixin, Base):
    """Cancels a posted entry (or an earlier reversal). A target is reversed at most once."""

    __tablename__ = "reversals"
    __table_args__ = (
        Index("ix_reversals_changes", "company_id", "created_at", "id"),
        UniqueConstraint("company_id", "target_kind", "target_id"),
        CheckConstraint(
            "target_kind IN ('invoice', 'payment', 'credit_note', 'write_off', 'reversal')",
            name="target_kind",
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(12))
    target_id: Mapped[int] = mapped_column(BigInteger)
    reversed_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Dispute(TenantMixin, Base):
    """A contested part of an invoice: kept out of dunning and of insured exposure."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('open', 'resolved', 'rejected')", name="status"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_on: Mapped[date]
    resolved_on: Mapped[date | None]
    resolution: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class CustomerBalance(Base):
    """A customer's running totals in one currency, kept in the posting's own transaction.

    Invariants (checked by the reconciliation test):
    ``open = invoiced - paid - credited - written_off`` and
    ``unapplied = received - paid + credit_issued - credited``.
    """

    __tablename__ = "customer_balances"
    __table_args__ = (
        CheckConstraint("open_minor >= 0", name="open_nonnegative"),
        # Every posting rewrites these rows: room on each page lets PostgreSQL update in place.
        {"postgresql_with": {"fillfactor": 70}},
    )

    # The tenant leads the key: one index serves a customer's read, and it is the shard key.
    company_id: Mapped[int] = mapped_column(BigId, ForeignKey("companies.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    invoiced_minor: Mapped[int] = mapped_column(Minor, default=0)
    received_minor: Mapped[int] = mapped_column(Minor, default=0)
    credit_issued_minor: Mapped[int] = mapped_column(Minor, default=0)
    paid_minor: Mapped[int] = mapped_column(Minor, default=0)
    credited_minor: Mapped[int] = mapped_column(Minor, default=0)
    written_off_minor: Mapped[int] = mapped_column(Minor, default=0)
    open_minor: Mapped[int] = mapped_column(Minor, default=0)
    unapplied_minor: Mapped[int] = mapped_column(Minor, default=0)
    disputed_minor: Mapped[int] = mapped_column(Minor, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
