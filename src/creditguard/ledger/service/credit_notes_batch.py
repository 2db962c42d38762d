"""Many credit notes in one posting: the import path (thousands of notes from an ERP).

Same rules as :func:`post_credit_note` — each note applied to the invoice it names, oldest
instalment first, up to the invoice's undisputed open amount, the rest left unapplied — with
one customer lock for the batch and a running view of the open items, so that two notes on one
invoice never apply the same open amount twice. Then one write per table. Every problem of
every note is reported; any problem posts nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import InvalidInput, Problem
from creditguard.core.money import Money, check_currency
from creditguard.core.permissions import Actor
from creditguard.customers import repository as customers
from creditguard.customers.repository import PostingDefaults
from creditguard.ledger import repository as repo
from creditguard.ledger.schemas import CreditNoteIn
from creditguard.ledger.service._posting import (
    NewEntry,
    Placement,
    Source,
    apply_batch,
    duplicate_refs,
    place_oldest_first,
)
from creditguard.ledger.service.invoices import PostedBatch
from creditguard.ledger.service.payments_batch import settle
from creditguard.models import CreditNote


@dataclass(frozen=True, slots=True)
class _Checked:
    data: CreditNoteIn
    customer: PostingDefaults
    amount: Money
    invoice_id: int | None


@dataclass(frozen=True, slots=True)
class _Placed:
    note: _Checked
    placements: list[Placement]


def post_credit_notes(
    session: Session, actor: Actor, batch: Sequence[CreditNoteIn], clock: Clock
) -> PostedBatch:
    """Validate and place every credit note, report every problem, post all of them or none."""
    company = actor.company_id
    found = customers.posting_defaults(session, company, {n.customer_ref for n in batch})
    refs = [n.external_ref for n in batch]
    at = "credit_notes[{}]."
    problems = duplicate_refs(session, actor, CreditNote, refs, kind="credit note", at=at)
    named = {n.invoice_ref for n in batch if n.invoice_ref is not None}
    invoices = {
        ref: (invoice.id, invoice.customer_id)
        for ref, invoice in repo.invoices_by_refs(session, company, named).items()
    }
    checked: list[_Checked] = []
    for index, data in enumerate(batch):
        try:
            checked.append(_check(data, found, invoices, at.format(index)))
        except InvalidInput as error:
            problems += error.problems
    if problems:
        raise InvalidInput(problems)
    customers.lock(session, company, [c.customer.id for c in checked])
    # A note applies to the invoice it names, nothing else: only those invoices' open items.
    open_items = repo.open_items_of_invoices(session, company, named)
    placed: list[_Placed] = []
    for note in checked:
        placements: list[Placement] = []
        if note.invoice_id is not None:
            rows = open_items.get((note.customer.id, note.amount.currency), [])
            live = [r for r in rows if r.invoice_id == note.invoice_id and r.open_minor > 0]
            placements = place_oldest_first(note.amount, live)[0]
            settle(rows, placements)
        placed.append(_Placed(note, placements))
    ids = _write(session, actor, placed, clock)
    totals: dict[str, int] = defaultdict(int)
    for note in checked:
        totals[note.amount.currency] += note.amount.minor
    return PostedBatch(ids, {k: Money(v, k).decimal_string() for k, v in sorted(totals.items())})


def _check(
    data: CreditNoteIn,
    found: dict[str, PostingDefaults],
    invoices: dict[str, tuple[int, int]],
    at: str,
) -> _Checked:
    problems: list[Problem] = []
    amount = None
    try:
        check_currency(data.currency, f"{at}currency")
        amount = Money.parse(data.amount, data.currency, f"{at}amount")
        if amount.minor <= 0:
            problems.append(Problem(f"{at}amount", data.amount, "not_positive"))
    except InvalidInput as error:
        problems += error.problems
    customer = found.get(data.customer_ref)
    if customer is None:
        problems.append(
            Problem(f"{at}customer_ref", data.customer_ref, "not_found", {"kind": "customer"})
        )
    invoice_id = None
    if data.invoice_ref is not None:
        invoice = invoices.get(data.invoice_ref)
        if invoice is None or (customer is not None and invoice[1] != customer.id):
            problems.append(
                Problem(f"{at}invoice_ref", data.invoice_ref, "not_found", {"kind": "invoice"})
            )
        else:
            invoice_id = invoice[0]
    if problems or customer is None or amount is None:
        raise InvalidInput(problems)
    return _Checked(data, customer, amount, invoice_id)


def _write(session: Session, actor: Actor, placed: list[_Placed], clock: Clock) -> list[int]:
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for p in placed:
        note = p.note
        applied = sum(x.amount.minor for x in p.placements)
        rows.append(
            {
                "company_id": actor.company_id,
                "customer_id": note.customer.id,
                "external_ref": note.data.external_ref,
                "issued_on": note.data.issued_on,
                "currency": note.amount.currency,
                "amount_minor": note.amount.minor,
                "reason": note.data.reason,
                "invoice_id": note.invoice_id,
                "unapplied_minor": note.amount.minor - applied,
                "status": "posted",
                "created_at": now,
            }
        )
    ids = repo.insert_entries(session, CreditNote, actor.company_id, rows)
    entries = [
        NewEntry(
            Source("credit_note", note_id, p.note.customer.id, p.note.amount.currency),
            p.note.data.issued_on,
            p.note.amount.minor,
            p.placements,
        )
        for note_id, p in zip(ids, placed, strict=True)
    ]
    apply_batch(session, actor, entries, now, issued="credit_issued", applied="credited")
    return ids
