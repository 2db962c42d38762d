"""Payments and credit notes: posted under the customer's lock, applied as told or oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import Conflict, Problem, invalid, not_found
from creditguard.core.money import Money, check_currency
from creditguard.core.permissions import Actor
from creditguard.customers import repository as customers
from creditguard.ledger import repository as repo
from creditguard.ledger.schemas import AllocationIn, ApplyIn, CreditNoteIn, PaymentIn
from creditguard.ledger.service._posting import (
    Deltas,
    Placement,
    Source,
    apply,
    place_explicit,
    place_oldest_first,
    state_conflict,
)
from creditguard.models import CreditNote, Customer, Payment


def _customer(session: Session, actor: Actor, code: str) -> Customer:
    customer = customers.get_by_code(session, actor.company_id, code)
    if customer is None:
        raise not_found("customer", code, "customer_ref")
    customers.lock(session, actor.company_id, [customer.id])
    return customer


def _positive(text: str, currency: str, field: str = "amount") -> Money:
    check_currency(currency)
    money = Money.parse(text, currency, field)
    if money.minor <= 0:
        raise invalid(field, text, "not_positive")
    return money


def _unique(
    session: Session, actor: Actor, model: type[Payment] | type[CreditNote], ref: str, kind: str
) -> None:
    if repo.existing_refs(session, model, actor.company_id, [ref]):
        raise Conflict([Problem("external_ref", ref, "duplicate", {"kind": kind})])


def _placements(
    session: Session,
    actor: Actor,
    customer: Customer,
    amount: Money,
    requested: Sequence[AllocationIn] | None,
) -> tuple[list[Placement], Money]:
    if requested is not None:
        refs = {r.invoice_ref for r in requested}
        found = repo.invoices_by_refs(session, actor.company_id, refs)
        ids = [inv.id for inv in found.values() if inv.customer_id == customer.id]
        rows = repo.open_instalments(session, actor.company_id, customer.id, amount.currency, ids)
        return place_explicit(amount, rows, requested)
    rows = repo.open_instalments(session, actor.company_id, customer.id, amount.currency)
    return place_oldest_first(amount, rows)


def post_payment(session: Session, actor: Actor, data: PaymentIn, clock: Clock) -> Payment:
    """Record cash received and apply it (as told, or oldest due first); the rest is unapplied."""
    amount = _positive(data.amount, data.currency)
    customer = _customer(session, actor, data.customer_ref)
    _unique(session, actor, Payment, data.external_ref, "payment")
    requested = data.allocations
    if requested is None and not data.auto_allocate:
        requested = []
    placements, unapplied = _placements(session, actor, customer, amount, requested)
    payment = Payment(
        company_id=actor.company_id,
        customer_id=customer.id,
        external_ref=data.external_ref,
        received_on=data.received_on,
        currency=amount.currency,
        amount_minor=amount.minor,
        method=data.method,
        bank_reference=data.bank_reference,
        unapplied_minor=amount.minor,
        status="posted",
        created_at=clock.now(),
    )
    session.add(payment)
    session.flush()
    applied = apply(
        session,
        actor,
        Source("payment", payment.id, customer.id, amount.currency),
        placements,
        on=data.received_on,
        now=clock.now(),
    )
    payment.unapplied_minor = unapplied.minor
    deltas = Deltas()
    deltas.add(
        customer.id,
        amount.currency,
        received=amount.minor,
        paid=applied,
        open=-applied,
        unapplied=amount.minor - applied,
    )
    deltas.write(session, actor.company_id)
    session.flush()
    return payment


def post_credit_note(
    session: Session, actor: Actor, data: CreditNoteIn, clock: Clock
) -> CreditNote:
    """Record a credit note; apply it to the invoice named (up to its undisputed open amount)."""
    amount = _positive(data.amount, data.currency)
    customer = _customer(session, actor, data.customer_ref)
    _unique(session, actor, CreditNote, data.external_ref, "credit note")
    invoice_id = None
    placements: list[Placement] = []
    if data.invoice_ref is not None:
        invoice = repo.get_invoice_by_ref(session, actor.company_id, data.invoice_ref)
        if invoice is None or invoice.customer_id != customer.id:
            raise not_found("invoice", data.invoice_ref, "invoice_ref")
        invoice_id = invoice.id
        rows = repo.open_instalments(
            session, actor.company_id, customer.id, amount.currency, [invoice.id]
        )
        placements, _ = place_oldest_first(amount, rows)
    note = CreditNote(
        company_id=actor.company_id,
        customer_id=customer.id,
        external_ref=data.external_ref,
        issued_on=data.issued_on,
        currency=amount.currency,
        amount_minor=amount.minor,
        reason=data.reason,
        invoice_id=invoice_id,
        unapplied_minor=amount.minor,
        status="posted",
        created_at=clock.now(),
    )
    session.add(note)
    session.flush()
    applied = apply(
        session,
        actor,
        Source("credit_note", note.id, customer.id, amount.currency),
        placements,
        on=data.issued_on,
        now=clock.now(),
    )
    note.unapplied_minor = amount.minor - applied
    deltas = Deltas()
    deltas.add(
        customer.id,
        amount.currency,
        credit_issued=amount.minor,
        credited=applied,
        open=-applied,
        unapplied=amount.minor - applied,
    )
    deltas.write(session, actor.company_id)
    session.flush()
    return note


def apply_unapplied(
    session: Session, actor: Actor, kind: str, entry_id: int, data: ApplyIn, clock: Clock
) -> Payment | CreditNote:
    """Apply a payment's (or credit note's) unapplied money to open invoices."""
    entry = repo.get_entry(session, actor.company_id, kind, entry_id)
    if not isinstance(entry, Payment | CreditNote):
        raise not_found(kind.replace("_", " "), entry_id)
    customers.lock(session, actor.company_id, [entry.customer_id])
    session.refresh(entry)
    if entry.status != "posted":
        raise state_conflict(f"{kind} is reversed", "该单据已冲销")
    available = Money(entry.unapplied_minor, entry.currency)
    if available.is_zero():
        raise state_conflict("nothing is left unapplied", "没有未核销的余额")
    customer = customers.get(session, actor.company_id, entry.customer_id)
    assert customer is not None
    placements, _ = _placements(session, actor, customer, available, data.allocations)
    applied = apply(
        session,
        actor,
        Source(kind, entry.id, entry.customer_id, entry.currency),
        placements,
        on=data.applied_on,
        now=clock.now(),
    )
    entry.unapplied_minor -= applied
    deltas = Deltas()
    field = "paid" if kind == "payment" else "credited"
    deltas.add(
        entry.customer_id, entry.currency, **{field: applied}, open=-applied, unapplied=-applied
    )
    deltas.write(session, actor.company_id)
    session.flush()
    return entry
