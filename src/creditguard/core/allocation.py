"""Payment allocation: which open invoices a payment settles, and how much is left unapplied.

Two rules: :func:`allocate_oldest_first` (the default when the payer says nothing) and
:func:`allocate_explicit` (the payer's remittance advice says which invoices). Neither ever
allocates more than an invoice's open amount or more than the payment; what is not allocated is
returned as ``unapplied`` (on account), never lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from creditguard.core.errors import InvalidInput, Problem, invalid
from creditguard.core.money import Money


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice (or instalment) with money still open: ``key`` identifies it to the caller."""

    key: int
    due_on: date
    open: Money
    issued_on: date | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """``amount`` of a payment applied to the open item ``key``."""

    key: int
    amount: Money


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """The allocations made, one per item, and what is left of the payment."""

    allocations: tuple[Allocation, ...]
    unapplied: Money


def _check_payment(payment: Money) -> None:
    if payment.minor <= 0:
        raise invalid("payment", payment.decimal_string(), "not_positive")


def _index_items(items: Sequence[OpenItem]) -> dict[int, OpenItem]:
    """Index the items by key; refuse a repeated key or a negative open amount."""
    by_key: dict[int, OpenItem] = {}
    for i, item in enumerate(items):
        if item.key in by_key:
            raise invalid(f"items[{i}].key", item.key, "duplicate", kind="invoice")
        if item.open.minor < 0:
            raise invalid(f"items[{i}].open", item.open.decimal_string(), "negative")
        by_key[item.key] = item
    return by_key


def _age(item: OpenItem) -> tuple[date, bool, date, int]:
    """Sort key, oldest first: due date, then issue date (unknown last), then key."""
    return (item.due_on, item.issued_on is None, item.issued_on or item.due_on, item.key)


def allocate_oldest_first(payment: Money, items: Sequence[OpenItem]) -> AllocationResult:
    """Apply ``payment`` to the items with the earliest due date first.

    Ties go to the earlier issue date (items without one after those with one), then to the
    lower key. Items with nothing open are skipped; each item gets at most its open amount; what
    is left after the last item is unapplied. Every item must be in the payment's currency.
    """
    _check_payment(payment)
    by_key = _index_items(items)
    for i, item in enumerate(items):
        if item.open.currency != payment.currency:
            currencies = {"left": payment.currency, "right": item.open.currency}
            raise invalid(f"items[{i}].open", item.open.currency, "currency_mismatch", **currencies)
    left = payment
    allocations: list[Allocation] = []
    for item in sorted(by_key.values(), key=_age):
        if left.is_zero():
            break
        applied = min(left, item.open)
        if not applied.is_zero():
            allocations.append(Allocation(item.key, applied))
            left = left - applied
    return AllocationResult(tuple(allocations), left)


def _request_problems(
    i: int, request: Allocation, payment: Money, by_key: Mapping[int, OpenItem]
) -> list[Problem]:
    """List what is wrong with one requested allocation, on its own."""
    problems: list[Problem] = []
    item = by_key.get(request.key)
    if item is None:
        problems.append(
            Problem(f"allocations[{i}].invoice", request.key, "not_found", {"kind": "invoice"})
        )
    elif item.open.currency != payment.currency:
        params = {"left": payment.currency, "right": item.open.currency}
        problems.append(
            Problem(f"allocations[{i}].invoice", request.key, "currency_mismatch", params)
        )
    if request.amount.currency != payment.currency:
        params = {"left": payment.currency, "right": request.amount.currency}
        problems.append(
            Problem(
                f"allocations[{i}].amount", request.amount.currency, "currency_mismatch", params
            )
        )
    elif request.amount.minor <= 0:
        problems.append(
            Problem(f"allocations[{i}].amount", request.amount.decimal_string(), "not_positive")
        )
    return problems


def allocate_explicit(
    payment: Money, items: Sequence[OpenItem], requested: Sequence[Allocation]
) -> AllocationResult:
    """Apply ``payment`` as the payer asked, after checking every request.

    All problems are reported together in one :class:`InvalidInput`: unknown invoice
    (``not_found``), amount not above zero (``not_positive``), wrong currency
    (``currency_mismatch``), more than an invoice's open amount (``over_allocated``; requests for
    the same invoice are added together first) and more than the payment (``over_payment``).
    The result has one allocation per invoice, in the order first requested; the rest of the
    payment is unapplied.
    """
    _check_payment(payment)
    by_key = _index_items(items)
    problems: list[Problem] = []
    totals: dict[int, Money] = {}
    first_index: dict[int, int] = {}
    for i, request in enumerate(requested):
        own = _request_problems(i, request, payment, by_key)
        problems += own
        if not own:
            first_index.setdefault(request.key, i)
            totals[request.key] = totals.get(request.key, Money.zero(payment.currency)) + (
                request.amount
            )
    for key, asked in totals.items():
        available = by_key[key].open
        if asked > available:
            params = {"requested": asked.decimal_string(), "available": available.decimal_string()}
            field = f"allocations[{first_index[key]}].amount"
            problems.append(Problem(field, asked.decimal_string(), "over_allocated", params))
    applied = sum((m.minor for m in totals.values()), 0)
    if applied > payment.minor:
        asked_total = Money(applied, payment.currency).decimal_string()
        params = {"requested": asked_total, "available": payment.decimal_string()}
        problems.append(Problem("allocations", asked_total, "over_payment", params))
    if problems:
        raise InvalidInput(problems)
    allocations = tuple(Allocation(key, amount) for key, amount in totals.items())
    return AllocationResult(allocations, Money(payment.minor - applied, payment.currency))
