"""Input and output shapes for the ledger. Amounts travel as decimal strings, never floats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.identity.schemas import Strict, example

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

# The examples tell one story: invoice INV-2026-000123 of CNY 12,800.00 to customer C-10023
# (id 17), issued 2026-10-08 on '2/10 net 30' and due 2026-11-09; one motor disputed; receipt
# RCPT-2026-0042 pays 10,000.00; credit note CN-2026-0007 settles the dispute; the rest is
# written off. A duplicate receipt (payment 43) is reversed.
LINE_IN: JsonDict = {
    "description": "伺服电机 SM-200",
    "quantity": "10",
    "unit_price": "1280.00",
    "amount": "12800.00",
}
INSTALMENT_IN: JsonDict = {"due_on": "2026-11-09", "amount": "12800.00"}
INVOICE_IN: JsonDict = {
    "external_ref": "INV-2026-000123",
    "customer_ref": "C-10023",
    "issued_on": "2026-10-08",
    "currency": "CNY",
    "amount": "12800.00",
    "payment_terms": "2/10 net 30",
    "due_on": "2026-11-09",
    "instalments": [INSTALMENT_IN],
    "order_ref": "SO-88120",
    "salesperson": "张伟",
    "description": "伺服电机 10 台",
    "lines": [LINE_IN],
}
INVOICE_BATCH_IN: JsonDict = {"invoices": [INVOICE_IN]}
INSTALMENT_OUT: JsonDict = {
    "seq": 1,
    "due_on": "2026-11-09",
    "amount": "12800.00",
    "open": "2800.00",
}
LINE_OUT: JsonDict = {"line_no": 1, **LINE_IN}
INVOICE_OUT: JsonDict = {
    "id": 123,
    "external_ref": "INV-2026-000123",
    "customer_id": 17,
    "customer_ref": "C-10023",
    "issued_on": "2026-10-08",
    "due_on": "2026-11-09",
    "currency": "CNY",
    "amount": "12800.00",
    "open": "2800.00",
    "disputed": "1280.00",
    "status": "open",
    "payment_terms": "2/10 net 30",
    "discount_rate": "0.02",
    "discount_until": "2026-10-18",
    "order_ref": "SO-88120",
    "salesperson": "张伟",
    "description": "伺服电机 10 台",
    "created_at": "2026-10-08T02:15:00Z",
    "instalments": [INSTALMENT_OUT],
    "lines": [LINE_OUT],
}
BATCH_OUT: JsonDict = {"posted": 1, "ids": [123], "totals": {"CNY": "12800.00"}}
ALLOCATION_IN: JsonDict = {"invoice_ref": "INV-2026-000123", "amount": "10000.00"}
PAYMENT_IN: JsonDict = {
    "external_ref": "RCPT-2026-0042",
    "customer_ref": "C-10023",
    "received_on": "2026-11-20",
    "currency": "CNY",
    "amount": "10000.00",
    "method": "bank_transfer",
    "bank_reference": "CMB 2026112000318",
    "allocations": [ALLOCATION_IN],
    "auto_allocate": True,
}
APPLY_IN: JsonDict = {
    "applied_on": "2026-11-25",
    "allocations": [{"invoice_ref": "INV-2026-000123", "amount": "1280.00"}],
}
APPLICATION_OUT: JsonDict = {
    "invoice_id": 123,
    "invoice_ref": "INV-2026-000123",
    "amount": "10000.00",
}
PAYMENT_OUT: JsonDict = {
    "id": 42,
    "external_ref": "RCPT-2026-0042",
    "customer_id": 17,
    "customer_ref": "C-10023",
    "received_on": "2026-11-20",
    "currency": "CNY",
    "amount": "10000.00",
    "unapplied": "0.00",
    "status": "posted",
    "method": "bank_transfer",
    "bank_reference": "CMB 2026112000318",
    "created_at": "2026-11-22T01:30:00Z",
    "applications": [APPLICATION_OUT],
}
CREDIT_NOTE_IN: JsonDict = {
    "external_ref": "CN-2026-0007",
    "customer_ref": "C-10023",
    "issued_on": "2026-11-25",
    "currency": "CNY",
    "amount": "1280.00",
    "reason": "退货 return of 1 unit SM-200",
    "invoice_ref": "INV-2026-000123",
}
CREDIT_NOTE_OUT: JsonDict = {
    "id": 7,
    "external_ref": "CN-2026-0007",
    "customer_id": 17,
    "customer_ref": "C-10023",
    "issued_on": "2026-11-25",
    "currency": "CNY",
    "amount": "1280.00",
    "unapplied": "0.00",
    "reason": "退货 return of 1 unit SM-200",
    "status": "posted",
    "created_at": "2026-11-25T03:10:00Z",
}
WRITE_OFF_IN: JsonDict = {
    "external_ref": "WO-2026-0003",
    "invoice_ref": "INV-2026-000123",
    "written_off_on": "2026-12-15",
    "amount": "1520.00",
    "reason": "协商减免 balance waived in settlement",
}
WRITE_OFF_OUT: JsonDict = {
    "id": 3,
    "external_ref": "WO-2026-0003",
    "customer_id": 17,
    "invoice_id": 123,
    "written_off_on": "2026-12-15",
    "currency": "CNY",
    "amount": "1520.00",
    "reason": "协商减免 balance waived in settlement",
    "status": "posted",
    "created_at": "2026-12-15T02:00:00Z",
}
DISPUTE_IN: JsonDict = {
    "invoice_ref": "INV-2026-000123",
    "amount": "1280.00",
    "reason": "质量问题 quality claim: 1 motor faulty",
    "opened_on": "2026-11-10",
}
DISPUTE_RESOLVE_IN: JsonDict = {
    "outcome": "resolved",
    "resolved_on": "2026-11-25",
    "resolution": "credit note CN-2026-0007 issued",
}
DISPUTE_OUT: JsonDict = {
    "id": 5,
    "customer_id": 17,
    "invoice_id": 123,
    "currency": "CNY",
    "amount": "1280.00",
    "reason": "质量问题 quality claim: 1 motor faulty",
    "status": "resolved",
    "opened_on": "2026-11-10",
    "resolved_on": "2026-11-25",
    "resolution": "credit note CN-2026-0007 issued",
    "created_at": "2026-11-10T06:45:00Z",
}
REVERSAL_IN: JsonDict = {
    "target_kind": "payment",
    "target_id": 43,
    "reversed_on": "2026-11-21",
    "reason": "posted twice by the ERP 重复入账",
}
REVERSAL_OUT: JsonDict = {
    "id": 9,
    "customer_id": 17,
    "target_kind": "payment",
    "target_id": 43,
    "reversed_on": "2026-11-21",
    "reason": "posted twice by the ERP 重复入账",
    "reinstates": False,
    "created_at": "2026-11-22T01:30:00Z",
}
CURRENCY_BALANCE: JsonDict = {
    "currency": "CNY",
    "invoiced": "12800.00",
    "paid": "10000.00",
    "credited": "0.00",
    "written_off": "0.00",
    "open": "2800.00",
    "overdue": "2800.00",
    "disputed": "1280.00",
    "unapplied": "0.00",
    "net": "2800.00",
}
BASE_TOTALS: JsonDict = {
    "currency": "CNY",
    "open": "2800.00",
    "overdue": "2800.00",
    "disputed": "1280.00",
    "unapplied": "0.00",
    "net": "2800.00",
}
BALANCE_OUT: JsonDict = {
    "customer_id": 17,
    "customer_ref": "C-10023",
    "as_of": "2026-11-22",
    "currencies": [CURRENCY_BALANCE],
    "base": BASE_TOTALS,
}


class InvoiceLineIn(Strict):
    model_config = example(LINE_IN)

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
        examples=["1280.00"],
    )
    amount: Amount


class InstalmentIn(Strict):
    model_config = example(INSTALMENT_IN)

    due_on: date = Field(description="Due date of this instalment.", examples=["2026-11-09"])
    amount: Amount


class InvoiceIn(Strict):
    model_config = example(INVOICE_IN)

    external_ref: Ref = Field(examples=["INV-2026-000123"])
    customer_ref: str = Field(
        min_length=1, max_length=64, description="Customer code.", examples=["C-10023"]
    )
    issued_on: date = Field(description="Invoice date.", examples=["2026-10-08"])
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
    model_config = example(INVOICE_BATCH_IN)

    invoices: list[InvoiceIn] = Field(
        min_length=1, max_length=5000, description="Posted all or nothing."
    )


class InstalmentOut(BaseModel):
    model_config = example(INSTALMENT_OUT)

    seq: int = Field(description="1, 2, ... in due order.")
    due_on: date = Field(description="Due date.")
    amount: str = Field(description="Amount due (decimal string).")
    open: str = Field(description="Still open (decimal string).")


class InvoiceLineOut(BaseModel):
    model_config = example(LINE_OUT)

    line_no: int = Field(description="Line number from 1.")
    description: str = Field(description="What was sold.")
    quantity: str = Field(description="Quantity.")
    unit_price: str = Field(description="Price per unit.")
    amount: str = Field(description="Line amount.")


class InvoiceOut(BaseModel):
    model_config = example(INVOICE_OUT)

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
    model_config = example(BATCH_OUT)

    posted: int = Field(description="How many entries were posted.")
    ids: list[int] = Field(description="Their ids, in the order given.")
    totals: dict[str, str] = Field(description="Control totals per currency (decimal strings).")


class AllocationIn(Strict):
    model_config = example(ALLOCATION_IN)

    invoice_ref: str = Field(
        min_length=1, max_length=64, description="Invoice to settle.", examples=["INV-2026-000123"]
    )
    amount: Amount


class PaymentIn(Strict):
    model_config = example(PAYMENT_IN)

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
    model_config = example(APPLY_IN)

    applied_on: date = Field(description="Date of the application.", examples=["2026-11-25"])
    allocations: list[AllocationIn] | None = Field(
        None,
        max_length=1000,
        description="Explicit allocation; oldest due first when absent.",
    )


class ApplicationOut(BaseModel):
    model_config = example(APPLICATION_OUT)

    invoice_id: int = Field(description="Invoice id.")
    invoice_ref: str = Field(description="Invoice number.")
    amount: str = Field(description="Net amount applied (decimal string).")


class PaymentOut(BaseModel):
    model_config = example(PAYMENT_OUT)

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
    model_config = example(CREDIT_NOTE_IN)

    external_ref: Ref = Field(examples=["CN-2026-0007"])
    customer_ref: str = Field(
        min_length=1, max_length=64, description="Customer code.", examples=["C-10023"]
    )
    issued_on: date = Field(description="Credit note date.", examples=["2026-11-25"])
    currency: Currency
    amount: Amount
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why the credit was given.",
        examples=["退货 return of 1 unit SM-200"],
    )
    invoice_ref: str | None = Field(
        None,
        max_length=64,
        description="Invoice to apply it to (up to its undisputed open amount); "
        "the rest stays unapplied.",
    )


class CreditNoteOut(BaseModel):
    model_config = example(CREDIT_NOTE_OUT)

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
    model_config = example(WRITE_OFF_IN)

    external_ref: Ref = Field(examples=["WO-2026-0003"])
    invoice_ref: str = Field(
        min_length=1,
        max_length=64,
        description="Invoice written off.",
        examples=["INV-2026-000123"],
    )
    written_off_on: date = Field(description="Date of the write-off.", examples=["2026-12-15"])
    amount: Amount | None = Field(
        None, description="Amount; the whole undisputed open amount when absent."
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why (bankruptcy, settlement, ...).",
        examples=["协商减免 balance waived in settlement"],
    )


class WriteOffOut(BaseModel):
    model_config = example(WRITE_OFF_OUT)

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
    model_config = example(DISPUTE_IN)

    invoice_ref: str = Field(
        min_length=1, max_length=64, description="Invoice disputed.", examples=["INV-2026-000123"]
    )
    amount: Amount
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="What the buyer contests.",
        examples=["质量问题 quality claim: 1 motor faulty"],
    )
    opened_on: date = Field(description="When the dispute was raised.", examples=["2026-11-10"])


class DisputeResolveIn(Strict):
    model_config = example(DISPUTE_RESOLVE_IN)

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
    model_config = example(DISPUTE_OUT)

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
    model_config = example(REVERSAL_IN)

    target_kind: TargetKind = Field(description="What to reverse.", examples=["payment"])
    target_id: int = Field(gt=0, description="Its id.", examples=[43])
    reversed_on: date = Field(description="Date of the reversal.", examples=["2026-11-21"])
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why.",
        examples=["posted twice by the ERP 重复入账"],
    )


class ReversalOut(BaseModel):
    model_config = example(REVERSAL_OUT)

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
    model_config = example(CURRENCY_BALANCE)

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
    model_config = example(BASE_TOTALS)

    currency: str = Field(description="The company's base currency.")
    open: str = Field(description="Open, in the base currency.")
    overdue: str = Field(description="Overdue, in the base currency.")
    disputed: str = Field(description="Disputed, in the base currency.")
    unapplied: str = Field(description="Unapplied, in the base currency.")
    net: str = Field(description="Net, in the base currency.")


class BalanceOut(BaseModel):
    model_config = example(BALANCE_OUT)

    customer_id: int = Field(description="Customer id.")
    customer_ref: str = Field(description="Customer code.")
    as_of: date = Field(description="Business date of the overdue figure and the exchange rates.")
    currencies: list[CurrencyBalance] = Field(description="One row per currency.")
    base: BaseTotals = Field(description="Totals in the base currency at the rates of as_of.")
