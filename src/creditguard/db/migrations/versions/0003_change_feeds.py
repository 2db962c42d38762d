"""change feeds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:51:47.631823
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import creditguard.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_notes_changes", ["company_id", "created_at", "id"], unique=False
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customers_changes", ["company_id", "updated_at", "id"], unique=False
        )

    # Existing invoices last changed, as far as we know, when they were posted.
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", creditguard.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE invoices SET updated_at = created_at")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at",
            existing_type=creditguard.db.types.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_index(
            "ix_invoices_changes", ["company_id", "updated_at", "id"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_changes", ["company_id", "updated_at", "id"], unique=False)

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_changes", ["company_id", "created_at", "id"], unique=False
        )

    with op.batch_alter_table("reversals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reversals_changes", ["company_id", "created_at", "id"], unique=False
        )

    with op.batch_alter_table("write_offs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_write_offs_changes", ["company_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("write_offs", schema=None) as batch_op:
        batch_op.drop_index("ix_write_offs_changes")

    with op.batch_alter_table("reversals", schema=None) as batch_op:
        batch_op.drop_index("ix_reversals_changes")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_changes")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_changes")

    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_changes")
        batch_op.drop_column("updated_at")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_changes")

    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_notes_changes")
