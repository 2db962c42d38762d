"""Reads: balances, entries, lists. Per-customer figures come from the running totals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from creditguard.core.errors import not_found
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import repository as customers
from creditguard.db.paging import PageRequest
from creditguard.ledger import repository as repo
from creditguard.ledger.schemas import BalanceOut, BaseTotals, CurrencyBalance
from creditguard.models import (
    CreditNote,
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
class BalanceFigures:
    """A customer's running totals in one currency (minor units)."""

    currency: str
    invoiced_minor: int
    received_minor: int
    credit_issued_minor: int
    paid_minor: int
    credited_minor: int
    written_off_minor: int
    open_minor: int
    unapplied_minor: int
    disputed_minor: int


@dataclass(frozen=True, slots=True)
class CurrencyFigures:
    balance: BalanceFigures
    overdue_minor: int


@dataclass(frozen=True, slots=True)
class CustomerRef:
    id: int
    code: str


@dataclass(frozen=True, slots=True)
class CustomerBalanceView:
    customer: CustomerRef
    as_of: date
    base_currency: str
    rows: list[CurrencyFigures]
    base: dict[str, Money]


def customer_balance(
    session: Session, actor: Actor, customer_id: int, as_of: date
) -> CustomerBalanceView:
    """A customer's balance per currency and in the base currency at the rates of ``as_of``."""
    found = repo.balance_rows(session, actor.company_id, customer_id, as_of)
    if not found:
        raise not_found("customer", customer_id)
    first = found[0]
    customer, base_currency = CustomerRef(first[0], first[1]), first[2]
    rows = [
        CurrencyFigures(BalanceFigures(row[3], *(int(v) for v in row[4:-1])), int(row[-1]))
        for row in found
        if row[3] is not None
    ]
    base = {name: Money.zero(base_currency) for name in BASE_FIGURES}
    for row in rows:
        for name, minor in _figures(row).items():
            if minor:
                converted = fx.convert(
                    session, Money(minor, row.balance.currency), base_currency, as_of
                )
                base[name] = base[name] + converted
    return CustomerBalanceView(customer, as_of, base_currency, rows, base)


BASE_FIGURES = ("open", "overdue", "disputed", "unapplied", "net")


def _figures(row: CurrencyFigures) -> dict[str, int]:
    b = row.balance
    return {
        "open": b.open_minor,
        "overdue": row.overdue_minor,
        "disputed": b.disputed_minor,
        "unapplied": b.unapplied_minor,
        "net": b.open_minor - b.unapplied_minor,
    }


def balance_report(session: Session, actor: Actor, customer_id: int, as_of: date) -> BalanceOut:
    """The documented balance (API and CLI alike): decimal strings per currency and in base."""
    view = customer_balance(session, actor, customer_id, as_of)
    currencies = []
    for row in view.rows:
        b, cur = row.balance, row.balance.currency

        def text(minor: int, currency: str = cur) -> str:
            return Money(minor, currency).decimal_string()

        currencies.append(
            CurrencyBalance(
                currency=cur,
                invoiced=text(b.invoiced_minor),
                paid=text(b.paid_minor),
                credited=text(b.credited_minor),
                written_off=text(b.written_off_minor),
                open=text(b.open_minor),
                overdue=text(row.overdue_minor),
                disputed=text(b.disputed_minor),
                unapplied=text(b.unapplied_minor),
                net=text(b.open_minor - b.unapplied_minor),
            )
        )
    base = {name: money.decimal_string() for name, money in view.base.items()}
    return BalanceOut(
        customer_id=view.customer.id,
        customer_ref=view.customer.code,
        as_of=view.as_of,
        currencies=currencies,
        base=BaseTotals(currency=view.base_currency, **base),
    )


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


def entries_by_ref(session: Session, actor: Actor, kind: str, refs: list[str]) -> dict[str, Any]:
    """Posted entries of ``kind`` (invoice, payment, credit_note) by external reference."""
    model = MODELS[kind]
    return repo.entries_by_refs(session, model, actor.company_id, refs)


def invoice_keys(
    session: Session, actor: Actor, refs: list[str]
) -> list[tuple[str, str, date, str, int]]:
    """(reference, customer code, issue date, currency, amount minor) of posted invoices."""
    return repo.invoice_keys(session, actor.company_id, refs)


def changes(
    session: Session, actor: Actor, kind: str, cursor: tuple[datetime, int], limit: int
) -> tuple[list[Any], tuple[datetime, int] | None]:
    """A page of the change feed of ``kind`` and the cursor to continue from (None: caught up)."""
    rows = repo.changed_since(session, actor.company_id, kind, cursor, limit)
    if len(rows) < limit:
        return rows, None
    last = rows[-1]
    return rows, (getattr(last, repo.FEEDS[kind][1]), last.id)
