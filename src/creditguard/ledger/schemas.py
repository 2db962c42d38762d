"""Input and output shapes for the ledger. Amounts travel as decimal strings, never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from creditguard.identity.schemas import Strict

Amount = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        max_length=32,
        description="Decimal string in the currency's units, e.g. '1234.50' (never a float).",
        examples=["1234.50"],
    ),
]
Currency = Annotated[
    str, Field(min_length=3, max_length=3, description="ISO 4217 code.", examples=["CNY"])
]
Ref = Annotated[
    str, Field(min_length=1, max_length=64, description="The ERP's reference, unique per company.")
]
InvoiceStatus = Literal["open", "settled", "reversed"]
EntryStatus = Literal["posted", "reversed"]
TargetKind = Literal["invoice", "payment", "credit_note", "write_off", "reversal"]


class InvoiceLineIn(Strict):
    description: str = Field(
        min_length=1, max_length=500, description="What was sold.", examples=["伺服电机 SM-200"]
    )
    quantity: str = Field(
        pattern=r"^[0-9]+(\.[0-9]+)?$",
        max_length=32,
        description="Quantity (decimal string).",
        examples=["10"],
    )
    unit_price: str = Field(
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        max_length=32,
        description="Price per unit (decimal string).",
        examples=["123.45"],
    )
    amount: Amount


class InstalmentIn(Strict):
    due_on: date = Field(description="Due date of this instalment.", examples=["2026-12-31"])
    amount: Amount


class InvoiceIn(Strict):
    external_ref: Ref = Field(examples=["INV-2026-000123"])
    customer_ref: str = Field(
        min_length=1, max_length=64, description="Customer code.", examples=["C-10023"]
    )
    issued_on: date = Field(description="Invoice date.", examples=["2026-11-02"])
    currency: Currency
    amount: Amount
    payment_terms: str | None = Field(
        None,
        max_length=64,
        description="Terms ('net 30', 'eom 30', '2/10 net 30', '30% 0, 70% 60'); "
        "the customer's by default.",
        examples=["2/10 net 30"],
    )
    due_on: date | None = Field(
        None, description="Due date set by the ERP; overrides the terms' date."
    )
    instalments: list[InstalmentIn] | None = Field(
        None,
        max_length=120,
        description="Explicit schedule; amounts must add up to the amount.",
    )
    order_ref: str | None = Field(
        None, max_length=64, description="Sales order reference.", examples=["SO-88120"]
    )
    salesperson: str | None = Field(
        None, max_length=100, description="Salesperson; the customer's by default."
    )
    description: str | None = Field(None, max_length=500, description="Free text.")
    lines: list[InvoiceLineIn] = Field(
        default_factory=list,
        max_length=1000,
        description="Optional lines; they must add up to the amount.",
    )


class InvoiceBatchIn(Strict):
    invoices: list[InvoiceIn] = Field(
        min_length=1, max_length=5000, description="Posted all or nothing."
    )


class InstalmentOut(BaseModel):
    seq: int = Field(description="1, 2, ... in due order.")
    due_on: date = Field(description="Due date.")
    amount: str = Field(description="Amount due (decimal string).")
    open: str = Field(description="Still open (decimal string).")


class InvoiceLineOut(BaseModel):
    line_no: int = Field(description="Line number from 1.")
    description: str = Field(description="What was sold.")
    quantity: str = Field(description="Quantity.")
    unit_price: str = Field(description="Price per unit.")
    amount: str = Field(description="Line amount.")


class InvoiceOut(BaseModel):
    id: int = Field(description="Invoice id.")
    external_ref: str = Field(description="The ERP's invoice number.")
    customer_id: int = Field(description="Customer id.")
    customer_ref: str = Field(description="Customer code.")
    issued_on: date = Field(description="Invoice date.")
    due_on: date = Field(description="Final due date.")
    currency: str = Field(description="ISO 4217 code.")
    amount: str = Field(description="Invoice amount.")
    open: str = Field(description="Still owed.")
    disputed: str = Field(description="Part under dispute (excluded from dunning).")
    status: InvoiceStatus = Field(description="open, settled or reversed.")
    payment_terms: str = Field(description="Terms, canonical form.")
    discount_rate: str | None = Field(description="Cash discount rate, e.g. '0.02'.")
    discount_until: date | None = Field(description="Last day for the cash discount.")
    order_ref: str | None = Field(description="Sales order reference.")
    salesperson: str | None = Field(description="Salesperson.")
    description: str | None = Field(description="Free text.")
    created_at: datetime = Field(description="When it was posted (UTC).")
    instalments: list[InstalmentOut] | None = Field(
        None, description="Schedule (detail view only)."
    )
    lines: list[InvoiceLineOut] | None = Field(None, description="Lines (detail view only).")


class BatchOut(BaseModel):
    posted: int = Field(description="How many entries were posted.")
    ids: list[int] = Field(description="Their ids, in the order given.")
    totals: dict[str, str] = Field(description="Control totals per currency (decimal strings).")


class AllocationIn(Strict):
    invoice_ref: str = Field(
        min_length=1, max_length=64, description="Invoice to settle.", examples=["INV-2026-000123"]
    )
    amount: Amount


class PaymentIn(Strict):
    external_ref: Ref = Field(examples=["RCPT-2026-0042"])
    customer_ref: str = Field(
        min_length=1, max_length=64, description="Customer code.", examples=["C-10023"]
    )
    received_on: date = Field(description="Value date of the receipt.", examples=["2026-11-20"])
    currency: Currency
    amount: Amount
    method: str | None = Field(
        None,
        max_length=32,
        description="bank_transfer, bill, cash, ...",
        examples=["bank_transfer"],
    )
    bank_reference: str | None = Field(
        None, max_length=100, description="Bank statement reference."
    )
    allocations: list[AllocationIn] | None = Field(
        None,
        max_length=1000,
        description="Explicit allocation; when absent the cash goes to the oldest due items first.",
    )
    auto_allocate: bool = Field(
        default=True,
        description="With no explicit allocations: apply oldest due first (true) "
        "or keep all unapplied (false).",
    )


class ApplyIn(Strict):
    applied_on: date = Field(description="Date of the application.", examples=["2026-11-21"])
    allocations: list[AllocationIn] | None = Field(
        None,
        max_length=1000,
        description="Explicit allocation; oldest due first when absent.",
    )


class ApplicationOut(BaseModel):
    invoice_id: int = Field(description="Invoice id.")
    invoice_ref: str = Field(description="Invoice number.")
    amount: str = Field(description="Net amount applied (decimal string).")


class PaymentOut(BaseModel):
    id: int = Field(description="Payment id.")
    external_ref: str = Field(description="The ERP's receipt number.")
    customer_id: int = Field(description="Customer id.")
    customer_ref: str = Field(description="Customer code.")
    received_on: date = Field(description="Value date.")
    currency: str = Field(description="ISO 4217 code.")
    amount: str = Field(description="Amount received.")
    unapplied: str = Field(description="Cash not yet applied to invoices.")
    status: EntryStatus = Field(description="posted or reversed.")
    method: str | None = Field(description="Payment method.")
    bank_reference: str | None = Field(description="Bank reference.")
    created_at: datetime = Field(description="When it was posted (UTC).")
    applications: list[ApplicationOut] | None = Field(
        None, description="Where the cash went (detail view)."
    )


class CreditNoteIn(Strict):
    external_ref: Ref = Field(examples=["CN-2026-0007"])
    customer_ref: str = Field(
        min_length=1, max_length=64, description="Customer code.", examples=["C-10023"]
    )
    issued_on: date = Field(description="Credit note date.", examples=["2026-11-15"])
    currency: Currency
    amount: Amount
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why the credit was given.",
        examples=["退货 return of 2 units"],
    )
    invoice_ref: str | None = Field(
        None,
        max_length=64,
        description="Invoice to apply it to (up to its undisputed open amount); "
        "the rest stays unapplied.",
    )


class CreditNoteOut(BaseModel):
    id: int = Field(description="Credit note id.")
    external_ref: str = Field(description="The ERP's credit note number.")
    customer_id: int = Field(description="Customer id.")
    customer_ref: str = Field(description="Customer code.")
    issued_on: date = Field(description="Date.")
    currency: str = Field(description="ISO 4217 code.")
    amount: str = Field(description="Amount credited.")
    unapplied: str = Field(description="Credit not yet applied.")
    reason: str = Field(description="Why.")
    status: EntryStatus = Field(description="posted or reversed.")
    created_at: datetime = Field(description="When it was posted (UTC).")


class WriteOffIn(Strict):
    external_ref: Ref = Field(examples=["WO-2026-0003"])
    invoice_ref: str = Field(
        min_length=1,
        max_length=64,
        description="Invoice written off.",
        examples=["INV-2025-000981"],
    )
    written_off_on: date = Field(description="Date of the write-off.", examples=["2026-11-20"])
    amount: Amount | None = Field(
        None, description="Amount; the whole undisputed open amount when absent."
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why (bankruptcy, settlement, ...).",
        examples=["买方破产 buyer insolvent"],
    )


class WriteOffOut(BaseModel):
    id: int = Field(description="Write-off id.")
    external_ref: str = Field(description="Reference.")
    customer_id: int = Field(description="Customer id.")
    invoice_id: int = Field(description="Invoice id.")
    written_off_on: date = Field(description="Date.")
    currency: str = Field(description="ISO 4217 code.")
    amount: str = Field(description="Amount written off.")
    reason: str = Field(description="Why.")
    status: EntryStatus = Field(description="posted or reversed.")
    created_at: datetime = Field(description="When it was posted (UTC).")


class DisputeIn(Strict):
    invoice_ref: str = Field(
        min_length=1, max_length=64, description="Invoice disputed.", examples=["INV-2026-000123"]
    )
    amount: Amount
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="What the buyer contests.",
        examples=["质量问题 quality claim"],
    )
    opened_on: date = Field(description="When the dispute was raised.", examples=["2026-11-10"])


class DisputeResolveIn(Strict):
    outcome: Literal["resolved", "rejected"] = Field(
        description="resolved (settled) or rejected (claim refused)."
    )
    resolved_on: date = Field(description="Date of the decision.", examples=["2026-11-25"])
    resolution: str = Field(
        min_length=1,
        max_length=500,
        description="What was decided.",
        examples=["credit note CN-2026-0007 issued"],
    )


class DisputeOut(BaseModel):
    id: int = Field(description="Dispute id.")
    customer_id: int = Field(description="Customer id.")
    invoice_id: int = Field(description="Invoice id.")
    currency: str = Field(description="ISO 4217 code.")
    amount: str = Field(description="Disputed amount.")
    reason: str = Field(description="What is contested.")
    status: Literal["open", "resolved", "rejected"] = Field(description="State of the dispute.")
    opened_on: date = Field(description="Raised on.")
    resolved_on: date | None = Field(description="Decided on.")
    resolution: str | None = Field(description="What was decided.")
    created_at: datetime = Field(description="Recorded at (UTC).")


class ReversalIn(Strict):
    target_kind: TargetKind = Field(description="What to reverse.", examples=["payment"])
    target_id: int = Field(gt=0, description="Its id.", examples=[42])
    reversed_on: date = Field(description="Date of the reversal.", examples=["2026-11-21"])
    reason: str = Field(
        min_length=1, max_length=500, description="Why.", examples=["bounced bank transfer 退票"]
    )


class ReversalOut(BaseModel):
    id: int = Field(description="Reversal id.")
    customer_id: int = Field(description="Customer id.")
    target_kind: TargetKind = Field(description="What was reversed.")
    target_id: int = Field(description="Its id.")
    reversed_on: date = Field(description="Date.")
    reason: str = Field(description="Why.")
    reinstates: bool = Field(
        description="True when this reverses a reversal, putting the original back."
    )
    created_at: datetime = Field(description="Recorded at (UTC).")


class CurrencyBalance(BaseModel):
    currency: str = Field(description="ISO 4217 code.")
    invoiced: str = Field(description="Invoices posted and not reversed.")
    paid: str = Field(description="Cash applied to invoices.")
    credited: str = Field(description="Credit notes applied to invoices.")
    written_off: str = Field(description="Written off.")
    open: str = Field(description="Open invoices = invoiced - paid - credited - written off.")
    overdue: str = Field(description="Open instalments due before as_of.")
    disputed: str = Field(description="Open amount under dispute.")
    unapplied: str = Field(description="Cash and credits received but not applied.")
    net: str = Field(description="open - unapplied: what the customer owes on balance.")


class BaseTotals(BaseModel):
    currency: str = Field(description="The company's base currency.")
    open: str = Field(description="Open, in the base currency.")
    overdue: str = Field(description="Overdue, in the base currency.")
    disputed: str = Field(description="Disputed, in the base currency.")
    unapplied: str = Field(description="Unapplied, in the base currency.")
    net: str = Field(description="Net, in the base currency.")


class BalanceOut(BaseModel):
    customer_id: int = Field(description="Customer id.")
    customer_ref: str = Field(description="Customer code.")
    as_of: date = Field(description="Business date of the overdue figure and the exchange rates.")
    currencies: list[CurrencyBalance] = Field(description="One row per currency.")
    base: BaseTotals = Field(description="Totals in the base currency at the rates of as_of.")
