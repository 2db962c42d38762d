"""Portfolio reports: aging for any date, as JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy.orm import Session

from creditguard.analytics import behaviour, exports
from creditguard.analytics import kpis as kpi_engine
from creditguard.analytics import service as analytics
from creditguard.analytics.schemas import AgingOut, BehaviourOut, ConcentrationOut, KpisOut
from creditguard.analytics.service import AgingReport
from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.errors import locale_of
from creditguard.api.problems import ERRORS
from creditguard.clock import Clock, business_today
from creditguard.core.aging import Buckets, parse_buckets
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.db import Database
from creditguard.identity import service as identity

router = APIRouter(prefix="/reports", tags=["reports"], responses=ERRORS)
AsOf = Annotated[
    date | None, Query(description="Business date; today in the company's zone by default.")
]
Grouping = Literal["customer", "group", "industry", "region", "salesperson", "currency", "grade"]

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/aging",
    response_model=AgingOut,
    summary="Aging report",
    description="What was open on `as_of` (today by default) from the entries dated up to it, "
    "by bucket and by customer, group (parent), industry, region, salesperson, currency or "
    "credit grade (the one that held on `as_of`; `—` for customers not rated by then); "
    "converted to the base currency at the ECB rates of `as_of`. `format=csv|xlsx` downloads "
    "a file (Chinese headers with `Accept-Language: zh-CN`).",
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
def aging(
    request: Request,
    ctx: Annotated[Context, Depends(require("ledger:read"))],
    as_of: AsOf = None,
    by: Annotated[Grouping, Query(description="What each row is.")] = "customer",
    basis: Annotated[
        Literal["due", "invoice"], Query(description="Age by due or invoice date.")
    ] = "due",
    buckets: Annotated[
        str | None, Query(description="Bucket edges in days.", examples=["30,60,90,180"])
    ] = None,
    fmt: Annotated[
        Literal["json", "csv", "xlsx"], Query(alias="format", description="json, csv or xlsx.")
    ] = "json",
    customer_id: Annotated[
        int | None,
        Query(gt=0, le=MAX_ID, description="Only this customer (its own rows, by index)."),
    ] = None,
) -> Any:
    edges = parse_buckets(buckets, basis)
    report = aging_report(
        ctx.db, ctx.clock, ctx.actor, as_of, by=by, buckets=edges, customer_id=customer_id
    )
    if fmt == "json":
        return Response(report.json_body(), media_type="application/json")
    name = f"aging-{report.as_of.isoformat()}.{fmt}"
    return Response(
        exports.aging_file(report, fmt, locale_of(request)),
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def aging_report(
    db: Database,
    clock: Clock,
    actor: Actor,
    as_of: date | None,
    *,
    by: str,
    buckets: Buckets,
    customer_id: int | None,
) -> AgingReport:
    """The aging route's unit of work (one customer's also run by ``api.agingpath``): the
    report on ``as_of``, today in the company's zone when None. Another company's
    ``customer_id`` is not found, as an unknown one."""
    with db.read() as session:
        as_of = as_of or _company_today(session, actor, clock)
        return analytics.aging(
            session, actor, as_of, by=by, buckets=buckets, customer_id=customer_id
        )


@router.get(
    "/kpis",
    response_model=KpisOut | list[KpisOut],
    summary="Receivables KPIs",
    description="DSO (standard and count-back), best possible DSO, ADD, CEI, AR turnover, "
    "overdue and bad-debt ratios, top-10 share and HHI for the `days` days ending on `as_of`; "
    "with `months`, one set per calendar month (the last one month to date), oldest first.",
)
def kpis(
    ctx: Annotated[Context, Depends(require("ledger:read"))],
    as_of: AsOf = None,
    days: Annotated[int, Query(ge=1, le=3660, description="Length of the period.")] = 90,
    months: Annotated[
        int | None, Query(ge=1, le=60, description="A monthly series of this many months.")
    ] = None,
) -> Any:
    with ctx.db.read() as session:
        as_of = as_of or _today(session, ctx)
        if months:
            return [k.as_json() for k in kpi_engine.kpi_series(session, ctx.actor, as_of, months)]
        return kpi_engine.kpis(session, ctx.actor, as_of, days=days).as_json()


@router.get(
    "/concentration",
    response_model=ConcentrationOut,
    summary="Concentration of receivables",
    description="Open receivables on `as_of` per group (a parent and its members are one risk), "
    "customer, industry, region, salesperson, currency or grade: the `top` largest with their "
    "shares, the top-N share and the Herfindahl index.",
)
def concentration(
    ctx: Annotated[Context, Depends(require("ledger:read"))],
    as_of: AsOf = None,
    by: Annotated[Grouping, Query(description="Whose share.")] = "group",
    top: Annotated[int, Query(ge=1, le=1000, description="How many to list.")] = 10,
) -> Any:
    with ctx.db.read() as session:
        as_of = as_of or _today(session, ctx)
        return kpi_engine.concentration(session, ctx.actor, as_of, by=by).as_json(top)


@router.get(
    "/payment-behaviour/{customer_id}",
    response_model=BehaviourOut,
    summary="A customer's payment behaviour",
    description="Amount-weighted days late and the share paid late over the last 3, 6 and 12 "
    "months up to `as_of`, and the trend (3 months against 12). Money applied and later undone "
    "does not count.",
)
def payment_behaviour(
    ctx: Annotated[Context, Depends(require("ledger:read"))],
    customer_id: Annotated[int, PathParam(gt=0, le=MAX_ID, description="Customer id.")],
    as_of: AsOf = None,
) -> Any:
    with ctx.db.read() as session:
        customer = customers.get(session, ctx.actor, customer_id)
        as_of = as_of or _today(session, ctx)
        found = behaviour.payment_behaviour(session, ctx.actor, as_of, [customer.id])
        return found[customer.id].as_json()


def _today(session: Session, ctx: Context) -> date:
    return _company_today(session, ctx.actor, ctx.clock)


def _company_today(session: Session, actor: Actor, clock: Clock) -> date:
    company = identity.require_company(session, actor.company_id)
    return business_today(clock, company.timezone)
