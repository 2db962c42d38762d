"""The one place that reads the clock. Rules take ``as_of``; services are given a Clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and simulations: it says what it is told, and moves when told."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def utc_now() -> datetime:
    return datetime.now(UTC)


def business_today(clock: Clock, timezone: str) -> date:
    """Today's business date in the company's time zone (Asia/Shanghai by default)."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()
