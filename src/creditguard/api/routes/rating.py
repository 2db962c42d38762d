"""The credit file, the expert scorecard policy and the customers' ratings."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from creditguard.api.deps import Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.problems import ERRORS
from creditguard.rating import service
from creditguard.rating.schemas import (
    BlendRuleIn,
    BlendRuleOut,
    CreditFileOut,
    DocumentIn,
    DocumentOut,
    OverrideIn,
    PolicyIn,
    PolicyOut,
    QualificationIn,
    QualificationOut,
    RatingOut,
    RatingsOut,
    RerateIn,
    RunOut,
    StatementIn,
    StatementOut,
)
from creditguard.rating.service import blend

router = APIRouter(tags=["rating"], responses=ERRORS)
Read = Annotated[Context, Depends(require("rating:read"))]
Write = Annotated[Context, Depends(require("customers:write"))]
CustomerId = Annotated[int, Path(gt=0, description="Customer id.")]
AsOf = Annotated[
    date | None, Query(description="Business date; today in the company's zone by default.")
]
CREDIT_ROLES = "Only a credit manager or an administrator may do this (403 for other roles)."


@router.get(
    "/customers/{customer_id}/credit-file",
    response_model=CreditFileOut,
    summary="The credit file",
    description="Basic qualification (years in business as of the date), financial statements "
    "with their ratios, documents and the rating that holds.",
)
def credit_file(customer_id: CustomerId, ctx: Read, as_of: AsOf = None) -> CreditFileOut:
    with ctx.db.read() as session:
        return service.credit_file(session, ctx.actor, customer_id, ctx.clock, as_of)


@router.put(
    "/customers/{customer_id}/credit-file/qualification",
    response_model=QualificationOut,
    summary="Set the basic qualification",
    description="Replaces licence status, registered capital, founding date, legal form and "
    "negative records (every field: a field left out becomes unknown).",
)
def put_qualification(
    customer_id: CustomerId, body: QualificationIn, ctx: Write
) -> QualificationOut:
    with ctx.db.write() as session:
        return service.put_qualification(session, ctx.actor, customer_id, body, ctx.clock)


@router.get(
    "/customers/{customer_id}/financial-statements",
    response_model=list[StatementOut],
    summary="Financial statements",
    description="Every period, newest first, each with its ratios against the period before.",
)
def statements(customer_id: CustomerId, ctx: Read) -> list[StatementOut]:
    with ctx.db.read() as session:
        return service.list_statements(session, ctx.actor, customer_id)


@router.post(
    "/customers/{customer_id}/financial-statements",
    response_model=StatementOut,
    status_code=201,
    summary="Add a financial statement",
    description="Records one period (amounts as decimal strings in the statement's currency) "
    "and answers with its ratios; a period already recorded is a conflict (409).",
)
def add_statement(customer_id: CustomerId, body: StatementIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/financial-statements",
        body,
        lambda s: service.add_statement(s, ctx.actor, customer_id, body, ctx.clock),
    )


@router.get(
    "/customers/{customer_id}/documents",
    response_model=list[DocumentOut],
    summary="Documents",
    description="The credit file's documents (licence, contracts, statements), newest first.",
)
def documents(customer_id: CustomerId, ctx: Read) -> list[DocumentOut]:
    with ctx.db.read() as session:
        return service.list_documents(session, ctx.actor, customer_id)


@router.post(
    "/customers/{customer_id}/documents",
    response_model=DocumentOut,
    status_code=201,
    summary="Register a document",
    description="Records a document's kind, file name, SHA-256 and size, and who uploaded it.",
)
def add_document(customer_id: CustomerId, body: DocumentIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/documents",
        body,
        lambda s: service.add_document(s, ctx.actor, customer_id, body, ctx.clock),
    )


@router.get(
    "/customers/{customer_id}/rating",
    response_model=RatingsOut,
    summary="Rating and history",
    description="The rating that holds and every rating before it (who, when, policy version, "
    "score, grade, reasons, overrides).",
)
def ratings(customer_id: CustomerId, ctx: Read) -> RatingsOut:
    with ctx.db.read() as session:
        return service.ratings(session, ctx.actor, customer_id)


@router.post(
    "/customers/{customer_id}/rating",
    response_model=RatingOut,
    status_code=201,
    summary="Re-rate now",
    description="Rates the customer with the current scorecard policy (a trigger event: an "
    "alert, a large order, an overdue) and sets its next review date by grade.",
)
def rerate(customer_id: CustomerId, body: RerateIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/rating",
        body,
        lambda s: service.rate_customer(
            s, ctx.actor, customer_id, ctx.clock, as_of=body.as_of, trigger="api"
        ),
    )


@router.post(
    "/customers/{customer_id}/rating/override",
    response_model=RatingOut,
    status_code=201,
    summary="Override the grade",
    description="Holds another grade than the scorecard's, with a mandatory reason; the score "
    f"and reasons stay as scored. {CREDIT_ROLES}",
)
def override(customer_id: CustomerId, body: OverrideIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/rating/override",
        body,
        lambda s: service.override(s, ctx.actor, customer_id, body, ctx.clock),
    )


@router.get(
    "/rating/policy",
    response_model=PolicyOut,
    summary="Scorecard policy",
    description="The current expert scorecard (or an earlier version): dimension and factor "
    "weights, bins, neutral points, grade cut-offs and review cycles.",
)
def policy(
    ctx: Read,
    version: Annotated[int | None, Query(gt=0, description="A past version.")] = None,
) -> PolicyOut:
    with ctx.db.write() as session:  # the first read saves the default policy as version 1
        return service.get_policy(session, ctx.actor, ctx.clock, version)


@router.put(
    "/rating/policy",
    response_model=PolicyOut,
    summary="Change the scorecard policy",
    description="Validates the policy (weights add up to 100, bins cover the range without gap "
    "or overlap, names in en and zh-CN) and saves it as a new version; earlier ratings keep "
    f"the version they used. {CREDIT_ROLES}",
)
def put_policy(body: PolicyIn, ctx: Write) -> PolicyOut:
    with ctx.db.write() as session:
        return service.put_policy(session, ctx.actor, body, ctx.clock)


@router.get(
    "/rating/blend",
    response_model=BlendRuleOut,
    summary="Blend rule",
    description="How the grade blends the expert score with a registered model's: "
    "(1 - w) x expert + w x 100 x (1 - PD). Never set: the expert score alone.",
)
def blend_rule(ctx: Read) -> BlendRuleOut:
    with ctx.db.read() as session:
        return blend.get_rule(session, ctx.actor)


@router.put(
    "/rating/blend",
    response_model=BlendRuleOut,
    summary="Change the blend rule",
    description="Saves a new version of the blend rule (weight 0-1, champion or challenger), "
    f"written to the audit log; later ratings use it. {CREDIT_ROLES}",
)
def put_blend_rule(body: BlendRuleIn, ctx: Write) -> BlendRuleOut:
    with ctx.db.write() as session:
        return blend.put_rule(session, ctx.actor, body, ctx.clock)


@router.post(
    "/rating/run",
    response_model=RunOut,
    summary="Re-rate every customer due",
    description="Rates every active customer whose review date is reached (or never rated) on "
    "the date; all=true rates every active customer.",
)
def run(
    ctx: Write,
    *,
    as_of: AsOf = None,
    everyone: Annotated[bool, Query(alias="all", description="Every active customer.")] = False,
) -> RunOut:
    with ctx.db.write() as session:
        day = as_of or service.today(session, ctx.actor, ctx.clock)
        return service.run_due(session, ctx.actor, day, ctx.clock, everyone=everyone)
