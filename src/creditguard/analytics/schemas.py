"""What the reports look like on the wire."""

from __future__ import annotations

from datetime import date
from typing import Any

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


def _figure(description: str, example: str) -> Any:  # a pydantic Field
    return Field(description=description + " None when undefined.", examples=[example])


class KpisOut(BaseModel):
    """Receivables KPIs of the period ending on ``as_of``, amounts in the base currency."""

    as_of: date = Field(description="Last day of the period.", examples=["2026-11-20"])
    period_days: int = Field(description="Days in the period.", examples=[90])
    currency: str = Field(description="Base currency.", examples=["CNY"])
    ar: str = Field(description="Open receivables on as_of.", examples=["33914079.62"])
    current_ar: str = Field(description="The part not yet due.", examples=["21866667.26"])
    overdue_ar: str = Field(description="The part past due.", examples=["12047412.36"])
    opening_ar: str = Field(
        description="Open receivables when the period began.", examples=["30350869.99"]
    )
    credit_sales: str = Field(
        description="Invoices issued in the period.", examples=["45293105.82"]
    )
    written_off: str = Field(description="Net write-offs in the period.", examples=["0.00"])
    dso: str | None = _figure("DSO, standard: AR / credit sales x days.", "67.39")
    dso_count_back: str | None = _figure(
        "DSO by the count-back method (12 months of sales).", "66.39"
    )
    best_possible_dso: str | None = _figure("Current AR / credit sales x days.", "43.45")
    add: str | None = _figure("Average days delinquent: DSO - best possible DSO.", "23.94")
    cei: str | None = _figure("Collection effectiveness index, percent.", "77.52")
    ar_turnover: str | None = _figure("Credit sales / average AR of the period.", "1.41")
    overdue_ratio: str | None = _figure("Overdue AR / AR, percent.", "35.52")
    bad_debt_ratio: str | None = _figure("Write-offs / credit sales, percent.", "0.00")
    top10_share: str | None = _figure("Share of the 10 largest groups in AR, percent.", "64.21")
    hhi: str | None = _figure("Herfindahl index of AR by group, 0-10000.", "580.03")


class ShareOut(BaseModel):
    key: str = Field(description="Group, customer, industry, ...", examples=["G-HUADONG"])
    amount: str = Field(description="Open AR in the base currency.", examples=["4801683.26"])
    share: str | None = Field(description="Percent of the total.", examples=["14.16"])


class ConcentrationOut(BaseModel):
    """Who holds the receivables: the largest shares, the top-N share and the HHI."""

    as_of: date = Field(description="Date.", examples=["2026-11-20"])
    by: str = Field(description="What a key is.", examples=["group"])
    currency: str = Field(description="Base currency.", examples=["CNY"])
    total: str = Field(description="All open AR.", examples=["33914079.62"])
    top: int = Field(description="How many keys are listed.", examples=[10])
    top_share: str | None = Field(description="Percent held by the top N.", examples=["64.21"])
    hhi: str | None = Field(description="Herfindahl index, 0-10000.", examples=["580.03"])
    rows: list[ShareOut] = Field(
        description="The largest first.",
        examples=[[{"key": "G-HUADONG", "amount": "4801683.26", "share": "14.16"}]],
    )


class WindowOut(BaseModel):
    months: int = Field(description="Length of the window ending on as_of.", examples=[3])
    payments: int = Field(description="Payments (per instalment paid) in the window.", examples=[7])
    average_days_late: str | None = Field(
        description="Amount-weighted days after the due date (early counts as 0).",
        examples=["12.40"],
    )
    share_paid_late: str | None = Field(
        description="Percent of the amount paid after the due date.", examples=["35.00"]
    )


class BehaviourOut(BaseModel):
    """How a customer pays, over the last 3, 6 and 12 months."""

    customer_id: int = Field(description="Customer id.", examples=[17])
    as_of: date = Field(description="Last day of the windows.", examples=["2026-11-20"])
    windows: list[WindowOut] = Field(
        description="3, 6 and 12 months.",
        examples=[
            [{"months": 3, "payments": 2, "average_days_late": "20.00", "share_paid_late": "50.00"}]
        ],
    )
    trend_days: str | None = Field(
        description="3-month average days late minus the 12-month one (above 0: worse).",
        examples=["4.50"],
    )
