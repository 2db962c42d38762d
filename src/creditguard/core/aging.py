"""Aging buckets (账龄区间): where an open amount falls, by days past due or days since issue.

The one definition the rules and the reports share: reports turn :meth:`Buckets.bounds` into
column expressions, rules call :meth:`Buckets.index`, and a test holds them to each other.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from creditguard.core.errors import invalid

Basis = Literal["due", "invoice"]
DEFAULT_EDGES: Final = (30, 60, 90, 180)
MAX_BUCKETS: Final = 12
MAX_DAYS: Final = 3650


@dataclass(frozen=True, slots=True)
class Buckets:
    """Edges in days (default 30, 60, 90, 180) and a basis.

    By due date the buckets are: not due (due today or later), 1-30, 31-60, 61-90, 91-180,
    >180 days past due. By invoice date they count days since issue: 0-30, 31-60, ..., >180.
    """

    edges: tuple[int, ...] = DEFAULT_EDGES
    basis: Basis = "due"

    def __post_init__(self) -> None:
        shown = ",".join(str(e) for e in self.edges)
        if self.basis not in ("due", "invoice"):
            raise invalid(
                "basis",
                self.basis,
                "invalid",
                reason="due or invoice",
                reason_zh="应为 due 或 invoice",
            )
        if not self.edges or len(self.edges) > MAX_BUCKETS:
            raise invalid("buckets", shown, "out_of_range", low=1, high=MAX_BUCKETS)
        if any(not 1 <= e <= MAX_DAYS for e in self.edges):
            raise invalid("buckets", shown, "out_of_range", low=1, high=MAX_DAYS)
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise invalid(
                "buckets", shown, "invalid", reason="edges must increase", reason_zh="边界必须递增"
            )

    def bounds(self) -> tuple[tuple[int | None, int | None], ...]:
        """Return each bucket's days, inclusive (None: unbounded), in order."""
        first: tuple[int | None, int | None] = (
            (None, 0) if self.basis == "due" else (None, self.edges[0])
        )
        lows = (
            (1, *(e + 1 for e in self.edges))
            if self.basis == "due"
            else tuple(e + 1 for e in self.edges)
        )
        highs = self.edges if self.basis == "due" else self.edges[1:]
        middle = tuple(zip(lows, highs, strict=False))
        return (first, *middle, (self.edges[-1] + 1, None))

    def labels(self, locale: str = "en") -> tuple[str, ...]:
        """Name the buckets: "not due", "1-30", ..., ">180" (zh-CN: "未到期", "1-30天", ...)."""
        zh = locale.lower().startswith("zh")
        names: list[str] = []
        for low, high in self.bounds():
            if low is None and self.basis == "due":
                names.append("未到期" if zh else "not due")
            elif low is None:
                names.append(f"0-{high}天" if zh else f"0-{high}")
            elif high is None:
                names.append(f">{low - 1}天" if zh else f">{low - 1}")
            else:
                names.append(f"{low}-{high}天" if zh else f"{low}-{high}")
        return tuple(names)

    def days(self, as_of: date, due_on: date, issued_on: date) -> int:
        """Count days past due (by due date) or since issue (by invoice date) on ``as_of``."""
        return (as_of - (due_on if self.basis == "due" else issued_on)).days

    def index(self, days: int) -> int:
        """Return the bucket of an amount ``days`` past due (or old): 0 is the first."""
        if self.basis == "due":
            return 0 if days <= 0 else 1 + bisect_left(self.edges, days)
        return bisect_left(self.edges, days)


def parse_buckets(text: str | None, basis: str = "due") -> Buckets:
    """Read edges such as "30,60,90,180" (blank: the default) for ``basis`` "due" or "invoice"."""
    if basis not in ("due", "invoice"):
        raise invalid(
            "basis", basis, "invalid", reason="due or invoice", reason_zh="应为 due 或 invoice"
        )
    chosen: Basis = "due" if basis == "due" else "invoice"
    if text is None or not text.strip():
        return Buckets(DEFAULT_EDGES, chosen)
    try:
        edges = tuple(int(part) for part in text.replace("，", ",").split(","))
    except ValueError:
        raise invalid(
            "buckets",
            text,
            "invalid",
            reason="whole numbers of days, e.g. 30,60,90,180",
            reason_zh="应为天数，如 30,60,90,180",
        ) from None
    return Buckets(edges, chosen)
