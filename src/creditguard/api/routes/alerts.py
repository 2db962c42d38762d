"""Risk alerts (风险预警信号): record on a customer, list, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from creditguard.alerts import service
from creditguard.alerts.schemas import AlertIn, AlertOut, CloseIn, Severity, Status
from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.problems import ERRORS

router = APIRouter(tags=["alerts"], responses=ERRORS)
Read = Annotated[Context, Depends(require("alerts:read"))]
Write = Annotated[Context, Depends(require("alerts:write"))]
CustomerId = Annotated[int, Path(gt=0, le=MAX_ID, description="Customer id.")]
AlertId = Annotated[int, Path(gt=0, le=MAX_ID, description="Alert id.")]


@router.post(
    "/customers/{customer_id}/alerts",
    response_model=AlertOut,
    status_code=201,
    summary="Record a risk alert",
    description="Records an external risk signal on a customer (litigation, enforcement, a "
    "bankruptcy filing, ...), audited. A feed names its `source` and `external_ref`: the same "
    "signal sent again answers the alert it made (201, nothing written); the same reference "
    "with other content is a conflict (409 naming `external_ref`). The nightly limit review "
    "cuts for new critical and high alerts and proposes no increase while one is open.",
)
def create(customer_id: CustomerId, body: AlertIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/alerts",
        body,
        lambda s: service.record(s, ctx.actor, customer_id, body, ctx.clock),
    )


@router.get(
    "/alerts",
    response_model=list[AlertOut],
    summary="Risk alerts",
    description="Newest first; by status, customer and severity.",
)
def list_alerts(
    ctx: Read,
    *,
    status: Annotated[Status | None, Query(description="Only alerts in this status.")] = None,
    customer_id: Annotated[
        int | None, Query(gt=0, le=MAX_ID, description="Only this customer's alerts.")
    ] = None,
    severity: Annotated[Severity | None, Query(description="Only this severity.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> list[AlertOut]:
    with ctx.db.read() as session:
        return service.list_alerts(
            session,
            ctx.actor,
            status=status,
            customer_id=customer_id,
            severity=severity,
            limit=limit,
        )


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertOut,
    summary="One risk alert",
    description="The alert and where it stands.",
)
def get(alert_id: AlertId, ctx: Read) -> AlertOut:
    with ctx.db.read() as session:
        return service.get(session, ctx.actor, alert_id)


@router.post(
    "/alerts/{alert_id}/close",
    response_model=AlertOut,
    summary="Close a risk alert",
    description="Closes an open alert with a note (audited); the review no longer reads it. "
    "An alert already closed is a conflict (409).",
)
def close(alert_id: AlertId, body: CloseIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/alerts/{alert_id}/close",
        body,
        lambda s: service.close(s, ctx.actor, alert_id, body, ctx.clock),
        status_code=200,
    )
