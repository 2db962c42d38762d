"""Aging buckets: the edges, both bases, labels in two languages, and bad edges refused."""

from __future__ import annotations

from datetime import date

import pytest

from creditguard.core.aging import Buckets, parse_buckets
from creditguard.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (-3, "not due"),
        (0, "not due"),  # due today
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-180"),
        (180, "91-180"),
        (181, ">180"),
        (4000, ">180"),
    ],
)
def test_by_due_date_the_edges_fall_where_a_credit_manager_expects(days: int, label: str) -> None:
    buckets = Buckets()
    assert buckets.labels()[buckets.index(days)] == label


@pytest.mark.parametrize(
    ("days", "label"),
    [(0, "0-30"), (30, "0-30"), (31, "31-60"), (180, "91-180"), (181, ">180")],
)
def test_by_invoice_date_the_age_counts_from_issue(days: int, label: str) -> None:
    buckets = Buckets(basis="invoice")
    assert buckets.labels()[buckets.index(days)] == label


def test_labels_in_both_languages_and_custom_edges() -> None:
    assert Buckets().labels("zh-CN") == (
        "未到期",
        "1-30天",
        "31-60天",
        "61-90天",
        "91-180天",
        ">180天",
    )
    custom = parse_buckets("15，45", "due")
    assert custom.labels() == ("not due", "1-15", "16-45", ">45")
    assert custom.bounds() == ((None, 0), (1, 15), (16, 45), (46, None))
    assert parse_buckets(" ", "invoice") == Buckets(basis="invoice")


def test_days_count_from_the_due_or_the_issue_date() -> None:
    as_of, due, issued = date(2026, 11, 20), date(2026, 10, 21), date(2026, 9, 21)
    assert Buckets().days(as_of, due, issued) == 30
    assert Buckets(basis="invoice").days(as_of, due, issued) == 60


@pytest.mark.parametrize("edges", [(30, 60), (7,), (30, 60, 90, 180, 365), (1, 2, 3)])
@pytest.mark.parametrize("basis", ["due", "invoice"])
def test_index_and_bounds_agree_for_every_day(edges: tuple[int, ...], basis: str) -> None:
    buckets = parse_buckets(",".join(map(str, edges)), basis)
    for days in range(-5, 400):
        low, high = buckets.bounds()[buckets.index(days)]
        assert low is None or low <= days, days
        assert high is None or days <= high, days


@pytest.mark.parametrize(
    ("text", "basis", "field", "code"),
    [
        ("30,abc", "due", "buckets", "invalid"),
        ("60,30", "due", "buckets", "invalid"),
        ("30,30", "due", "buckets", "invalid"),
        ("0,30", "due", "buckets", "out_of_range"),
        ("30,9999", "due", "buckets", "out_of_range"),
        (",".join(str(n) for n in range(1, 14)), "due", "buckets", "out_of_range"),
        ("30", "issue", "basis", "invalid"),
    ],
)
def test_bad_edges_are_refused_naming_the_field(
    text: str, basis: str, field: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_buckets(text, basis)
    assert [(p.field, p.code) for p in refused.value.problems] == [(field, code)]
