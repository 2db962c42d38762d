"""Queries of the importer: sales orders (not ledger entries, so they may change)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from creditguard.db import bulk
from creditguard.db.lookups import rows_by_key
from creditguard.models import Order


def orders_by_ref(session: Session, company_id: int, refs: Sequence[str]) -> dict[str, Order]:
    return rows_by_key(session, Order, "external_ref", company_id, refs)


def add_orders(session: Session, rows: Sequence[dict[str, object]]) -> None:
    bulk.insert_rows(session, cast(Table, Order.__table__), rows)
