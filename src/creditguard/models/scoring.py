"""The model registry: statistical models trained for a company, their roles, and the rule
that blends a model's score into the grade."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from creditguard.db.types import DecimalText
from creditguard.models.base import Base, TenantMixin


class ScoringModel(TenantMixin, Base):
    """One registered version of a model; its files live under the models directory and are
    checked against ``files`` (name -> SHA-256) on every load."""

    __tablename__ = "scoring_models"
    __table_args__ = (
        UniqueConstraint("company_id", "name", "version"),
        CheckConstraint("kind IN ('scorecard', 'gbm')", name="kind"),
        CheckConstraint(
            "status IN ('candidate', 'challenger', 'champion', 'retired')", name="status"
        ),
        # Segregation of duties: whoever trained or registered a model never promotes it.
        CheckConstraint(
            "promoted_by IS NULL OR (promoted_by <> trained_by AND promoted_by <> registered_by)",
            name="promoter_independent",
        ),
        # One champion per company at a time.
        Index(
            "ux_scoring_models_champion",
            "company_id",
            unique=True,
            sqlite_where=text("status = 'champion'"),
            postgresql_where=text("status = 'champion'"),
        ),
    )

    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="candidate")
    trained_at: Mapped[datetime]
    trained_by: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(64))
    data_description: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    bad_rate: Mapped[Decimal] = mapped_column(DecimalText)
    cv_metrics: Mapped[str | None] = mapped_column(Text)  # JSON, as `model train --cv-folds`
    features: Mapped[str] = mapped_column(Text)  # JSON list of feature names
    artefact_dir: Mapped[str] = mapped_column(String(255))  # relative to the models directory
    files: Mapped[str] = mapped_column(Text)  # JSON: file name -> SHA-256
    promoted_at: Mapped[datetime | None]
    promoted_by: Mapped[str | None] = mapped_column(String(64))


class ModelBlend(TenantMixin, Base):
    """One version of the blend rule: grade from (1 - w)·expert + w·model score."""

    __tablename__ = "model_blends"
    __table_args__ = (
        UniqueConstraint("company_id", "version"),
        CheckConstraint("role IN ('champion', 'challenger')", name="role"),
    )

    version: Mapped[int] = mapped_column(Integer)
    model_weight: Mapped[Decimal] = mapped_column(DecimalText)  # 0-1
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
