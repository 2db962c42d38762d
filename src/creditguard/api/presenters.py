"""ORM rows -> documented response models. Money leaves as decimal strings."""

from __future__ import annotations

from creditguard.customers.schemas import ContactOut, CustomerOut
from creditguard.identity.schemas import UserOut
from creditguard.ledger.schemas import (
    ApplicationOut,
    CreditNoteOut,
    DisputeOut,
    PaymentOut,
    ReversalOut,
    WriteOffOut,
)
from creditguard.ledger.service.presenting import amount
from creditguard.models import (
    Contact,
    CreditNote,
    Customer,
    Dispute,
    Payment,
    Reversal,
    User,
    WriteOff,
)


def customer(c: Customer) -> CustomerOut:
    return CustomerOut.model_validate(c, from_attributes=True)


def contact(c: Contact) -> ContactOut:
    return ContactOut.model_validate(c, from_attributes=True)


def user(u: User) -> UserOut:
    return UserOut.model_validate(u, from_attributes=True)


def payment(
    p: Payment, customer_ref: str, applications: list[tuple[int, str, int]] | None = None
) -> PaymentOut:
    return PaymentOut(
        id=p.id,
        external_ref=p.external_ref,
        customer_id=p.customer_id,
        customer_ref=customer_ref,
        received_on=p.received_on,
        currency=p.currency,
        amount=amount(p.amount_minor, p.currency),
        unapplied=amount(p.unapplied_minor, p.currency),
        status=p.status,
        method=p.method,
        bank_reference=p.bank_reference,
        created_at=p.created_at,
        applications=None
        if applications is None
        else [
            ApplicationOut(invoice_id=i, invoice_ref=ref, amount=amount(a, p.currency))
            for i, ref, a in applications
        ],
    )


def credit_note(n: CreditNote, customer_ref: str) -> CreditNoteOut:
    return CreditNoteOut(
        id=n.id,
        external_ref=n.external_ref,
        customer_id=n.customer_id,
        customer_ref=customer_ref,
        issued_on=n.issued_on,
        currency=n.currency,
        amount=amount(n.amount_minor, n.currency),
        unapplied=amount(n.unapplied_minor, n.currency),
        reason=n.reason,
        status=n.status,
        created_at=n.created_at,
    )


def write_off(w: WriteOff) -> WriteOffOut:
    return WriteOffOut(
        id=w.id,
        external_ref=w.external_ref,
        customer_id=w.customer_id,
        invoice_id=w.invoice_id,
        written_off_on=w.written_off_on,
        currency=w.currency,
        amount=amount(w.amount_minor, w.currency),
        reason=w.reason,
        status=w.status,
        created_at=w.created_at,
    )


def dispute(d: Dispute) -> DisputeOut:
    return DisputeOut(
        id=d.id,
        customer_id=d.customer_id,
        invoice_id=d.invoice_id,
        currency=d.currency,
        amount=amount(d.amount_minor, d.currency),
        reason=d.reason,
        status=d.status,
        opened_on=d.opened_on,
        resolved_on=d.resolved_on,
        resolution=d.resolution,
        created_at=d.created_at,
    )


def reversal(r: Reversal, reinstates: bool) -> ReversalOut:  # noqa: FBT001
    return ReversalOut(
        id=r.id,
        customer_id=r.customer_id,
        target_kind=r.target_kind,
        target_id=r.target_id,
        reversed_on=r.reversed_on,
        reason=r.reason,
        reinstates=reinstates,
        created_at=r.created_at,
    )
