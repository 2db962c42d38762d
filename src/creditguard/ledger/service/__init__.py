"""Ledger use cases. Each takes an open session and never commits: the edge's unit of work does."""

from creditguard.ledger.service.adjustments import (
    get_dispute,
    get_reversal,
    open_dispute,
    post_write_off,
    reinstates,
    resolve_dispute,
    reverse,
)
from creditguard.ledger.service.cash import apply_unapplied, post_credit_note, post_payment
from creditguard.ledger.service.credit_notes_batch import post_credit_notes
from creditguard.ledger.service.invoice_columns import post_invoice_frame
from creditguard.ledger.service.invoices import PostedBatch, post_invoices
from creditguard.ledger.service.payments_batch import post_payments
from creditguard.ledger.service.presenting import invoice_out
from creditguard.ledger.service.queries import (
    CustomerBalanceView,
    applications_of,
    balance_report,
    changes,
    customer_balance,
    customer_codes,
    entries_by_ref,
    get_entry,
    get_invoice,
    invoice_keys,
    list_page,
)

__all__ = [
    "CustomerBalanceView",
    "PostedBatch",
    "applications_of",
    "apply_unapplied",
    "balance_report",
    "changes",
    "customer_balance",
    "customer_codes",
    "entries_by_ref",
    "get_dispute",
    "get_entry",
    "get_invoice",
    "get_reversal",
    "invoice_keys",
    "invoice_out",
    "list_page",
    "open_dispute",
    "post_credit_note",
    "post_credit_notes",
    "post_invoice_frame",
    "post_invoices",
    "post_payment",
    "post_payments",
    "post_write_off",
    "reinstates",
    "resolve_dispute",
    "reverse",
]
