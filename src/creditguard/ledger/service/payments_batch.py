"""Many payments in one posting: the import path (thousands of receipts from an ERP).

Same rules as :func:`post_payment`, one customer lock for the batch, and every payment placed
against a running view of the open items, so that two payments of one batch can never apply
the same open amount twice. Then one write per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import InvalidInput, Problem
from creditguard.core.money import Money, check_currency
from creditguard.core.permissions import Actor
from creditguard.customers import repository as customers
from creditguard.customers.repository import PostingDefaults
from creditguard.ledger import repository as repo
from creditguard.ledger.repository import OpenInstalment
from creditguard.ledger.schemas import PaymentIn
from creditguard.ledger.service._posting import (
    NewEntry,
    Placement,
    Source,
    apply_batch,
    duplicate_refs,
    place_explicit,
    place_oldest_first,
)
from creditguard.ledger.service.invoices import PostedBatch
from creditguard.models import Payment


@dataclass(frozen=True, slots=True)
class _Placed:
    data: PaymentIn
    customer: PostingDefaults
    amount: Money
    placements: list[Placement]


def post_payments(
    session: Session, actor: Actor, batch: Sequence[PaymentIn], clock: Clock
) -> PostedBatch:
    """Validate and place every payment, report every problem, post all of them or none."""
    found = customers.posting_defaults(session, actor.company_id, {p.customer_ref for p in batch})
    refs = [p.external_ref for p in batch]
    problems = duplicate_refs(session, actor, Payment, refs, kind="payment", at="payments[{}].")
    checked = []
    for index, data in enumerate(batch):
        try:
            checked.append((data, *_check(data, found, f"payments[{index}].")))
        except InvalidInput as error:
            problems += error.problems
    customers.lock(session, actor.company_id, [c.id for _, c, _ in checked])
    open_items = _open_items(session, actor.company_id, checked)
    placed = _place_all(batch, checked, open_items, problems)
    if problems:
        raise InvalidInput(problems)
    ids = _write(session, actor, placed, clock)
    totals: dict[str, int] = defaultdict(int)
    for p in placed:
        totals[p.amount.currency] += p.amount.minor
    return PostedBatch(ids, {k: Money(v, k).decimal_string() for k, v in sorted(totals.items())})


def _open_items(
    session: Session, company_id: int, checked: list[tuple[PaymentIn, PostingDefaults, Money]]
) -> dict[tuple[int, str], list[OpenInstalment]]:
    """What the batch may apply money to: every open item of a customer with a payment to place
    oldest first; of the others, only the invoices their payments name."""
    whole = {c.id for data, c, _ in checked if data.allocations is None}
    named = [
        a.invoice_ref
        for data, c, _ in checked
        if data.allocations is not None and c.id not in whole
        for a in data.allocations
    ]
    found = repo.open_items_of_customers(session, company_id, sorted(whole))
    for key, rows in repo.open_items_of_invoices(session, company_id, named).items():
        if key[0] not in whole:  # another customer's invoice stays out of reach, as before
            found[key] = rows
    return found


def _check(
    data: PaymentIn, found: dict[str, PostingDefaults], at: str
) -> tuple[PostingDefaults, Money]:
    problems: list[Problem] = []
    customer = found.get(data.customer_ref)
    if customer is None:
        problems.append(
            Problem(f"{at}customer_ref", data.customer_ref, "not_found", {"kind": "customer"})
        )
    try:
        check_currency(data.currency, f"{at}currency")
        amount = Money.parse(data.amount, data.currency, f"{at}amount")
        if amount.minor <= 0:
            problems.append(Problem(f"{at}amount", data.amount, "not_positive"))
    except InvalidInput as error:
        problems += error.problems
    if problems or customer is None:
        raise InvalidInput(problems)
    return customer, amount


def _place_all(
    batch: Sequence[PaymentIn],
    checked: list[tuple[PaymentIn, PostingDefaults, Money]],
    open_items: dict[tuple[int, str], list[OpenInstalment]],
    problems: list[Problem],
) -> list[_Placed]:
    index_of = {id(data): i for i, data in enumerate(batch)}
    placed: list[_Placed] = []
    for data, customer, amount in checked:
        rows = open_items.get((customer.id, amount.currency), [])
        try:
            placements = _place(data, amount, rows)
        except InvalidInput as error:
            at = f"payments[{index_of[id(data)]}]."
            problems += [replace(p, field=at + p.field) for p in error.problems]
            continue
        settle(rows, placements)
        placed.append(_Placed(data, customer, amount, placements))
    return placed


def _place(data: PaymentIn, amount: Money, rows: list[OpenInstalment]) -> list[Placement]:
    live = [r for r in rows if r.open_minor > 0]
    if data.allocations is not None:
        wanted = {a.invoice_ref for a in data.allocations}
        return place_explicit(
            amount, [r for r in live if r.invoice_ref in wanted], data.allocations
        )[0]
    if not data.auto_allocate:
        return []
    return place_oldest_first(amount, live)[0]


def settle(rows: list[OpenInstalment], placements: list[Placement]) -> None:
    """Move the running view: what this payment took is no longer open for the next one."""
    taken: dict[int, int] = defaultdict(int)
    for p in placements:
        taken[p.instalment_id] += p.amount.minor
    by_invoice: dict[int, int] = defaultdict(int)
    for p in placements:
        by_invoice[p.invoice_id] += p.amount.minor
    for i, row in enumerate(rows):
        if row.instalment_id in taken or row.invoice_id in by_invoice:
            rows[i] = replace(
                row,
                open_minor=row.open_minor - taken.get(row.instalment_id, 0),
                invoice_open_minor=row.invoice_open_minor - by_invoice.get(row.invoice_id, 0),
            )


def _write(session: Session, actor: Actor, placed: list[_Placed], clock: Clock) -> list[int]:
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for p in placed:
        applied = sum(x.amount.minor for x in p.placements)
        rows.append(
            {
                "company_id": actor.company_id,
                "customer_id": p.customer.id,
                "external_ref": p.data.external_ref,
                "received_on": p.data.received_on,
                "currency": p.amount.currency,
                "amount_minor": p.amount.minor,
                "method": p.data.method,
                "bank_reference": p.data.bank_reference,
                "unapplied_minor": p.amount.minor - applied,
                "status": "posted",
                "created_at": now,
            }
        )
    ids = repo.insert_entries(session, Payment, actor.company_id, rows)
    _write_applications(session, actor, placed, ids, now)
    return ids


def _write_applications(
    session: Session, actor: Actor, placed: list[_Placed], ids: list[int], now: Any
) -> None:
    entries = [
        NewEntry(
            Source("payment", payment_id, p.customer.id, p.amount.currency),
            p.data.received_on,
            p.amount.minor,
            p.placements,
        )
        for payment_id, p in zip(ids, placed, strict=True)
    ]
    apply_batch(session, actor, entries, now, issued="received", applied="paid")
