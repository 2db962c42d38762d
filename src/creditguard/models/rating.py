"""The credit file (qualification, financial statements, documents), scorecard policies, ratings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.db.types import DecimalText
from creditguard.models.base import Base, BigId, TenantMixin


class CreditProfile(TenantMixin, Base):
    """A customer's basic qualification (基础资质) and when it is next due for a review."""

    __tablename__ = "credit_profiles"
    __table_args__ = (
        UniqueConstraint("company_id", "customer_id"),
        Index("ix_credit_profiles_due", "company_id", "next_review_on"),
        CheckConstraint(
            "licence_status IS NULL OR licence_status IN ('valid', 'expired', 'revoked')",
            name="licence_status",
        ),
        CheckConstraint("negative_records IS NULL OR negative_records >= 0", name="records"),
        CheckConstraint(
            "registered_capital_minor IS NULL OR registered_capital_currency IS NOT NULL",
            name="capital_currency",
        ),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    licence_status: Mapped[str | None] = mapped_column(String(10))
    registered_capital_minor: Mapped[int | None] = mapped_column(BigInteger)
    registered_capital_currency: Mapped[str | None] = mapped_column(String(3))
    founded_on: Mapped[date | None]
    legal_form: Mapped[str | None] = mapped_column(String(32))
    negative_records: Mapped[int | None] = mapped_column(Integer)
    negative_notes: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class FinancialStatement(TenantMixin, Base):
    """One period of a customer's financial statements; every amount in minor units."""

    __tablename__ = "financial_statements"
    __table_args__ = (UniqueConstraint("company_id", "customer_id", "period_end"),)

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    period_end: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    revenue_minor: Mapped[int | None] = mapped_column(BigInteger)
    cost_of_sales_minor: Mapped[int | None] = mapped_column(BigInteger)
    net_profit_minor: Mapped[int | None] = mapped_column(BigInteger)
    total_assets_minor: Mapped[int | None] = mapped_column(BigInteger)
    total_liabilities_minor: Mapped[int | None] = mapped_column(BigInteger)
    current_assets_minor: Mapped[int | None] = mapped_column(BigInteger)
    current_liabilities_minor: Mapped[int | None] = mapped_column(BigInteger)
    inventory_minor: Mapped[int | None] = mapped_column(BigInteger)
    cash_minor: Mapped[int | None] = mapped_column(BigInteger)
    operating_cash_flow_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class DocumentContent(TenantMixin, Base):
    """The bytes of an uploaded file, kept once per company and SHA-256 (the same file uploaded
    twice is stored once); written in the transaction that registers its document, and backed
    up with the rest of the database."""

    __tablename__ = "document_contents"
    __table_args__ = (
        UniqueConstraint("company_id", "sha256"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class CreditDocument(TenantMixin, Base):
    """A document in the credit file: what it is, its name and its SHA-256, who uploaded it.

    ``content_id`` names the stored file; a document registered with its metadata only (the
    file kept elsewhere) has none, and no ``content_type`` either when it predates uploads.
    """

    __tablename__ = "credit_documents"
    __table_args__ = (
        CheckConstraint("kind IN ('licence', 'contract', 'statement', 'other')", name="kind"),
        CheckConstraint("content_id IS NULL OR content_type IS NOT NULL", name="stored_type"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(100))
    content_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("document_contents.id", ondelete="RESTRICT")
    )
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(64))

    @property
    def stored(self) -> bool:
        """Whether the file itself is kept in the database (else: metadata only)."""
        return self.content_id is not None


class ScorecardPolicy(TenantMixin, Base):
    """One version of a company's expert scorecard; an edit adds a version, never changes one."""

    __tablename__ = "scorecard_policies"
    __table_args__ = (UniqueConstraint("company_id", "version"),)

    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)  # the policy as JSON (Decimal strings)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class CreditRating(TenantMixin, Base):
    """One rating of a customer: the scorecard's, or a manual override with its reason."""

    __tablename__ = "credit_ratings"
    __table_args__ = (
        Index("ix_credit_ratings_customer", "company_id", "customer_id", "id"),
        CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="grade"),
        CheckConstraint("scored_grade IN ('A', 'B', 'C', 'D')", name="scored_grade"),
        CheckConstraint("kind IN ('scorecard', 'override')", name="kind"),
        CheckConstraint("kind = 'scorecard' OR override_reason IS NOT NULL", name="reason"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    policy_id: Mapped[int] = mapped_column(BigId, ForeignKey("scorecard_policies.id"))
    policy_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    trigger: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[date]
    score: Mapped[Decimal] = mapped_column(DecimalText)
    scored_grade: Mapped[str] = mapped_column(String(1))  # what the scorecard said
    grade: Mapped[str] = mapped_column(String(1))  # what holds (an override may differ)
    missing_weight: Mapped[Decimal] = mapped_column(DecimalText)
    details: Mapped[str] = mapped_column(Text)  # factors and reasons as JSON
    override_reason: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date]
    rated_at: Mapped[datetime]
    rated_by: Mapped[str] = mapped_column(String(64))
