"""Customers, their contacts and balances."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response

from creditguard.api import presenters
from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.pagination import Page, page_params
from creditguard.api.problems import ERRORS
from creditguard.clock import business_today
from creditguard.customers import service
from creditguard.customers.schemas import (
    ContactIn,
    ContactOut,
    CustomerFilter,
    CustomerIn,
    CustomerOut,
    CustomerStatus,
    CustomerUpdate,
)
from creditguard.db.paging import PageRequest
from creditguard.identity import service as identity
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import BalanceOut

router = APIRouter(prefix="/customers", tags=["customers"], responses=ERRORS)
Read = Annotated[Context, Depends(require("customers:read"))]
Write = Annotated[Context, Depends(require("customers:write"))]
Paging = Annotated[PageRequest, Depends(page_params)]
CustomerId = Annotated[int, Path(gt=0, le=MAX_ID, description="Customer id.")]


@router.post(
    "",
    response_model=CustomerOut,
    status_code=201,
    summary="Create a customer",
    description="Creates a customer (and its contacts) under the ERP's customer number, which "
    "must be new in the company.",
)
def create(body: CustomerIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        "/customers",
        body,
        lambda s: presenters.customer(service.create(s, ctx.actor, body, ctx.clock)),
    )


@router.get(
    "",
    response_model=Page[CustomerOut],
    summary="List customers",
    description="One page of the company's customers, filtered and sorted.",
)
def list_customers(
    ctx: Read,
    page: Paging,
    status: Annotated[CustomerStatus | None, Query(description="Filter by status.")] = None,
    industry: Annotated[
        str | None, Query(max_length=100, description="Filter by industry.")
    ] = None,
    region: Annotated[str | None, Query(max_length=100, description="Filter by region.")] = None,
    country: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="Filter by country.")
    ] = None,
    salesperson: Annotated[
        str | None, Query(max_length=100, description="Filter by salesperson.")
    ] = None,
    q: Annotated[str | None, Query(max_length=100, description="Search name or code.")] = None,
) -> Page[CustomerOut]:
    filters = CustomerFilter(
        status=status,
        industry=industry,
        region=region,
        country=country,
        salesperson=salesperson,
        q=q,
    )
    with ctx.db.read() as session:
        rows, total = service.list_page(session, ctx.actor, filters, page)
        return Page[CustomerOut](
            items=[presenters.customer(c) for c in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


@router.get(
    "/{customer_id}",
    response_model=CustomerOut,
    summary="One customer",
    description="One customer of the caller's company.",
)
def get(customer_id: CustomerId, ctx: Read) -> CustomerOut:
    with ctx.db.read() as session:
        return presenters.customer(service.get(session, ctx.actor, customer_id))


@router.patch(
    "/{customer_id}",
    response_model=CustomerOut,
    summary="Change a customer",
    description="Changes the fields sent and leaves the others as they are.",
)
def update(customer_id: CustomerId, body: CustomerUpdate, ctx: Write) -> CustomerOut:
    with ctx.db.write() as session:
        return presenters.customer(service.update(session, ctx.actor, customer_id, body, ctx.clock))


@router.get(
    "/{customer_id}/contacts",
    response_model=list[ContactOut],
    summary="Contacts",
    description="The customer's contact persons.",
)
def contacts(customer_id: CustomerId, ctx: Read) -> list[ContactOut]:
    with ctx.db.read() as session:
        return [presenters.contact(c) for c in service.contacts(session, ctx.actor, customer_id)]


@router.post(
    "/{customer_id}/contacts",
    response_model=ContactOut,
    status_code=201,
    summary="Add a contact",
    description="Adds a contact person to the customer.",
)
def add_contact(
    customer_id: CustomerId,
    body: ContactIn,
    ctx: Annotated[Context, Depends(require("contacts:write"))],
) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/contacts",
        body,
        lambda s: presenters.contact(
            service.add_contact(
                s, ctx.actor, service.get(s, ctx.actor, customer_id), body, ctx.clock
            )
        ),
    )


@router.get(
    "/{customer_id}/balance",
    response_model=BalanceOut,
    summary="Balance, overdue and base totals",
    description="What the customer owes per currency on a business date, and the totals in the "
    "company's base currency at that date's exchange rates.",
)
def balance(
    customer_id: CustomerId,
    ctx: Annotated[Context, Depends(require("balances:read"))],
    as_of: Annotated[
        date | None, Query(description="Business date; today in the company's zone by default.")
    ] = None,
) -> Response:
    # Balances and overdue come back in one statement, so no snapshot across statements is
    # needed: a transaction-less read saves the BEGIN and COMMIT round trips on PostgreSQL.
    with ctx.db.lookup() as session:
        if as_of is None:
            company = identity.require_company(session, ctx.actor.company_id)
            as_of = business_today(ctx.clock, company.timezone)
        report = ledger.balance_report(session, ctx.actor, customer_id, as_of)
    # The hot read of the API: serialise once here rather than re-validate the response model.
    body = report.model_dump_json()
    return Response(body, media_type="application/json")
