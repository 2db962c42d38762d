"""Invoices, payments and credit notes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from creditguard.api import presenters
from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.pagination import Page, page_params
from creditguard.api.problems import ERRORS
from creditguard.api.routes._listing import coded, entries_page
from creditguard.db.paging import PageRequest
from creditguard.ledger import service
from creditguard.ledger.schemas import (
    ApplyIn,
    BatchOut,
    CreditNoteIn,
    CreditNoteOut,
    EntryStatus,
    InvoiceBatchIn,
    InvoiceIn,
    InvoiceOut,
    InvoiceStatus,
    PaymentIn,
    PaymentOut,
)

router = APIRouter(tags=["ledger"], responses=ERRORS)
Read = Annotated[Context, Depends(require("ledger:read"))]
Paging = Annotated[PageRequest, Depends(page_params)]
CustomerQ = Annotated[int | None, Query(gt=0, le=MAX_ID, description="Filter by customer id.")]
FromQ = Annotated[date | None, Query(description="On or after this date.")]
ToQ = Annotated[date | None, Query(description="On or before this date.")]
InvoiceId = Annotated[int, Path(gt=0, le=MAX_ID, description="Invoice id.")]
PaymentId = Annotated[int, Path(gt=0, le=MAX_ID, description="Payment id.")]
NoteId = Annotated[int, Path(gt=0, le=MAX_ID, description="Credit note id.")]


def _code(session: Session, ctx: Context, customer_id: int) -> str:
    return service.customer_codes(session, ctx.actor, [customer_id])[customer_id]


def _invoice_out(session: Session, ctx: Context, invoice_id: int) -> InvoiceOut:
    inv, instalments, lines = service.get_invoice(session, ctx.actor, invoice_id)
    return service.invoice_out(inv, _code(session, ctx, inv.customer_id), instalments, lines)


@router.post(
    "/invoices",
    response_model=InvoiceOut,
    status_code=201,
    summary="Post an invoice",
    description="Posts an invoice from the ERP; the due date and schedule follow the payment "
    "terms unless given.",
)
def post_invoice(
    body: InvoiceIn, ctx: Annotated[Context, Depends(require("invoices:write"))]
) -> JSONResponse:
    def work(session: Session) -> InvoiceOut:
        posted = service.post_invoices(session, ctx.actor, [body], ctx.clock)
        return _invoice_out(session, ctx, posted.ids[0])

    return run_post(ctx, "/invoices", body, work)


@router.post(
    "/invoices/batch",
    response_model=BatchOut,
    status_code=201,
    summary="Post many invoices, all or nothing",
    description="Posts up to 5000 invoices in one transaction: one invalid invoice refuses the "
    "whole batch.",
)
def post_batch(
    body: InvoiceBatchIn, ctx: Annotated[Context, Depends(require("invoices:write"))]
) -> JSONResponse:
    def work(session: Session) -> BatchOut:
        posted = service.post_invoices(session, ctx.actor, body.invoices, ctx.clock)
        return BatchOut(posted=len(posted.ids), ids=posted.ids, totals=posted.totals)

    return run_post(ctx, "/invoices/batch", body, work)


@router.get(
    "/invoices",
    response_model=Page[InvoiceOut],
    summary="List invoices",
    description="One page of invoices, filtered by customer, status, currency and due date.",
)
def list_invoices(
    ctx: Read,
    page: Paging,
    customer_id: CustomerQ = None,
    status: Annotated[InvoiceStatus | None, Query(description="open, settled or reversed.")] = None,
    currency: Annotated[
        str | None, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    ] = None,
    due_from: FromQ = None,
    due_to: ToQ = None,
) -> Page[InvoiceOut]:
    filters = {
        "customer_id": customer_id,
        "status": status,
        "currency": currency,
        "due_on_from": due_from,
        "due_on_to": due_to,
    }
    return entries_page(
        ctx,
        "invoice",
        filters,
        page,
        coded(service.invoice_out),
    )


@router.get(
    "/invoices/{invoice_id}",
    response_model=InvoiceOut,
    summary="One invoice with schedule and lines",
    description="One invoice with its instalments and lines.",
)
def get_invoice(invoice_id: InvoiceId, ctx: Read) -> InvoiceOut:
    with ctx.db.read() as session:
        return _invoice_out(session, ctx, invoice_id)


def _payment_out(session: Session, ctx: Context, payment_id: int) -> PaymentOut:
    p = service.get_entry(session, ctx.actor, "payment", payment_id)
    apps = service.applications_of(session, ctx.actor, "payment", p.id)
    return presenters.payment(p, _code(session, ctx, p.customer_id), apps)


@router.post(
    "/payments",
    response_model=PaymentOut,
    status_code=201,
    summary="Post a payment (applied oldest due first, or as allocated)",
    description="Posts a receipt and applies it to the customer's invoices as allocated, oldest "
    "due first, or not at all.",
)
def post_payment(
    body: PaymentIn, ctx: Annotated[Context, Depends(require("payments:write"))]
) -> JSONResponse:
    return run_post(
        ctx,
        "/payments",
        body,
        lambda s: _payment_out(s, ctx, service.post_payment(s, ctx.actor, body, ctx.clock).id),
    )


@router.get(
    "/payments",
    response_model=Page[PaymentOut],
    summary="List payments",
    description="One page of payments, filtered by customer, status and value date.",
)
def list_payments(
    ctx: Read,
    page: Paging,
    customer_id: CustomerQ = None,
    status: Annotated[EntryStatus | None, Query(description="posted or reversed.")] = None,
    received_from: FromQ = None,
    received_to: ToQ = None,
) -> Page[PaymentOut]:
    filters = {
        "customer_id": customer_id,
        "status": status,
        "received_on_from": received_from,
        "received_on_to": received_to,
    }
    return entries_page(
        ctx,
        "payment",
        filters,
        page,
        coded(presenters.payment),
    )


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentOut,
    summary="One payment and where it went",
    description="One payment with the invoices it was applied to.",
)
def get_payment(payment_id: PaymentId, ctx: Read) -> PaymentOut:
    with ctx.db.read() as session:
        return _payment_out(session, ctx, payment_id)


@router.post(
    "/payments/{payment_id}/applications",
    response_model=PaymentOut,
    status_code=201,
    summary="Apply a payment's unapplied cash",
    description="Applies cash kept unapplied to invoices, as allocated or oldest due first.",
)
def apply_payment(
    payment_id: PaymentId,
    body: ApplyIn,
    ctx: Annotated[Context, Depends(require("payments:write"))],
) -> JSONResponse:
    def work(session: Session) -> PaymentOut:
        service.apply_unapplied(session, ctx.actor, "payment", payment_id, body, ctx.clock)
        return _payment_out(session, ctx, payment_id)

    return run_post(ctx, f"/payments/{payment_id}/applications", body, work)


@router.post(
    "/credit-notes",
    response_model=CreditNoteOut,
    status_code=201,
    summary="Post a credit note",
    description="Posts a credit note, applied to the invoice named or kept unapplied.",
)
def post_credit_note(
    body: CreditNoteIn, ctx: Annotated[Context, Depends(require("credit_notes:write"))]
) -> JSONResponse:
    def work(session: Session) -> CreditNoteOut:
        note = service.post_credit_note(session, ctx.actor, body, ctx.clock)
        return presenters.credit_note(note, body.customer_ref)

    return run_post(ctx, "/credit-notes", body, work)


@router.get(
    "/credit-notes",
    response_model=Page[CreditNoteOut],
    summary="List credit notes",
    description="One page of credit notes, filtered by customer.",
)
def list_credit_notes(
    ctx: Read, page: Paging, customer_id: CustomerQ = None
) -> Page[CreditNoteOut]:
    return entries_page(
        ctx,
        "credit_note",
        {"customer_id": customer_id},
        page,
        coded(presenters.credit_note),
    )


@router.get(
    "/credit-notes/{note_id}",
    response_model=CreditNoteOut,
    summary="One credit note",
    description="One credit note of the caller's company.",
)
def get_credit_note(note_id: NoteId, ctx: Read) -> CreditNoteOut:
    with ctx.db.read() as session:
        note = service.get_entry(session, ctx.actor, "credit_note", note_id)
        return presenters.credit_note(note, _code(session, ctx, note.customer_id))


@router.post(
    "/credit-notes/{note_id}/applications",
    response_model=CreditNoteOut,
    status_code=201,
    summary="Apply a credit note's unapplied credit",
    description="Applies credit kept unapplied to invoices, as allocated or oldest due first.",
)
def apply_credit_note(
    note_id: NoteId, body: ApplyIn, ctx: Annotated[Context, Depends(require("credit_notes:write"))]
) -> JSONResponse:
    def work(session: Session) -> CreditNoteOut:
        note = service.apply_unapplied(session, ctx.actor, "credit_note", note_id, body, ctx.clock)
        return presenters.credit_note(note, _code(session, ctx, note.customer_id))  # type: ignore[arg-type]

    return run_post(ctx, f"/credit-notes/{note_id}/applications", body, work)
