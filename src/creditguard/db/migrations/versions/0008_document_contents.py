"""document contents: uploaded files kept in the database, once per company and SHA-256

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 06:56:18.030891
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import creditguard.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_contents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", creditguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_document_contents_size_positive")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_document_contents_company_id_companies"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_contents")),
        sa.UniqueConstraint(
            "company_id", "sha256", name=op.f("uq_document_contents_company_id_sha256")
        ),
    )
    with op.batch_alter_table("document_contents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_contents_company_id"), ["company_id"], unique=False
        )

    # Documents registered before uploads existed stay metadata only: no content, no type.
    with op.batch_alter_table("credit_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_type", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "content_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credit_documents_content_id_document_contents"),
            "document_contents",
            ["content_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_credit_documents_stored_type"),
            "content_id IS NULL OR content_type IS NOT NULL",
        )


def downgrade() -> None:
    # The stored files go with the table: back them up (or download them) first.
    with op.batch_alter_table("credit_documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_credit_documents_stored_type"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_credit_documents_content_id_document_contents"), type_="foreignkey"
        )
        batch_op.drop_column("content_id")
        batch_op.drop_column("content_type")

    with op.batch_alter_table("document_contents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_contents_company_id"))

    op.drop_table("document_contents")
