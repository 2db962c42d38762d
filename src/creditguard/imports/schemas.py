"""Shapes of the import API: rows in, the row-level report out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.identity.schemas import Strict, example

ROWS_IN: JsonDict = {
    "rows": [
        {
            "external_ref": "INV-2026-000123",
            "customer_code": "C-10023",
            "issued_on": "2026-10-08",
            "currency": "CNY",
            "amount": "12800.00",
            "payment_terms": "2/10 net 30",
        }
    ]
}
ERROR: JsonDict = {
    "row": 3,
    "column": "customer_code",
    "value": "C-99999",
    "message": "customer 'C-99999' was not found",
}
REPORT: JsonDict = {
    "kind": "invoices",
    "rows": 2,
    "inserted": 1,
    "updated": 0,
    "unchanged": 0,
    "errors": [
        {
            "row": 3,
            "column": "customer_code",
            "value": "C-99999",
            "message": "customer 'C-99999' was not found",
        }
    ],
    "totals": {"CNY": "25600.00"},
}


class ImportRowsIn(Strict):
    model_config = example(ROWS_IN)

    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=100_000,
        description="Rows as objects keyed by the documented columns (English or Chinese names); "
        "amounts as decimal strings or exact JSON numbers.",
    )


class ImportErrorOut(BaseModel):
    model_config = example(ERROR)

    row: int = Field(description="Row number: 1 is the first object (in files, 1 is the header).")
    column: str = Field(description="Column at fault.")
    value: str | None = Field(description="The value given.")
    message: str = Field(description="Why it was refused (Accept-Language: en or zh-CN).")


class ImportReportOut(BaseModel):
    model_config = example(REPORT)

    kind: str = Field(description="customers, invoices, payments, credit-notes or orders.")
    rows: int = Field(description="Rows read.")
    inserted: int = Field(description="Entries created (an invoice's lines count once).")
    updated: int = Field(description="Customers or orders changed.")
    unchanged: int = Field(description="Entries already there exactly as given.")
    errors: list[ImportErrorOut] = Field(
        description="Every problem; non-empty means nothing was written."
    )
    totals: dict[str, str] = Field(description="Control totals of the rows' amounts per currency.")
