"""one pending review request per customer: a partial unique index on limit_requests

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 07:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The nightly review files at most one request per customer while one is pending (it skips
# such customers); the index keeps it so even if two reviews ever ran at once.
PENDING_REVIEW = "origin = 'review' AND status = 'pending'"


def upgrade() -> None:
    with op.batch_alter_table("limit_requests", schema=None) as batch_op:
        batch_op.create_index(
            "uq_limit_requests_pending_review",
            ["company_id", "customer_id"],
            unique=True,
            postgresql_where=sa.text(PENDING_REVIEW),
            sqlite_where=sa.text(PENDING_REVIEW),
        )


def downgrade() -> None:
    with op.batch_alter_table("limit_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_limit_requests_pending_review")
