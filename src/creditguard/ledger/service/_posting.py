"""Shared posting mechanics: balance deltas and applying money to open instalments."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from creditguard.core.allocation import (
    Allocation,
    OpenItem,
    allocate_explicit,
    allocate_oldest_first,
)
from creditguard.core.errors import Conflict, InvalidInput, Problem
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.ledger import repository as repo
from creditguard.ledger.repository import OpenInstalment
from creditguard.ledger.schemas import AllocationIn
from creditguard.models import Application, Invoice


class Deltas:
    """Changes to customers' running totals, written in one statement at the end."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)

    def add(self, customer_id: int, currency: str, **changes: int) -> None:
        row = self.rows[(customer_id, currency)]
        for name, value in changes.items():
            row[f"{name}_minor"] = row.get(f"{name}_minor", 0) + value

    def write(self, session: Session, company_id: int) -> None:
        repo.bump_balances(session, company_id, self.rows)


@dataclass(frozen=True, slots=True)
class Placement:
    """Money put on one instalment of one invoice."""

    instalment_id: int
    invoice_id: int
    amount: Money


def instalment_items(rows: Sequence[OpenInstalment], currency: str) -> list[OpenItem]:
    """Open instalments as allocatable items, the disputed part of each invoice held back.

    The disputed amount is taken from the invoice's latest instalments first, so that the
    earliest due money stays collectable (seed: the disputed part is excluded from dunning).
    """
    held: dict[int, int] = {}
    for row in rows:
        held.setdefault(row.invoice_id, row.invoice_disputed_minor)
    items: list[OpenItem] = []
    for row in reversed(rows):
        blocked = min(held[row.invoice_id], row.open_minor)
        held[row.invoice_id] -= blocked
        items.append(
            OpenItem(
                key=row.instalment_id,
                due_on=row.due_on,
                issued_on=row.issued_on,
                open=Money(row.open_minor - blocked, currency),
            )
        )
    items.reverse()
    return items


def place_oldest_first(
    amount: Money, rows: Sequence[OpenInstalment]
) -> tuple[list[Placement], Money]:
    invoice_of = {row.instalment_id: row.invoice_id for row in rows}
    result = allocate_oldest_first(amount, instalment_items(rows, amount.currency))
    placements = [Placement(a.key, invoice_of[a.key], a.amount) for a in result.allocations]
    return placements, result.unapplied


def place_explicit(
    amount: Money, rows: Sequence[OpenInstalment], requested: Sequence[AllocationIn]
) -> tuple[list[Placement], Money]:
    """Validate an explicit allocation by invoice, then spread it over the instalments."""
    items = instalment_items(rows, amount.currency)
    by_invoice: dict[str, list[OpenItem]] = defaultdict(list)
    invoice_ids: dict[str, int] = {}
    for row, item in zip(rows, items, strict=True):
        by_invoice[row.invoice_ref].append(item)
        invoice_ids[row.invoice_ref] = row.invoice_id
    wanted, problems = _requested(requested, amount.currency, invoice_ids)
    if problems:
        raise InvalidInput(problems)
    invoice_items = [
        OpenItem(key=invoice_ids[ref], due_on=its[0].due_on, open=_sum(its, amount.currency))
        for ref, its in by_invoice.items()
    ]
    result = allocate_explicit(amount, invoice_items, wanted)
    ref_of = {v: k for k, v in invoice_ids.items()}
    placements: list[Placement] = []
    for allocation in result.allocations:
        spread = allocate_oldest_first(allocation.amount, by_invoice[ref_of[allocation.key]])
        placements += [Placement(a.key, allocation.key, a.amount) for a in spread.allocations]
    return placements, result.unapplied


def _sum(items: Sequence[OpenItem], currency: str) -> Money:
    return Money(sum(i.open.minor for i in items), currency)


def _requested(
    requested: Sequence[AllocationIn], currency: str, invoice_ids: dict[str, int]
) -> tuple[list[Allocation], list[Problem]]:
    wanted: list[Allocation] = []
    problems: list[Problem] = []
    for i, item in enumerate(requested):
        try:
            money = Money.parse(item.amount, currency, f"allocations[{i}].amount")
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        if item.invoice_ref not in invoice_ids:
            problems.append(
                Problem(
                    f"allocations[{i}].invoice_ref",
                    item.invoice_ref,
                    "not_found",
                    {"kind": "invoice"},
                )
            )
            continue
        wanted.append(Allocation(invoice_ids[item.invoice_ref], money))
    return wanted, problems


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # payment | credit_note | write_off
    id: int
    customer_id: int
    currency: str


def apply(  # noqa: PLR0913 - keyword-only beyond the first four
    session: Session,
    actor: Actor,
    source: Source,
    placements: Sequence[Placement],
    *,
    on: date,
    now: datetime,
    reversal_id: int | None = None,
) -> int:
    """Record applications (negative ones undo) and move the open amounts; return the total."""
    if not placements:
        return 0
    repo.insert_rows(
        session,
        Application,
        application_rows(actor, source, placements, on=on, now=now, reversal_id=reversal_id),
    )
    per_invoice: dict[int, int] = defaultdict(int)
    for p in placements:
        repo.add_to_instalment(session, p.instalment_id, -p.amount.minor)
        per_invoice[p.invoice_id] += p.amount.minor
    for invoice_id, amount in per_invoice.items():
        repo.add_to_invoice(session, invoice_id, open_delta=-amount, now=now)
    refresh_status(session, list(per_invoice), now)
    return sum(p.amount.minor for p in placements)


def application_rows(
    actor: Actor,
    source: Source,
    placements: Sequence[Placement],
    *,
    on: date,
    now: datetime,
    reversal_id: int | None = None,
) -> list[dict[str, Any]]:
    """The ``applications`` rows of ``source``'s placements."""
    return [
        {
            "company_id": actor.company_id,
            "customer_id": source.customer_id,
            "invoice_id": p.invoice_id,
            "instalment_id": p.instalment_id,
            "source_kind": source.kind,
            "source_id": source.id,
            "amount_minor": p.amount.minor,
            "currency": source.currency,
            "applied_on": on,
            "reversal_id": reversal_id,
            "created_at": now,
        }
        for p in placements
    ]


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A payment or credit note just inserted by a batch, with where its money goes."""

    source: Source
    on: date
    amount_minor: int
    placements: list[Placement]


def apply_batch(
    session: Session,
    actor: Actor,
    entries: Sequence[NewEntry],
    now: datetime,
    *,
    issued: str,
    applied: str,
) -> None:
    """Record the applications of many new entries in one write per table: the open amounts
    moved, the invoices' status refreshed, and the customers' running totals (``issued`` and
    ``applied`` name the entry kind's own totals, e.g. received/paid)."""
    rows: list[dict[str, Any]] = []
    instalments: dict[int, int] = defaultdict(int)
    invoices: dict[int, int] = defaultdict(int)
    deltas = Deltas()
    for entry in entries:
        rows += application_rows(actor, entry.source, entry.placements, on=entry.on, now=now)
        for x in entry.placements:
            instalments[x.instalment_id] -= x.amount.minor
            invoices[x.invoice_id] -= x.amount.minor
        done = sum(x.amount.minor for x in entry.placements)
        deltas.add(
            entry.source.customer_id,
            entry.source.currency,
            **{issued: entry.amount_minor, applied: done},
            open=-done,
            unapplied=entry.amount_minor - done,
        )
    repo.insert_rows(session, Application, rows)
    repo.add_to_open_amounts(session, instalments, invoices)
    touched = sorted(invoices)
    for start in range(0, len(touched), 900):
        refresh_status(session, touched[start : start + 900], now)
    deltas.write(session, actor.company_id)


def refresh_status(session: Session, invoice_ids: Sequence[int], now: datetime) -> None:
    """Settled when nothing is open; and stamp the change for the ERPs' change feed."""
    session.execute(
        update(Invoice)
        .where(Invoice.id.in_(list(invoice_ids)), Invoice.status != "reversed")
        .values(status=case((Invoice.open_minor == 0, "settled"), else_="open"), updated_at=now)
    )


def state_conflict(reason: str, reason_zh: str, field: str = "status") -> Conflict:
    """The request clashes with the entry's state (reversed, settled, nothing left...)."""
    return Conflict([Problem(field, None, "state", {"reason": reason, "reason_zh": reason_zh})])


def duplicate_refs(
    session: Session, actor: Actor, model: type[Any], refs: Sequence[str], *, kind: str, at: str
) -> list[Problem]:
    """A reference already posted, or given twice in the batch (``at`` formats the row prefix)."""
    taken = repo.existing_refs(session, model, actor.company_id, refs)
    counts = Counter(refs)
    return [
        Problem(f"{at.format(i)}external_ref", ref, "duplicate", {"kind": kind})
        for i, ref in enumerate(refs)
        if ref in taken or counts[ref] > 1
    ]
