"""What the reports look like on the wire."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

_ROW = {
    "not due": "12800.00",
    "1-30": "0.00",
    "31-60": "5000.00",
    "61-90": "0.00",
    "91-180": "0.00",
    ">180": "0.00",
    "total": "17800.00",
}


class AgingOut(BaseModel):
    """Open receivables by age on a date, in the base currency (decimal strings)."""

    as_of: date = Field(description="The date the ledger is read as of.", examples=["2026-11-20"])
    currency: str = Field(description="Base currency of every amount.", examples=["CNY"])
    basis: str = Field(
        description="due (days past due) or invoice (days since issue).", examples=["due"]
    )
    by: str = Field(
        description="What each row is: customer, group, industry, ...", examples=["customer"]
    )
    buckets: list[str] = Field(
        description="Bucket labels, in order.",
        examples=[["not due", "1-30", "31-60", "61-90", "91-180", ">180"]],
    )
    totals: dict[str, str] = Field(
        description="Per bucket label, total and disputed (the part of the total in dispute).",
        examples=[_ROW | {"disputed": "0.00"}],
    )
    rows: list[dict[str, str]] = Field(
        description="One per key: key, bucket labels, total, disputed.",
        examples=[[{"key": "C-10023"} | _ROW | {"disputed": "0.00"}]],
    )
    original_currency: dict[str, dict[str, str]] = Field(
        description="Per original currency, the buckets before conversion.",
        examples=[{"CNY": _ROW}],
    )
