"""Reads: balances, entries, lists. Per-customer figures come from the running totals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from creditguard.core.errors import not_found
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import repository as customers
from creditguard.db.paging import PageRequest
from creditguard.ledger import repository as repo
from creditguard.models import (
    CreditNote,
    Customer,
    CustomerBalance,
    Dispute,
    Instalment,
    Invoice,
    InvoiceLine,
    Payment,
    Reversal,
    WriteOff,
)
from creditguard.reference import service as fx


@dataclass(frozen=True, slots=True)
class CurrencyFigures:
    balance: CustomerBalance
    overdue_minor: int


@dataclass(frozen=True, slots=True)
class CustomerBalanceView:
    customer: Customer
    as_of: date
    base_currency: str
    rows: list[CurrencyFigures]
    base: dict[str, Money]


def customer_balance(
    session: Session, actor: Actor, customer_id: int, as_of: date
) -> CustomerBalanceView:
    """A customer's balance per currency and in the base currency at the rates of ``as_of``."""
    found = repo.customer_and_base_currency(session, actor.company_id, customer_id)
    if found is None:
        raise not_found("customer", customer_id)
    customer, base_currency = found
    rows = [
        CurrencyFigures(balance, overdue)
        for balance, overdue in repo.balances_with_overdue(
            session, actor.company_id, customer.id, as_of
        )
    ]
    names = ("open", "overdue", "disputed", "unapplied", "net")
    base = {name: Money.zero(base_currency) for name in names}
    for row in rows:
        b = row.balance
        figures = {
            "open": b.open_minor,
            "overdue": row.overdue_minor,
            "disputed": b.disputed_minor,
            "unapplied": b.unapplied_minor,
            "net": b.open_minor - b.unapplied_minor,
        }
        for name, minor in figures.items():
            if minor:
                converted = fx.convert(session, Money(minor, b.currency), base_currency, as_of)
                base[name] = base[name] + converted
    return CustomerBalanceView(customer, as_of, base_currency, rows, base)


def get_invoice(
    session: Session, actor: Actor, invoice_id: int
) -> tuple[Invoice, list[Instalment], list[InvoiceLine]]:
    invoice = repo.get_entry(session, actor.company_id, "invoice", invoice_id)
    if not isinstance(invoice, Invoice):
        raise not_found("invoice", invoice_id)
    return (
        invoice,
        repo.instalments_of(session, actor.company_id, invoice.id),
        repo.lines_of(session, actor.company_id, invoice.id),
    )


def get_entry(session: Session, actor: Actor, kind: str, entry_id: int) -> Any:
    entry = repo.get_entry(session, actor.company_id, kind, entry_id)
    if entry is None:
        raise not_found(kind.replace("_", " "), entry_id)
    return entry


def applications_of(
    session: Session, actor: Actor, kind: str, entry_id: int
) -> list[tuple[int, str, int]]:
    """Net amounts a payment or credit note has applied, per invoice: (id, ref, minor)."""
    per_invoice: dict[int, int] = {}
    for _, _, invoice_id, _, amount in repo.net_applications(
        session, actor.company_id, source_kind=kind, source_id=entry_id
    ):
        per_invoice[invoice_id] = per_invoice.get(invoice_id, 0) + amount
    refs = repo.invoice_refs(session, actor.company_id, per_invoice)
    return [(i, refs[i], a) for i, a in sorted(per_invoice.items()) if a]


MODELS: Mapping[str, type[Any]] = {
    "invoice": Invoice,
    "payment": Payment,
    "credit_note": CreditNote,
    "write_off": WriteOff,
    "dispute": Dispute,
    "reversal": Reversal,
}
DEFAULT_SORT = {
    "invoice": "-issued_on",
    "payment": "-received_on",
    "credit_note": "-issued_on",
    "write_off": "-written_off_on",
    "dispute": "-opened_on",
    "reversal": "-reversed_on",
}


def list_page(
    session: Session, actor: Actor, kind: str, filters: Mapping[str, Any], page: PageRequest
) -> tuple[list[Any], int]:
    return repo.list_page(
        session, MODELS[kind], actor.company_id, filters, page, DEFAULT_SORT[kind]
    )


def customer_codes(session: Session, actor: Actor, ids: list[int]) -> dict[int, str]:
    return customers.codes_of(session, actor.company_id, ids)
