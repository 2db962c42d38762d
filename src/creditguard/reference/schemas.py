"""Shapes for exchange rates."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class RateOut(BaseModel):
    base: str = Field(description="Currency converted from.", examples=["USD"])
    quote: str = Field(description="Currency converted to.", examples=["CNY"])
    rate: str = Field(
        description="Units of quote per unit of base (decimal string).", examples=["7.1234"]
    )
    rate_date: date = Field(description="The ECB quotation date used (on or before as_of).")
    source: str = Field(description="Where the rate comes from.", examples=["ECB"])
