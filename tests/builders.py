"""Keyword-only builders that speak the ledger's language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import CompanyIn
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import AllocationIn, InvoiceIn, PaymentIn

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def clock() -> FixedClock:
    return FixedClock(NOW)


def company(db: Database, *, code: str = "ACME", base_currency: str = "CNY") -> Actor:
    with db.write() as session:
        made = identity.create_company(
            session,
            CompanyIn(code=code, name=f"{code} Trading", base_currency=base_currency),
            clock(),
        )
        return Actor(made.id, "user:test", "admin")


def customer(
    db: Database,
    actor: Actor,
    *,
    code: str = "C1",
    terms: str = "net 30",
    currency: str = "CNY",
    parent: str | None = None,
) -> int:
    with db.write() as session:
        data = CustomerIn(
            code=code,
            name=f"{code} 有限公司",
            payment_terms=terms,
            currency=currency,
            parent_code=parent,
        )
        return customers.create(session, actor, data, clock()).id


def invoice(
    db: Database,
    actor: Actor,
    *,
    ref: str,
    customer: str = "C1",
    amount: str,
    issued_on: date,
    terms: str | None = None,
    currency: str = "CNY",
) -> int:
    with db.write() as session:
        data = InvoiceIn(
            external_ref=ref,
            customer_ref=customer,
            issued_on=issued_on,
            currency=currency,
            amount=amount,
            payment_terms=terms,
        )
        return ledger.post_invoices(session, actor, [data], clock()).ids[0]


def payment(
    db: Database,
    actor: Actor,
    *,
    ref: str,
    customer: str = "C1",
    amount: str,
    received_on: date,
    to: dict[str, str] | None = None,
    currency: str = "CNY",
) -> int:
    allocations = (
        None if to is None else [AllocationIn(invoice_ref=k, amount=v) for k, v in to.items()]
    )
    with db.write() as session:
        data = PaymentIn(
            external_ref=ref,
            customer_ref=customer,
            received_on=received_on,
            currency=currency,
            amount=amount,
            allocations=allocations,
        )
        return ledger.post_payment(session, actor, data, clock()).id
