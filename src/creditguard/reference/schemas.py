"""Shapes for exchange rates."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class RateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "base": "USD",
                    "quote": "CNY",
                    "rate": "7.1234",
                    "rate_date": "2026-11-20",
                    "source": "ECB",
                }
            ]
        }
    )

    base: str = Field(description="Currency converted from.", examples=["USD"])
    quote: str = Field(description="Currency converted to.", examples=["CNY"])
    rate: str = Field(
        description="Units of quote per unit of base (decimal string).", examples=["7.1234"]
    )
    rate_date: date = Field(
        description="The ECB quotation date used: the latest on or before the date asked for.",
        examples=["2026-11-20"],
    )
    source: str = Field(description="Where the rate comes from.", examples=["ECB"])
