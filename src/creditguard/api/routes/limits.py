"""Limit requests and their approval by authority, and the limit that holds for a customer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.problems import ERRORS
from creditguard.limits import service
from creditguard.limits.schemas import CustomerLimitOut, DecisionIn, LimitRequestIn, LimitRequestOut

router = APIRouter(tags=["limits"], responses=ERRORS)
Read = Annotated[Context, Depends(require("credit:read"))]
Ask = Annotated[Context, Depends(require("limits:request"))]
Decide = Annotated[Context, Depends(require("limits:approve"))]
RequestId = Annotated[int, Path(gt=0, le=MAX_ID, description="Limit request id.")]
AUTHORITY = (
    "Only a role of the approval ladder whose authority covers the amount (a higher rung, or "
    "an administrator, too) may decide, and never the requester (403 naming `approver`)."
)


@router.post(
    "/limit-requests",
    response_model=LimitRequestOut,
    status_code=201,
    summary="Request a credit limit",
    description="Asks for a customer's (or, on the group's parent, a group's) limit in the base "
    "currency, with a reason and optionally a term and an expiry; routed by amount to the "
    "lowest role of the approval ladder that may approve it.",
)
def create(body: LimitRequestIn, ctx: Ask) -> JSONResponse:
    return run_post(
        ctx,
        "/limit-requests",
        body,
        lambda s: service.create(s, ctx.actor, body, ctx.clock),
    )


@router.get(
    "/limit-requests",
    response_model=list[LimitRequestOut],
    summary="Limit requests",
    description="Newest first; by status, and with for_me=true only those the caller's role "
    "may decide.",
)
def list_requests(
    ctx: Read,
    *,
    status: Annotated[
        Literal["pending", "applied", "rejected", "withdrawn"] | None,
        Query(description="Only requests in this status."),
    ] = None,
    for_me: Annotated[
        bool, Query(description="Only requests the caller's role may decide.")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> list[LimitRequestOut]:
    with ctx.db.read() as session:
        return service.list_requests(session, ctx.actor, status=status, for_me=for_me, limit=limit)


@router.get(
    "/limit-requests/{request_id}",
    response_model=LimitRequestOut,
    summary="One limit request",
    description="The request, where it stands, who decided and why.",
)
def get(request_id: RequestId, ctx: Read) -> LimitRequestOut:
    with ctx.db.read() as session:
        return service.get(session, ctx.actor, request_id)


def _decision(ctx: Context, request_id: int, action: str, body: DecisionIn) -> JSONResponse:
    work = {"approve": service.approve, "reject": service.reject, "withdraw": service.withdraw}
    return run_post(
        ctx,
        f"/limit-requests/{request_id}/{action}",
        body,
        lambda s: work[action](s, ctx.actor, request_id, body, ctx.clock),
        status_code=200,
    )


@router.post(
    "/limit-requests/{request_id}/approve",
    response_model=LimitRequestOut,
    summary="Approve a limit request",
    description="Approves a pending request and applies the limit in the same transaction "
    f"(audited). {AUTHORITY} A request decided meanwhile is a conflict (409).",
)
def approve(request_id: RequestId, body: DecisionIn, ctx: Decide) -> JSONResponse:
    return _decision(ctx, request_id, "approve", body)


@router.post(
    "/limit-requests/{request_id}/reject",
    response_model=LimitRequestOut,
    summary="Reject a limit request",
    description=f"Rejects a pending request, with a note. {AUTHORITY}",
)
def reject(request_id: RequestId, body: DecisionIn, ctx: Decide) -> JSONResponse:
    return _decision(ctx, request_id, "reject", body)


@router.post(
    "/limit-requests/{request_id}/withdraw",
    response_model=LimitRequestOut,
    summary="Withdraw a limit request",
    description="The requester takes back a pending request (anyone else: 403).",
)
def withdraw(request_id: RequestId, body: DecisionIn, ctx: Read) -> JSONResponse:
    return _decision(ctx, request_id, "withdraw", body)


@router.get(
    "/customers/{customer_ref}/limit",
    response_model=CustomerLimitOut,
    summary="The limit that holds",
    description="The customer's limit (and the group limit held on it, for a parent) and every "
    "change, newest first, from the audit log.",
)
def customer_limit(
    customer_ref: Annotated[str, Path(max_length=64, description="Customer code.")], ctx: Read
) -> CustomerLimitOut:
    with ctx.db.read() as session:
        return service.customer_limit(session, ctx.actor, customer_ref)
