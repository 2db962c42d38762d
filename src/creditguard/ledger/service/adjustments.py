"""Write-offs, disputes and reversals. A posted entry is never edited: it is reversed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import Conflict, Problem, invalid, not_found
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import repository as customers
from creditguard.ledger import repository as repo
from creditguard.ledger.repository import Entry
from creditguard.ledger.schemas import DisputeIn, DisputeResolveIn, ReversalIn, WriteOffIn
from creditguard.ledger.service._posting import (
    Deltas,
    Placement,
    Source,
    apply,
    instalment_items,
    place_oldest_first,
    state_conflict,
)
from creditguard.models import CreditNote, Dispute, Invoice, Payment, Reversal, WriteOff


def _open_invoice(session: Session, actor: Actor, ref: str) -> Invoice:
    invoice = repo.get_invoice_by_ref(session, actor.company_id, ref)
    if invoice is None:
        raise not_found("invoice", ref, "invoice_ref")
    customers.lock(session, actor.company_id, [invoice.customer_id])
    session.refresh(invoice)
    if invoice.status != "open":
        raise state_conflict(
            f"invoice is {invoice.status}", f"发票状态为 {invoice.status}", "invoice_ref"
        )
    return invoice


def _undisputed(session: Session, actor: Actor, invoice: Invoice) -> Money:
    return Money(invoice.open_minor - invoice.disputed_minor, invoice.currency)


def post_write_off(session: Session, actor: Actor, data: WriteOffIn, clock: Clock) -> WriteOff:
    """Write off (part of) an invoice's undisputed open amount."""
    invoice = _open_invoice(session, actor, data.invoice_ref)
    if repo.existing_refs(session, WriteOff, actor.company_id, [data.external_ref]):
        raise Conflict(
            [Problem("external_ref", data.external_ref, "duplicate", {"kind": "write-off"})]
        )
    available = _undisputed(session, actor, invoice)
    amount = available if data.amount is None else Money.parse(data.amount, invoice.currency)
    if amount.minor <= 0:
        raise invalid("amount", data.amount, "not_positive")
    if amount > available:
        raise invalid(
            "amount",
            data.amount,
            "over_allocated",
            requested=amount.decimal_string(),
            available=available.decimal_string(),
        )
    rows = repo.open_instalments(
        session, actor.company_id, invoice.customer_id, invoice.currency, [invoice.id]
    )
    placements, _ = place_oldest_first(amount, rows)
    entry = WriteOff(
        company_id=actor.company_id,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        external_ref=data.external_ref,
        written_off_on=data.written_off_on,
        currency=invoice.currency,
        amount_minor=amount.minor,
        reason=data.reason,
        status="posted",
        created_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    apply(
        session,
        actor,
        Source("write_off", entry.id, invoice.customer_id, invoice.currency),
        placements,
        on=data.written_off_on,
        now=clock.now(),
    )
    deltas = Deltas()
    deltas.add(invoice.customer_id, invoice.currency, written_off=amount.minor, open=-amount.minor)
    deltas.write(session, actor.company_id)
    session.flush()
    return entry


def open_dispute(session: Session, actor: Actor, data: DisputeIn, clock: Clock) -> Dispute:
    """Put part of an invoice in dispute: it leaves dunning and insured exposure until resolved."""
    invoice = _open_invoice(session, actor, data.invoice_ref)
    amount = Money.parse(data.amount, invoice.currency)
    if amount.minor <= 0:
        raise invalid("amount", data.amount, "not_positive")
    available = _undisputed(session, actor, invoice)
    if amount > available:
        raise invalid(
            "amount",
            data.amount,
            "dispute_exceeds_open",
            requested=amount.decimal_string(),
            available=available.decimal_string(),
        )
    dispute = Dispute(
        company_id=actor.company_id,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        currency=invoice.currency,
        amount_minor=amount.minor,
        reason=data.reason,
        status="open",
        opened_on=data.opened_on,
        created_at=clock.now(),
    )
    session.add(dispute)
    repo.add_to_invoice(session, invoice.id, disputed_delta=amount.minor, now=clock.now())
    deltas = Deltas()
    deltas.add(invoice.customer_id, invoice.currency, disputed=amount.minor)
    deltas.write(session, actor.company_id)
    session.flush()
    return dispute


def resolve_dispute(
    session: Session, actor: Actor, dispute_id: int, data: DisputeResolveIn, clock: Clock
) -> Dispute:
    dispute = get_dispute(session, actor, dispute_id)
    customers.lock(session, actor.company_id, [dispute.customer_id])
    session.refresh(dispute)
    if dispute.status != "open":
        raise state_conflict(
            f"dispute is already {dispute.status}", f"争议已处理（{dispute.status}）"
        )
    if data.resolved_on < dispute.opened_on:
        raise invalid(
            "resolved_on",
            data.resolved_on.isoformat(),
            "date_order",
            other=f"opened_on {dispute.opened_on.isoformat()}",
        )
    dispute.status = data.outcome
    dispute.resolved_on = data.resolved_on
    dispute.resolution = data.resolution
    repo.add_to_invoice(
        session, dispute.invoice_id, disputed_delta=-dispute.amount_minor, now=clock.now()
    )
    deltas = Deltas()
    deltas.add(dispute.customer_id, dispute.currency, disputed=-dispute.amount_minor)
    deltas.write(session, actor.company_id)
    session.flush()
    return dispute


def get_dispute(session: Session, actor: Actor, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or dispute.company_id != actor.company_id:
        raise not_found("dispute", dispute_id)
    return dispute


# --- reversals ---


def reverse(session: Session, actor: Actor, data: ReversalIn, clock: Clock) -> Reversal:
    """Reverse an entry; reversing a reversal puts the original back (its chain flips state).

    Reversals form a chain from the original entry: R1 reverses it, R2 reverses R1 (the
    original is live again), R3 reverses R2, and so on. Each link is reversed at most once
    (a unique constraint backs this up), so a new reversal always targets the chain's end.
    """
    target = repo.get_entry(session, actor.company_id, data.target_kind, data.target_id)
    if target is None:
        raise not_found(_KIND_NAMES[data.target_kind], data.target_id, "target_id")
    customers.lock(session, actor.company_id, [target.customer_id])
    original_kind, original, behind = _root(session, actor, data.target_kind, target)
    end_kind, end, ahead = _chain_end(session, actor, data.target_kind, target)
    chain = behind + ahead  # reversals in the chain, from the original to its end
    reversed_now = chain % 2 == 1
    if (data.target_kind == "reversal" and end is not target) or (
        data.target_kind != "reversal" and reversed_now
    ):
        raise Conflict(
            [
                Problem(
                    "target_id",
                    data.target_id,
                    "already_reversed",
                    {"kind": _KIND_NAMES[data.target_kind]},
                )
            ]
        )
    reversal = Reversal(
        company_id=actor.company_id,
        customer_id=target.customer_id,
        target_kind=end_kind,
        target_id=end.id,
        reversed_on=data.reversed_on,
        reason=data.reason,
        created_at=clock.now(),
    )
    session.add(reversal)
    session.flush()
    if reversed_now:
        assert isinstance(end, Reversal)
        _redo(
            session,
            actor,
            original_kind,
            original,
            undone_by=end,
            reversal=reversal,
            now=clock.now(),
        )
    else:
        _undo(session, actor, original_kind, original, reversal, clock.now())
    session.flush()
    return reversal


_KIND_NAMES = {
    "invoice": "invoice",
    "payment": "payment",
    "credit_note": "credit note",
    "write_off": "write-off",
    "reversal": "reversal",
}


def _root(session: Session, actor: Actor, kind: str, entry: Entry) -> tuple[str, Entry, int]:
    links = 0
    while isinstance(entry, Reversal):
        links += 1
        found = repo.get_entry(session, actor.company_id, entry.target_kind, entry.target_id)
        assert found is not None
        kind, entry = entry.target_kind, found
    return kind, entry, links


def _chain_end(session: Session, actor: Actor, kind: str, entry: Entry) -> tuple[str, Entry, int]:
    """The last link after ``entry``, and how many links follow ``entry``."""
    links = 0
    while (nxt := repo.reversal_of(session, actor.company_id, kind, entry.id)) is not None:
        links += 1
        kind, entry = "reversal", nxt
    return kind, entry, links


def _undo(
    session: Session, actor: Actor, kind: str, entry: Entry, reversal: Reversal, now: datetime
) -> None:
    if isinstance(entry, Invoice):
        _undo_invoice(session, actor, entry, reversal, now)
    elif isinstance(entry, Payment | CreditNote | WriteOff):
        _undo_source(session, actor, kind, entry, reversal, now)


def _undo_source(
    session: Session,
    actor: Actor,
    kind: str,
    entry: Payment | CreditNote | WriteOff,
    reversal: Reversal,
    now: datetime,
) -> None:
    live = repo.net_applications(session, actor.company_id, source_kind=kind, source_id=entry.id)
    placements = [
        Placement(inst, inv, Money(-amt, entry.currency)) for _, _, inv, inst, amt in live
    ]
    undone = -apply(
        session,
        actor,
        Source(kind, entry.id, entry.customer_id, entry.currency),
        placements,
        on=reversal.reversed_on,
        now=now,
        reversal_id=reversal.id,
    )
    deltas = Deltas()
    if isinstance(entry, WriteOff):
        deltas.add(entry.customer_id, entry.currency, written_off=-undone, open=undone)
    else:
        left = entry.unapplied_minor
        entry.unapplied_minor = 0
        field, issued = ("paid", "received") if kind == "payment" else ("credited", "credit_issued")
        deltas.add(
            entry.customer_id,
            entry.currency,
            **{issued: -entry.amount_minor, field: -undone},
            open=undone,
            unapplied=-left,
        )
    entry.status = "reversed"
    deltas.write(session, actor.company_id)


def _undo_invoice(
    session: Session, actor: Actor, invoice: Invoice, reversal: Reversal, now: datetime
) -> None:
    session.refresh(invoice)
    live = repo.net_applications(session, actor.company_id, invoice_id=invoice.id)
    if any(kind == "write_off" for kind, *_ in live):
        raise state_conflict(
            "reverse the invoice's write-offs first", "请先冲销该发票的核销", "target_id"
        )
    if repo.open_disputes(session, actor.company_id, invoice.id):
        raise state_conflict(
            "resolve the invoice's open disputes first", "请先处理该发票未结的争议", "target_id"
        )
    deltas = Deltas()
    for kind, source_id, inv, inst, amt in live:
        model = Payment if kind == "payment" else CreditNote
        apply(
            session,
            actor,
            Source(kind, source_id, invoice.customer_id, invoice.currency),
            [Placement(inst, inv, Money(-amt, invoice.currency))],
            on=reversal.reversed_on,
            now=now,
            reversal_id=reversal.id,
        )
        repo.add_unapplied(session, model, source_id, amt)
        field = "paid" if kind == "payment" else "credited"
        deltas.add(invoice.customer_id, invoice.currency, **{field: -amt}, unapplied=amt)
    # Un-applying reopened L = sum(live); closing the invoice then takes its whole amount away.
    reopened = sum(amount for *_, amount in live)
    deltas.add(
        invoice.customer_id,
        invoice.currency,
        invoiced=-invoice.amount_minor,
        open=reopened - invoice.amount_minor,
    )
    repo.set_invoice_open(session, invoice, live=False, now=now)
    deltas.write(session, actor.company_id)


def _redo(  # noqa: PLR0913 - keyword-only beyond the first four
    session: Session,
    actor: Actor,
    kind: str,
    entry: Entry,
    *,
    undone_by: Reversal,
    reversal: Reversal,
    now: datetime,
) -> None:
    deltas = Deltas()
    if isinstance(entry, Invoice):
        repo.set_invoice_open(session, entry, live=True, now=now)
        deltas.add(
            entry.customer_id, entry.currency, invoiced=entry.amount_minor, open=entry.amount_minor
        )
    elif isinstance(entry, Payment | CreditNote | WriteOff):
        _redo_source(
            session,
            actor,
            kind,
            entry,
            undone_by=undone_by,
            reversal=reversal,
            now=now,
            deltas=deltas,
        )
    deltas.write(session, actor.company_id)


def _redo_source(  # noqa: PLR0913 - keyword-only beyond the first four
    session: Session,
    actor: Actor,
    kind: str,
    entry: Payment | CreditNote | WriteOff,
    *,
    undone_by: Reversal,
    reversal: Reversal,
    now: datetime,
    deltas: Deltas,
) -> None:
    wanted = [
        a
        for a in repo.applications_of_reversal(session, actor.company_id, undone_by.id)
        if a.source_kind == kind and a.source_id == entry.id
    ]
    rows = repo.open_instalments(
        session,
        actor.company_id,
        entry.customer_id,
        entry.currency,
        sorted({a.invoice_id for a in wanted}),
    )
    room = {item.key: item.open.minor for item in instalment_items(rows, entry.currency)}
    placements: list[Placement] = []
    for a in wanted:
        amount = min(-a.amount_minor, room.get(a.instalment_id, 0))
        if amount > 0:
            room[a.instalment_id] -= amount
            placements.append(
                Placement(a.instalment_id, a.invoice_id, Money(amount, entry.currency))
            )
    redone = apply(
        session,
        actor,
        Source(kind, entry.id, entry.customer_id, entry.currency),
        placements,
        on=reversal.reversed_on,
        now=now,
        reversal_id=reversal.id,
    )
    entry.status = "posted"
    if isinstance(entry, WriteOff):
        if redone != entry.amount_minor:
            raise state_conflict(
                "the invoice no longer has room for this write-off",
                "发票未结金额已不足以恢复该核销",
                "target_id",
            )
        deltas.add(entry.customer_id, entry.currency, written_off=redone, open=-redone)
        return
    entry.unapplied_minor = entry.amount_minor - redone
    field, issued = ("paid", "received") if kind == "payment" else ("credited", "credit_issued")
    deltas.add(
        entry.customer_id,
        entry.currency,
        **{issued: entry.amount_minor, field: redone},
        open=-redone,
        unapplied=entry.amount_minor - redone,
    )


def get_reversal(session: Session, actor: Actor, reversal_id: int) -> Reversal:
    found = repo.get_entry(session, actor.company_id, "reversal", reversal_id)
    if not isinstance(found, Reversal):
        raise not_found("reversal", reversal_id)
    return found


def reinstates(session: Session, actor: Actor, reversal: Reversal) -> bool:
    """True when ``reversal`` puts its original entry back (an even position in the chain)."""
    _, _, links = _root(session, actor, "reversal", reversal)
    return links % 2 == 0
