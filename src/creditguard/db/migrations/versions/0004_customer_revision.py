"""customer revision: what changed since the portfolio snapshot's last refresh

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.BigInteger(), nullable=True))
    # Existing customers: any value does, as long as later changes draw larger ones.
    op.execute("UPDATE customers SET revision = id")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("revision", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index("ix_customers_revision", ["revision"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_revision")
        batch_op.drop_column("revision")
