"""List parameters and the page envelope shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from creditguard.db.paging import PageRequest

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="This page's items.")
    total: int = Field(description="How many items match the filters.")
    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="Items skipped.")


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
    sort: Annotated[
        str | None, Query(max_length=40, description="Field to sort by; prefix '-' for descending.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, sort=sort)
