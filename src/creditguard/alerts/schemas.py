"""Input and output shapes of risk alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.identity.schemas import Strict, example

# The same lists as creditguard.core.alerts (a test keeps them equal): Literal types, so that
# the OpenAPI schema lists them and a wrong one is a 422 naming the field.
Kind = Literal[
    "bankruptcy_filing", "enforcement", "litigation", "tax_violation", "payment_default",
    "equity_change", "legal_representative_change", "rating_downgrade",
    "administrative_penalty", "other",
]  # fmt: skip
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["open", "closed"]

ALERT_IN: JsonDict = {
    "kind": "litigation",
    "severity": "high",
    "observed_on": "2026-11-20",
    "source": "qichacha",
    "external_ref": "QCC-2026-118842",
    "note": "买卖合同纠纷，标的 860 万元 / sales contract dispute, 8.6M claimed",
}
LABEL_OUT: JsonDict = {"zh": "诉讼", "en": "litigation"}
ALERT_OUT: JsonDict = {
    "id": 41,
    "customer_id": 17,
    "customer_ref": "C-10023",
    **ALERT_IN,
    "kind_label": LABEL_OUT,
    "severity_label": {"zh": "高", "en": "high"},
    "recorded_on": "2026-11-22",
    "status": "open",
    "created_at": "2026-11-22T01:30:00Z",
    "created_by": "key:3",
    "closed_at": None,
    "closed_by": None,
    "close_note": None,
}
CLOSE_IN: JsonDict = {"note": "诉讼已和解 / settled out of court"}


class AlertIn(Strict):
    """A risk signal about a customer, from a person (source ``manual``) or a feed."""

    model_config = example(ALERT_IN)

    kind: Kind = Field(description="What happened.")
    severity: Severity | None = Field(
        None,
        description="low, medium, high or critical; omitted: the kind's default (critical for "
        "bankruptcy_filing and enforcement; high for litigation, tax_violation and "
        "payment_default; medium for the others).",
    )
    observed_on: date = Field(description="The day of the event (not after today).")
    source: str = Field(
        "manual",
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Who says so: manual, or the provider's or ERP's name (lower case).",
    )
    external_ref: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="The source's own id of the signal: sent again, it is the same alert "
        "(answered, nothing written); sent again with other content, a conflict (409).",
    )
    note: str | None = Field(None, max_length=2000, description="What the signal says.")


class CloseIn(Strict):
    """Closing an alert: why it no longer matters."""

    model_config = example(CLOSE_IN)

    note: str = Field(min_length=1, max_length=2000, description="Why it is closed (required).")


class LabelOut(BaseModel):
    """A name in Chinese and English."""

    model_config = example(LABEL_OUT)

    zh: str = Field(description="In Chinese.")
    en: str = Field(description="In English.")


class AlertOut(BaseModel):
    """A risk alert and where it stands."""

    model_config = example(ALERT_OUT)

    id: int = Field(description="Alert id.")
    customer_id: int = Field(description="The customer's id.")
    customer_ref: str = Field(description="The customer's code.")
    kind: Kind = Field(description="What happened.")
    kind_label: LabelOut = Field(description="The kind's name in Chinese and English.")
    severity: Severity = Field(description="low, medium, high or critical.")
    severity_label: LabelOut = Field(description="The severity's name in Chinese and English.")
    observed_on: date = Field(description="The day of the event.")
    recorded_on: date = Field(description="Business day it was recorded (company's zone).")
    source: str = Field(description="Who says so: manual, or a provider's or ERP's name.")
    external_ref: str | None = Field(None, description="The source's own id of the signal.")
    note: str | None = Field(None, description="What the signal says.")
    status: Status = Field(description="open, or closed (no longer read by the review).")
    created_at: datetime = Field(description="When it was recorded.")
    created_by: str = Field(description="Who recorded it (user:<id>, key:<id>, cli).")
    closed_at: datetime | None = Field(
        None, description="When it was closed.", examples=["2026-12-03T02:15:00Z"]
    )
    closed_by: str | None = Field(None, description="Who closed it.", examples=["user:12"])
    close_note: str | None = Field(
        None, description="Why it was closed.", examples=[CLOSE_IN["note"]]
    )
