"""Shared by the list endpoints and the change feeds: pages of entries in their documented shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from creditguard.api import presenters
from creditguard.api.deps import Context
from creditguard.api.pagination import Page
from creditguard.db.paging import PageRequest
from creditguard.ledger import service

Present = Callable[[Session, Context, list[Any]], list[BaseModel]]


def coded(present_one: Callable[[Any, str], BaseModel]) -> Present:
    """Present rows that show their customer's code (one look-up for the whole page)."""

    def present(session: Session, ctx: Context, rows: list[Any]) -> list[BaseModel]:
        codes = service.customer_codes(session, ctx.actor, [r.customer_id for r in rows])
        return [present_one(r, codes[r.customer_id]) for r in rows]

    return present


def reversals_out(session: Session, ctx: Context, rows: list[Any]) -> list[BaseModel]:
    return [presenters.reversal(r, service.reinstates(session, ctx.actor, r)) for r in rows]


def entries_page(
    ctx: Context, kind: str, filters: dict[str, Any], page: PageRequest, present: Present
) -> Page[Any]:
    with ctx.db.read() as session:
        rows, total = service.list_page(session, ctx.actor, kind, filters, page)
        items = present(session, ctx, rows)
    return Page[Any](items=items, total=total, limit=page.limit, offset=page.offset)
