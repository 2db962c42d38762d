"""Queries of the importer: sales orders (not ledger entries, so they may change)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from creditguard.db import bulk
from creditguard.db.lookups import ids_by_key
from creditguard.models import Order


def orders_by_ref(session: Session, company_id: int, refs: Sequence[str]) -> dict[str, Order]:
    ids = ids_by_key(session, cast(Table, Order.__table__), "external_ref", company_id, refs)
    wanted = sorted(ids.values())
    found: dict[str, Order] = {}
    for start in range(0, len(wanted), 900):
        for order in session.scalars(
            select(Order).where(Order.id.in_(wanted[start : start + 900]))
        ):
            found[order.external_ref] = order
    return found


def add_orders(session: Session, rows: Sequence[dict[str, object]]) -> None:
    bulk.insert_rows(session, cast(Table, Order.__table__), rows)
