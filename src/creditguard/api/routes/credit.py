"""Limit policy, customers' credit, order credit checks, held orders and webhooks (issue 6)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.errors import locale_of
from creditguard.api.idempotency import run_post
from creditguard.api.problems import ERRORS
from creditguard.credit import service
from creditguard.credit.schemas import (
    CancelOut,
    CheckIn,
    CheckOut,
    CustomerCreditOut,
    DecideIn,
    HeldOut,
    LimitPolicyIn,
    LimitPolicyOut,
    LimitPolicyVersionOut,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(tags=["credit"], responses=ERRORS)
Read = Annotated[Context, Depends(require("credit:read"))]
Check = Annotated[Context, Depends(require("credit:check"))]
Policy = Annotated[Context, Depends(require("credit:policy"))]
Decide = Annotated[Context, Depends(require("credit:decide"))]
CheckId = Annotated[int, Path(gt=0, le=MAX_ID, description="Credit check id.")]
OrderRef = Annotated[str, Path(min_length=1, max_length=64, description="The order reference.")]
AsOf = Annotated[
    date | None, Query(description="Business date; today in the company's zone by default.")
]


@router.get(
    "/credit/policy",
    response_model=LimitPolicyOut,
    summary="The limit policy that holds",
    description="The policy matrix by grade (limit rule, term, prepayment, review cycle, N days "
    "overdue tolerated) and the approval ladder. Without a stored policy: the defaults, "
    "`version: 0`, `default: true`. `?version=` reads an older version.",
)
def get_policy(
    ctx: Read,
    version: Annotated[
        int | None,
        Query(ge=0, description="A stored version (0: the defaults); default: the one that holds."),
    ] = None,
) -> LimitPolicyOut:
    with ctx.db.read() as session:
        return service.get_policy(session, ctx.actor, version)


@router.put(
    "/credit/policy",
    response_model=LimitPolicyOut,
    summary="Edit the limit policy (adds a version)",
    description="Validates the whole matrix and ladder (every problem named by field, e.g. "
    "`grades.C.limit.fixed_max`, `ladder[0].up_to`) and saves it as the next version; audited.",
)
def put_policy(body: LimitPolicyIn, ctx: Policy) -> LimitPolicyOut:
    with ctx.db.write() as session:
        return service.put_policy(session, ctx.actor, body, ctx.clock)


@router.get(
    "/credit/policy/versions",
    response_model=list[LimitPolicyVersionOut],
    summary="Versions of the limit policy",
    description="Every stored version, newest first; empty while the defaults hold.",
)
def policy_versions(ctx: Read) -> list[LimitPolicyVersionOut]:
    with ctx.db.read() as session:
        return service.policy_versions(session, ctx.actor)


@router.get(
    "/customers/{ref}/credit",
    response_model=CustomerCreditOut,
    summary="A customer's credit",
    description="Grade, the limit that holds (customer, and the group's on the parent), the "
    "suggested limit and terms with their explanation, exposure by stage and what is available.",
)
def customer_credit(
    ref: Annotated[str, Path(min_length=1, max_length=64, description="Customer code.")],
    request: Request,
    ctx: Read,
    as_of: AsOf = None,
) -> CustomerCreditOut:
    with ctx.db.read() as session:
        return service.customer_credit(
            session, ctx.actor, ref, ctx.clock, as_of=as_of, locale=locale_of(request)
        )


@router.post(
    "/credit-checks",
    response_model=CheckOut,
    summary="Check an order's credit",
    description="Approved or held, with every reason (over limit by how much, group over "
    "limit, overdue beyond N days, prepayment required, blocked, limit expired, unrated) in the "
    "caller's language. `reserve: true` and approved: the amount is reserved against the limit "
    "until the order is cancelled or invoiced. Idempotent by `order_ref`: the same order again "
    "answers the same; another customer or amount under the same `order_ref` is a 409.",
)
def run_check(body: CheckIn, request: Request, ctx: Check) -> JSONResponse:
    locale = locale_of(request)
    return run_post(
        ctx,
        "/credit-checks",
        body,
        lambda s: service.run_check(s, ctx.actor, body, ctx.clock, locale),
        status_code=200,
    )


@router.get(
    "/credit-checks",
    response_model=list[HeldOut],
    summary="Credit checks (held orders)",
    description="Checks of one status (default `held`: the orders waiting for a decision), "
    "newest first.",
)
def list_checks(
    request: Request,
    ctx: Read,
    status: Annotated[str, Query(description="approved, held, released, rejected, cancelled")] = (
        "held"
    ),
) -> list[HeldOut]:
    with ctx.db.read() as session:
        return service.list_checks(session, ctx.actor, status, locale_of(request))


def _decide(ctx: Context, check_id: int, verdict: str, body: DecideIn, locale: str) -> JSONResponse:
    return run_post(
        ctx,
        f"/credit-checks/{check_id}/{verdict}",
        body,
        lambda s: service.decide_held(
            s,
            ctx.actor,
            check_id,
            verdict=verdict,
            note=body.note,
            clock=ctx.clock,
            locale=locale,
        ),
        status_code=200,
    )


@router.post(
    "/credit-checks/{check_id}/release",
    response_model=HeldOut,
    summary="Release a held order",
    description="By someone with `credit:decide`, never the requester (403, field "
    "`decided_by`). A reserving check reserves the order's amount. Audited; the requester is "
    "told by e-mail and signed webhook.",
)
def release(check_id: CheckId, body: DecideIn, request: Request, ctx: Decide) -> JSONResponse:
    return _decide(ctx, check_id, "release", body, locale_of(request))


@router.post(
    "/credit-checks/{check_id}/reject",
    response_model=HeldOut,
    summary="Reject a held order",
    description="As release, but the order stays refused. Audited; the requester is told.",
)
def reject(check_id: CheckId, body: DecideIn, request: Request, ctx: Decide) -> JSONResponse:
    return _decide(ctx, check_id, "reject", body, locale_of(request))


@router.post(
    "/credit-checks/{order_ref}/cancel",
    response_model=CancelOut,
    summary="The order is cancelled: release its reservation",
    description="Releases the order's open reservation and withdraws a held check of it.",
)
def cancel(order_ref: OrderRef, ctx: Check) -> CancelOut:
    with ctx.db.write() as session:
        return service.cancel(session, ctx.actor, order_ref, ctx.clock)


@router.post(
    "/webhooks",
    response_model=WebhookOut,
    status_code=201,
    summary="Register a webhook",
    description="Where the ERP is told of held-order decisions. Each delivery is signed: "
    "`X-Creditguard-Signature: sha256=<HMAC-SHA256 of the raw body with the secret, hex>`, "
    "with `X-Creditguard-Timestamp` and `X-Creditguard-Delivery`.",
)
def add_webhook(body: WebhookIn, ctx: Policy) -> JSONResponse:
    return run_post(
        ctx, "/webhooks", body, lambda s: service.add_webhook(s, ctx.actor, body, ctx.clock)
    )


@router.get(
    "/webhooks",
    response_model=list[WebhookOut],
    summary="Webhooks",
    description="The registered webhooks (secrets are never shown).",
)
def webhooks(ctx: Policy) -> list[WebhookOut]:
    with ctx.db.read() as session:
        return service.list_webhooks(session, ctx.actor)
