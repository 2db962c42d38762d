"""List parameters and the page envelope shared by every list endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict, JsonValue

from creditguard.db.paging import PageRequest

T = TypeVar("T")


def _items_example(schema: JsonDict, cls: type[Any]) -> None:
    """Document ``items`` with the example of the item model: a page of one."""
    args = cls.__pydantic_generic_metadata__["args"]
    item = args[0] if args else None
    examples: list[JsonValue] = []
    if isinstance(item, type) and issubclass(item, BaseModel):
        extra = item.model_config.get("json_schema_extra")
        found = extra.get("examples") if isinstance(extra, dict) else None
        if isinstance(found, list):
            examples = found[:1]
    properties = schema["properties"]
    assert isinstance(properties, dict)
    items = properties["items"]
    assert isinstance(items, dict)
    items["examples"] = [examples]


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(json_schema_extra=_items_example)

    items: list[T] = Field(description="This page's items.")
    total: int = Field(description="How many items match the filters.", examples=[1])
    limit: int = Field(description="Page size asked for.", examples=[50])
    offset: int = Field(description="Items skipped.", examples=[0])


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
    sort: Annotated[
        str | None, Query(max_length=40, description="Field to sort by; prefix '-' for descending.")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, sort=sort)


class Changes(BaseModel, Generic[T]):
    """A page of a change feed: pass ``next_since`` and ``next_after_id`` back to continue."""

    model_config = ConfigDict(json_schema_extra=_items_example)

    items: list[T] = Field(description="Entries changed after the cursor, oldest change first.")
    next_since: datetime | None = Field(
        description="Cursor for the next call (null: nothing more now).",
        examples=["2026-11-22T01:30:00Z"],
    )
    next_after_id: int | None = Field(
        description="Second half of the cursor: the last id returned.", examples=[42]
    )
