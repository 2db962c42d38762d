"""Exchange rates (ECB history, offline)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from creditguard.api.deps import Context, require
from creditguard.api.problems import ERRORS
from creditguard.reference import service
from creditguard.reference.schemas import RateOut

router = APIRouter(tags=["reference"], responses=ERRORS)


@router.get(
    "/fx-rates",
    response_model=RateOut,
    summary="Exchange rate on a date",
    description="The ECB reference rate between two currencies on a date (a cross rate through "
    "EUR), from the history shipped with creditguard.",
)
def fx_rate(
    ctx: Annotated[Context, Depends(require("reference:read"))],
    base: Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="From currency.")],
    quote: Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="To currency.")],
    on: Annotated[date, Query(description="Date; the latest quotation on or before it is used.")],
) -> RateOut:
    with ctx.db.read() as session:
        r = service.rate(session, base, quote, on)
        return RateOut(
            base=r.base, quote=r.quote, rate=str(r.rate), rate_date=r.rate_date, source=r.source
        )
