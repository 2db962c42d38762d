"""Write-offs, disputes and reversals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from creditguard.api import presenters
from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.pagination import Page, page_params
from creditguard.api.problems import ERRORS
from creditguard.api.routes._listing import entries_page, reversals_out
from creditguard.db.paging import PageRequest
from creditguard.ledger import service
from creditguard.ledger.schemas import (
    DisputeIn,
    DisputeOut,
    DisputeResolveIn,
    ReversalIn,
    ReversalOut,
    WriteOffIn,
    WriteOffOut,
)


def _write_offs(session: Session, ctx: Context, rows: list[Any]) -> list[BaseModel]:
    return [presenters.write_off(r) for r in rows]


def _disputes(session: Session, ctx: Context, rows: list[Any]) -> list[BaseModel]:
    return [presenters.dispute(r) for r in rows]


router = APIRouter(tags=["adjustments"], responses=ERRORS)
Read = Annotated[Context, Depends(require("ledger:read"))]
Paging = Annotated[PageRequest, Depends(page_params)]
CustomerQ = Annotated[int | None, Query(gt=0, le=MAX_ID, description="Filter by customer id.")]
WriteOffId = Annotated[int, Path(gt=0, le=MAX_ID, description="Write-off id.")]
DisputeId = Annotated[int, Path(gt=0, le=MAX_ID, description="Dispute id.")]
ReversalId = Annotated[int, Path(gt=0, le=MAX_ID, description="Reversal id.")]


@router.post(
    "/write-offs",
    response_model=WriteOffOut,
    status_code=201,
    summary="Write off (part of) an invoice",
    description="Writes off part or all of an invoice's undisputed open amount as bad debt.",
)
def post_write_off(
    body: WriteOffIn, ctx: Annotated[Context, Depends(require("write_offs:write"))]
) -> JSONResponse:
    return run_post(
        ctx,
        "/write-offs",
        body,
        lambda s: presenters.write_off(service.post_write_off(s, ctx.actor, body, ctx.clock)),
    )


@router.get(
    "/write-offs",
    response_model=Page[WriteOffOut],
    summary="List write-offs",
    description="One page of write-offs, filtered by customer.",
)
def list_write_offs(ctx: Read, page: Paging, customer_id: CustomerQ = None) -> Page[WriteOffOut]:
    return entries_page(ctx, "write_off", {"customer_id": customer_id}, page, _write_offs)


@router.get(
    "/write-offs/{write_off_id}",
    response_model=WriteOffOut,
    summary="One write-off",
    description="One write-off of the caller's company.",
)
def get_write_off(write_off_id: WriteOffId, ctx: Read) -> WriteOffOut:
    with ctx.db.read() as session:
        return presenters.write_off(
            service.get_entry(session, ctx.actor, "write_off", write_off_id)
        )


@router.post(
    "/disputes",
    response_model=DisputeOut,
    status_code=201,
    summary="Put part of an invoice in dispute (excluded from dunning)",
    description="Marks part of an invoice's open amount as contested by the buyer until the "
    "dispute is resolved or rejected.",
)
def open_dispute(
    body: DisputeIn, ctx: Annotated[Context, Depends(require("disputes:write"))]
) -> JSONResponse:
    return run_post(
        ctx,
        "/disputes",
        body,
        lambda s: presenters.dispute(service.open_dispute(s, ctx.actor, body, ctx.clock)),
    )


@router.get(
    "/disputes",
    response_model=Page[DisputeOut],
    summary="List disputes",
    description="One page of disputes, filtered by customer and status.",
)
def list_disputes(
    ctx: Read,
    page: Paging,
    customer_id: CustomerQ = None,
    status: Annotated[
        str | None, Query(description="Filter by status: open, resolved or rejected.")
    ] = None,
) -> Page[DisputeOut]:
    filters = {"customer_id": customer_id, "status": status}
    return entries_page(ctx, "dispute", filters, page, _disputes)


@router.get(
    "/disputes/{dispute_id}",
    response_model=DisputeOut,
    summary="One dispute",
    description="One dispute of the caller's company.",
)
def get_dispute(dispute_id: DisputeId, ctx: Read) -> DisputeOut:
    with ctx.db.read() as session:
        return presenters.dispute(service.get_dispute(session, ctx.actor, dispute_id))


@router.post(
    "/disputes/{dispute_id}/resolution",
    response_model=DisputeOut,
    status_code=201,
    summary="Resolve or reject a dispute",
    description="Closes an open dispute: the amount is no longer excluded from dunning.",
)
def resolve_dispute(
    dispute_id: DisputeId,
    body: DisputeResolveIn,
    ctx: Annotated[Context, Depends(require("disputes:write"))],
) -> JSONResponse:
    return run_post(
        ctx,
        f"/disputes/{dispute_id}/resolution",
        body,
        lambda s: presenters.dispute(
            service.resolve_dispute(s, ctx.actor, dispute_id, body, ctx.clock)
        ),
    )


def _reversal_out(session: Session, ctx: Context, reversal_id: int) -> ReversalOut:
    found = service.get_reversal(session, ctx.actor, reversal_id)
    return presenters.reversal(found, service.reinstates(session, ctx.actor, found))


@router.post(
    "/reversals",
    response_model=ReversalOut,
    status_code=201,
    summary="Reverse a posted entry (or a reversal, which reinstates the original)",
    description="Cancels an invoice, payment, credit note or write-off with an opposite entry; "
    "nothing is deleted.",
)
def reverse(
    body: ReversalIn, ctx: Annotated[Context, Depends(require("reversals:write"))]
) -> JSONResponse:
    return run_post(
        ctx,
        "/reversals",
        body,
        lambda s: _reversal_out(s, ctx, service.reverse(s, ctx.actor, body, ctx.clock).id),
    )


@router.get(
    "/reversals",
    response_model=Page[ReversalOut],
    summary="List reversals",
    description="One page of reversals, filtered by customer.",
)
def list_reversals(ctx: Read, page: Paging, customer_id: CustomerQ = None) -> Page[ReversalOut]:
    return entries_page(ctx, "reversal", {"customer_id": customer_id}, page, reversals_out)


@router.get(
    "/reversals/{reversal_id}",
    response_model=ReversalOut,
    summary="One reversal",
    description="One reversal of the caller's company.",
)
def get_reversal(reversal_id: ReversalId, ctx: Read) -> ReversalOut:
    with ctx.db.read() as session:
        return _reversal_out(session, ctx, reversal_id)
