"""Ledger rows in their documented shape (decimal strings), for the API and the CLI alike."""

from __future__ import annotations

from creditguard.core.money import Money
from creditguard.ledger.schemas import InstalmentOut, InvoiceLineOut, InvoiceOut
from creditguard.models import Instalment, Invoice, InvoiceLine


def amount(minor: int, currency: str) -> str:
    return Money(minor, currency).decimal_string()


def invoice_out(
    inv: Invoice,
    customer_ref: str,
    instalments: list[Instalment] | None = None,
    lines: list[InvoiceLine] | None = None,
) -> InvoiceOut:
    cur = inv.currency
    return InvoiceOut(
        id=inv.id,
        external_ref=inv.external_ref,
        customer_id=inv.customer_id,
        customer_ref=customer_ref,
        issued_on=inv.issued_on,
        due_on=inv.due_on,
        currency=cur,
        amount=amount(inv.amount_minor, cur),
        open=amount(inv.open_minor, cur),
        disputed=amount(inv.disputed_minor, cur),
        status=inv.status,
        payment_terms=inv.payment_terms,
        discount_rate=None if inv.discount_rate is None else str(inv.discount_rate),
        discount_until=inv.discount_until,
        order_ref=inv.order_ref,
        salesperson=inv.salesperson,
        description=inv.description,
        created_at=inv.created_at,
        instalments=None
        if instalments is None
        else [
            InstalmentOut(
                seq=i.seq,
                due_on=i.due_on,
                amount=amount(i.amount_minor, cur),
                open=amount(i.open_minor, cur),
            )
            for i in instalments
        ],
        lines=None
        if lines is None
        else [
            InvoiceLineOut(
                line_no=ln.line_no,
                description=ln.description,
                quantity=str(ln.quantity),
                unit_price=str(ln.unit_price),
                amount=amount(ln.amount_minor, cur),
            )
            for ln in lines
        ],
    )
