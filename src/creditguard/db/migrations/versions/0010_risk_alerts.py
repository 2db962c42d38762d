"""risk alerts: external signals about a customer (litigation, enforcement, ...), open or closed

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import creditguard.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The lists as they stand in this revision (creditguard.core.alerts); a later kind is a new
# migration that rewrites the check.
KINDS = (
    "bankruptcy_filing", "enforcement", "litigation", "tax_violation", "payment_default",
    "equity_change", "legal_representative_change", "rating_downgrade",
    "administrative_penalty", "other",
)  # fmt: skip
SEVERITIES = ("low", "medium", "high", "critical")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "risk_alerts",
        sa.Column("customer_id", _id(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", creditguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("closed_at", creditguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("company_id", _id(), nullable=False),
        sa.CheckConstraint(_one_of("kind", KINDS), name=op.f("ck_risk_alerts_kind")),
        sa.CheckConstraint(_one_of("severity", SEVERITIES), name=op.f("ck_risk_alerts_severity")),
        sa.CheckConstraint(
            _one_of("status", ("open", "closed")), name=op.f("ck_risk_alerts_status")
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)", name=op.f("ck_risk_alerts_closed")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_risk_alerts_company_id_companies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_risk_alerts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alerts")),
        sa.UniqueConstraint(
            "company_id",
            "source",
            "external_ref",
            name=op.f("uq_risk_alerts_company_id_source_external_ref"),
        ),
    )
    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_alerts_company_id"), ["company_id"], unique=False)
        # the open alerts of a company (the nightly review, the list), newest first
        batch_op.create_index("ix_risk_alerts_open", ["company_id", "status", "id"], unique=False)
        batch_op.create_index(
            "ix_risk_alerts_customer", ["company_id", "customer_id", "id"], unique=False
        )


def downgrade() -> None:
    # The alerts go with the table (their creation and closing stay in the audit log).
    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_alerts_customer")
        batch_op.drop_index("ix_risk_alerts_open")
        batch_op.drop_index(batch_op.f("ix_risk_alerts_company_id"))

    op.drop_table("risk_alerts")
