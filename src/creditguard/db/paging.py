"""Pagination and whitelisted sorting for list queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from creditguard.core.errors import invalid


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 50
    offset: int = 0
    sort: str | None = None


def order_by(
    stmt: Select[Any],
    sort: str | None,
    columns: Mapping[str, InstrumentedAttribute[Any]],
    default: str,
) -> Select[Any]:
    """Apply ``sort`` ("name", "-issued_on") if it names a whitelisted column."""
    spec = sort or default
    descending = spec.startswith("-")
    name = spec.lstrip("-")
    column = columns.get(name)
    if column is None:
        raise invalid(
            "sort",
            spec,
            "invalid",
            reason=f"sort by one of {', '.join(sorted(columns))} (prefix '-' for descending)",
            reason_zh=f"排序字段须为 {', '.join(sorted(columns))} 之一（前缀 '-' 表示降序）",
        )
    id_column = columns["id"]
    if descending:
        return stmt.order_by(column.desc(), id_column.desc())
    return stmt.order_by(column.asc(), id_column.asc())


def fetch_page(session: Session, stmt: Select[Any], page: PageRequest) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(page.limit).offset(page.offset)))
    return rows, total
