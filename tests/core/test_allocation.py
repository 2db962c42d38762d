from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.allocation import (
    Allocation,
    AllocationResult,
    OpenItem,
    allocate_explicit,
    allocate_oldest_first,
)
from creditguard.core.errors import InvalidInput
from creditguard.core.money import Money


def cny(text: str) -> Money:
    return Money.parse(text, "CNY")


def item(key: int, due: str, open_: str, issued: str | None = None) -> OpenItem:
    issued_on = date.fromisoformat(issued) if issued else None
    return OpenItem(key, date.fromisoformat(due), cny(open_), issued_on)


LEDGER = [
    item(3, "2025-03-31", "300.00"),
    item(1, "2025-01-31", "100.00"),
    item(2, "2025-02-28", "200.00"),
]


def shown(result: AllocationResult) -> tuple[list[tuple[int, str]], str]:
    pairs = [(a.key, a.amount.decimal_string()) for a in result.allocations]
    return pairs, result.unapplied.decimal_string()


@pytest.mark.parametrize(
    ("payment", "allocations", "unapplied"),
    [
        ("0.01", [(1, "0.01")], "0.00"),
        ("99.99", [(1, "99.99")], "0.00"),
        ("100.00", [(1, "100.00")], "0.00"),  # exactly the oldest invoice
        ("100.01", [(1, "100.00"), (2, "0.01")], "0.00"),  # one cent over spills to the next
        ("350.00", [(1, "100.00"), (2, "200.00"), (3, "50.00")], "0.00"),
        ("600.00", [(1, "100.00"), (2, "200.00"), (3, "300.00")], "0.00"),
        ("600.01", [(1, "100.00"), (2, "200.00"), (3, "300.00")], "0.01"),  # on account
        ("1000.00", [(1, "100.00"), (2, "200.00"), (3, "300.00")], "400.00"),
    ],
)
def test_oldest_first(payment: str, allocations: list[tuple[int, str]], unapplied: str) -> None:
    assert shown(allocate_oldest_first(cny(payment), LEDGER)) == (allocations, unapplied)


def test_oldest_first_ties_and_settled_items() -> None:
    items = [
        item(9, "2025-01-31", "10.00"),  # no issue date: after those with one
        item(8, "2025-01-31", "10.00", issued="2025-01-01"),
        item(7, "2025-01-31", "10.00", issued="2024-12-01"),
        item(5, "2025-01-31", "10.00", issued="2025-01-01"),  # same issue date: lower key first
        item(1, "2024-12-31", "0.00"),  # nothing open: skipped
    ]
    result = allocate_oldest_first(cny("35.00"), items)
    assert shown(result) == ([(7, "10.00"), (5, "10.00"), (8, "10.00"), (9, "5.00")], "0.00")


def test_oldest_first_with_nothing_open() -> None:
    assert shown(allocate_oldest_first(cny("50.00"), [])) == ([], "50.00")


@pytest.mark.parametrize("payment", ["0.00", "-1.00"])
def test_payment_must_be_positive(payment: str) -> None:
    with pytest.raises(InvalidInput) as oldest:
        allocate_oldest_first(cny(payment), LEDGER)
    with pytest.raises(InvalidInput) as explicit:
        allocate_explicit(cny(payment), LEDGER, [])
    for error in (oldest, explicit):
        assert [(p.field, p.code) for p in error.value.problems] == [("payment", "not_positive")]


def test_items_must_be_unique_positive_and_in_the_payment_currency() -> None:
    cases = [
        (
            [item(1, "2025-01-31", "1.00"), item(1, "2025-02-28", "1.00")],
            "items[1].key",
            "duplicate",
        ),
        ([item(1, "2025-01-31", "-1.00")], "items[0].open", "negative"),
        (
            [item(1, "2025-01-31", "1.00"), OpenItem(2, date(2025, 1, 1), Money(100, "USD"))],
            "items[1].open",
            "currency_mismatch",
        ),
    ]
    for items, field, code in cases:
        with pytest.raises(InvalidInput) as error:
            allocate_oldest_first(cny("1.00"), items)
        assert [(p.field, p.code) for p in error.value.problems] == [(field, code)]


def test_explicit_allocation() -> None:
    requested = [Allocation(3, cny("300.00")), Allocation(1, cny("40.00"))]
    result = allocate_explicit(cny("500.00"), LEDGER, requested)
    assert result == AllocationResult(
        (Allocation(3, cny("300.00")), Allocation(1, cny("40.00"))), cny("160.00")
    )


def test_explicit_requests_for_one_invoice_are_added_together() -> None:
    requested = [
        Allocation(1, cny("60.00")),
        Allocation(2, cny("1.00")),
        Allocation(1, cny("40.00")),
    ]
    result = allocate_explicit(cny("101.00"), LEDGER, requested)
    assert shown(result) == ([(1, "100.00"), (2, "1.00")], "0.00")


@pytest.mark.parametrize(
    ("requested", "payment", "available"),
    [
        ([Allocation(1, cny("100.00"))], "100.00", True),  # exactly the open amount
        ([Allocation(1, cny("100.01"))], "200.00", False),  # one cent over
        ([Allocation(1, cny("60.00")), Allocation(1, cny("40.01"))], "200.00", False),
    ],
)
def test_explicit_open_amount_boundary(
    requested: list[Allocation], payment: str, available: bool
) -> None:
    if available:
        assert allocate_explicit(cny(payment), LEDGER, requested).unapplied == cny("0.00")
        return
    with pytest.raises(InvalidInput) as error:
        allocate_explicit(cny(payment), LEDGER, requested)
    (problem,) = error.value.problems
    assert (problem.field, problem.code) == ("allocations[0].amount", "over_allocated")
    assert problem.params == {"requested": "100.01", "available": "100.00"}
    assert problem.message("en") == "allocating 100.01 exceeds the open amount 100.00"


def test_explicit_payment_boundary() -> None:
    requested = [Allocation(1, cny("100.00")), Allocation(2, cny("0.01"))]
    assert allocate_explicit(cny("100.01"), LEDGER, requested).unapplied == cny("0.00")
    with pytest.raises(InvalidInput) as error:
        allocate_explicit(cny("100.00"), LEDGER, requested)
    (problem,) = error.value.problems
    assert (problem.field, problem.code) == ("allocations", "over_payment")
    assert problem.params == {"requested": "100.01", "available": "100.00"}


def test_explicit_reports_every_problem_at_once() -> None:
    requested = [
        Allocation(1, cny("150.00")),  # over the 100.00 open
        Allocation(42, cny("10.00")),  # no such invoice
        Allocation(2, cny("0.00")),  # nothing
        Allocation(2, Money(500, "USD")),  # wrong currency
        Allocation(3, cny("-5.00")),  # negative
        Allocation(3, cny("300.00")),
    ]
    with pytest.raises(InvalidInput) as error:
        allocate_explicit(cny("200.00"), LEDGER, requested)
    assert [(p.field, p.code) for p in error.value.problems] == [
        ("allocations[1].invoice", "not_found"),
        ("allocations[2].amount", "not_positive"),
        ("allocations[3].amount", "currency_mismatch"),
        ("allocations[4].amount", "not_positive"),
        ("allocations[0].amount", "over_allocated"),
        ("allocations", "over_payment"),
    ]
    assert error.value.problems[0].message("zh-CN") == "未找到发票 '42'"
    assert error.value.problems[-1].params == {"requested": "450.00", "available": "200.00"}


def test_explicit_refuses_an_invoice_in_another_currency() -> None:
    items = [*LEDGER, OpenItem(4, date(2025, 1, 31), Money(1000, "USD"))]
    with pytest.raises(InvalidInput) as error:
        allocate_explicit(cny("10.00"), items, [Allocation(4, cny("10.00"))])
    assert [(p.field, p.code) for p in error.value.problems] == [
        ("allocations[0].invoice", "currency_mismatch")
    ]


open_items = st.lists(
    st.builds(
        OpenItem,
        key=st.integers(min_value=1, max_value=10**6),
        due_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
        open=st.integers(min_value=0, max_value=10**9).map(lambda m: Money(m, "CNY")),
        issued_on=st.none() | st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)),
    ),
    max_size=12,
    unique_by=lambda i: i.key,
)
payments = st.integers(min_value=1, max_value=10**10).map(lambda m: Money(m, "CNY"))


def check_result(payment: Money, items: list[OpenItem], result: AllocationResult) -> None:
    by_key = {i.key: i for i in items}
    applied = sum(a.amount.minor for a in result.allocations)
    assert applied <= payment.minor
    assert applied + result.unapplied.minor == payment.minor
    assert len({a.key for a in result.allocations}) == len(result.allocations)
    for allocation in result.allocations:
        assert 0 < allocation.amount.minor <= by_key[allocation.key].open.minor


@given(payment=payments, items=open_items)
def test_oldest_first_never_over_allocates(payment: Money, items: list[OpenItem]) -> None:
    result = allocate_oldest_first(payment, items)
    check_result(payment, items, result)
    open_total = sum(i.open.minor for i in items)
    assert result.unapplied.minor == max(0, payment.minor - open_total)


@given(payment=payments, items=open_items, data=st.data())
def test_explicit_accepts_or_refuses_but_never_over_allocates(
    payment: Money, items: list[OpenItem], data: st.DataObject
) -> None:
    requested = [
        Allocation(i.key, Money(data.draw(st.integers(1, max(1, i.open.minor))), "CNY"))
        for i in items
        if data.draw(st.booleans())
    ]
    try:
        result = allocate_explicit(payment, items, requested)
    except InvalidInput as error:
        codes = {p.code for p in error.problems}
        assert codes <= {"over_allocated", "over_payment"}
        return
    check_result(payment, items, result)
