"""Credit limits and their policy, order checks and reservations, limit requests, the audit log.

Every amount is integer minor units in the company's base currency unless a row names another.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.models.base import Base, BigId, TenantMixin


class LimitPolicy(TenantMixin, Base):
    """One version of a company's limit policy matrix and approval ladder; edits add versions."""

    __tablename__ = "limit_policies"
    __table_args__ = (UniqueConstraint("company_id", "version"),)

    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)  # matrix by grade and ladder, as JSON (Decimal strings)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class CreditLimit(TenantMixin, Base):
    """The limit that holds for a customer, or for a group (on its parent customer, shared).

    One row per customer and scope; every change is written to the audit log. ``revision``
    grows on each change, so a reader can tell a stale copy.
    """

    __tablename__ = "credit_limits"
    __table_args__ = (
        UniqueConstraint("company_id", "customer_id", "scope"),
        CheckConstraint("scope IN ('customer', 'group')", name="scope"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("term_days IS NULL OR term_days >= 0", name="term"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    scope: Mapped[str] = mapped_column(String(8), default="customer")
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    term_days: Mapped[int | None] = mapped_column(Integer)
    expires_on: Mapped[date | None]  # a temporary limit: valid through this day
    source: Mapped[str] = mapped_column(String(16))  # manual, request, review, policy
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("limit_requests.id"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    changed_on: Mapped[date | None]  # business day of the last change (a request or the review)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class CreditCheck(TenantMixin, Base):
    """One order credit check: its decision and reasons; a held order waits here for a decision.

    ``status``: approved, held, released (a held order let through by someone with authority),
    rejected, cancelled.
    """

    __tablename__ = "credit_checks"
    __table_args__ = (
        Index("ix_credit_checks_customer", "company_id", "customer_id", "id"),
        Index("ix_credit_checks_status", "company_id", "status", "id"),
        Index("ix_credit_checks_order", "company_id", "order_ref"),
        CheckConstraint(
            "status IN ('approved', 'held', 'released', 'rejected', 'cancelled')", name="status"
        ),
        CheckConstraint("decision IN ('approved', 'held')", name="decision"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name="decider_not_requester"
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    order_ref: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))  # the order's currency
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    base_amount_minor: Mapped[int] = mapped_column(BigInteger)
    decision: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[str] = mapped_column(Text)  # [{"code", "message_en", "message_zh", "data"}]
    available_minor: Mapped[int] = mapped_column(BigInteger)  # headroom before the order
    reserve: Mapped[bool] = mapped_column(Boolean)
    checked_on: Mapped[date]
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)


class CreditReservation(TenantMixin, Base):
    """Limit consumed by an approved (or released) order until it is cancelled or invoiced.

    One per order reference: a second reserving check for the same order is the same reservation.
    """

    __tablename__ = "credit_reservations"
    __table_args__ = (
        UniqueConstraint("company_id", "order_ref"),
        Index("ix_credit_reservations_open", "company_id", "customer_id", "status"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('reserved', 'released', 'invoiced', 'cancelled')", name="status"
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    check_id: Mapped[int] = mapped_column(BigId, ForeignKey("credit_checks.id"))
    order_ref: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))  # the base currency
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="reserved")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))


class LimitRequest(TenantMixin, Base):
    """A request to set a customer's (or group's) limit, routed by amount to an approving role.

    The requester can never approve: checked in code and by the ``requester_not_decider``
    constraint. ``origin`` is ``manual`` or ``review`` (proposed by the nightly review).
    """

    __tablename__ = "limit_requests"
    __table_args__ = (
        Index("ix_limit_requests_status", "company_id", "status", "id"),
        Index("ix_limit_requests_customer", "company_id", "customer_id", "id"),
        # At most one pending request of the nightly review per limit: per customer and
        # scope, so a parent's own limit and its group limit each may have one (0009, 0011).
        Index(
            "uq_limit_requests_pending_review",
            "company_id",
            "customer_id",
            "scope",
            unique=True,
            postgresql_where=text("origin = 'review' AND status = 'pending'"),
            sqlite_where=text("origin = 'review' AND status = 'pending'"),
        ),
        CheckConstraint("scope IN ('customer', 'group')", name="scope"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn', 'applied')", name="status"
        ),
        CheckConstraint("origin IN ('manual', 'review')", name="origin"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("term_days IS NULL OR term_days >= 0", name="term"),
        CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name="requester_not_decider"
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    scope: Mapped[str] = mapped_column(String(8), default="customer")
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    previous_minor: Mapped[int | None] = mapped_column(BigInteger)  # the limit when requested
    term_days: Mapped[int | None] = mapped_column(Integer)
    expires_on: Mapped[date | None]
    reason: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)  # the review's lines, as JSON
    origin: Mapped[str] = mapped_column(String(8), default="manual")
    required_role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """The append-only audit log: each entry's hash covers its content and the previous hash.

    Per company, ``seq`` runs 1, 2, 3, ... with no gap; the database refuses updates and deletes
    (triggers in the migration).
    """

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("company_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(BigId, ForeignKey("companies.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))  # e.g. limit.set, limit_request.approve
    subject: Mapped[str] = mapped_column(String(64))  # e.g. customer:42, limit_request:7
    body: Mapped[str] = mapped_column(Text)  # canonical JSON (sorted keys, Decimal strings)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Webhook(TenantMixin, Base):
    """Where the ERP is told about credit decisions; each delivery is signed with ``secret``."""

    __tablename__ = "webhooks"
    __table_args__ = (UniqueConstraint("company_id", "url"),)

    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[str] = mapped_column(String(500))  # comma-separated, e.g. credit_check.released
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class Notification(TenantMixin, Base):
    """The outbox: an email or webhook delivery, written in the deciding transaction, sent after.

    ``status``: pending, sent, failed (after ``attempts`` tries; ``last_error`` says why).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_pending", "status", "id"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    )

    channel: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(500))  # an address or a webhook URL
    event: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # the message, or the webhook's JSON payload
    webhook_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("webhooks.id"))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
