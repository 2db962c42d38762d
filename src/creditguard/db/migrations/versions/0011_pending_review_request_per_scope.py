"""one pending review request per limit: the partial unique index takes the scope

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The nightly review reviews group limits too (held on the group's parent): the parent's own
# limit and its group limit may each have a pending review request, so the index of 0009 is
# per (company, customer, scope). Going down while a parent has both pending fails on the
# old index (IntegrityError, nothing changed): decide or withdraw one of them first.
NAME = "uq_limit_requests_pending_review"
PENDING_REVIEW = "origin = 'review' AND status = 'pending'"


def _create(columns: list[str]) -> None:
    with op.batch_alter_table("limit_requests", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(
            NAME,
            columns,
            unique=True,
            postgresql_where=sa.text(PENDING_REVIEW),
            sqlite_where=sa.text(PENDING_REVIEW),
        )


def upgrade() -> None:
    _create(["company_id", "customer_id", "scope"])


def downgrade() -> None:
    _create(["company_id", "customer_id"])
