"""Process bodies for the concurrency tests (imported by spawned processes)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from sqlalchemy import select, update

from creditguard.core.errors import DomainError
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import AllocationIn, PaymentIn
from creditguard.models import Application, Instalment, Invoice, Payment
from tests import builders as b


def post_with_service(url: str, worker: int, tries: int, barrier: Any) -> int:
    """Post ``tries`` payments of 100.00 allocated to INV-1 through the service; count the posted."""
    db = Database(url)
    actor = Actor(1, f"worker:{worker}", "admin")
    posted = 0
    barrier.wait(timeout=60)
    for n in range(tries):
        data = PaymentIn(
            external_ref=f"P-{worker}-{n}",
            customer_ref="C1",
            received_on=date(2026, 11, 1),
            currency="CNY",
            amount="100.00",
            allocations=[AllocationIn(invoice_ref="INV-1", amount="100.00")],
        )
        try:
            with db.write() as session:
                ledger.post_payment(session, actor, data, b.clock())
            posted += 1
        except DomainError:
            pass
    db.dispose()
    return posted


def post_naively(url: str, worker: int, tries: int, barrier: Any) -> int:
    """The broken variant: check the open amount, then write, with no lock in between."""
    db = Database(url)
    posted = 0
    barrier.wait(timeout=60)
    for n in range(tries):
        with db.write() as session:
            invoice = session.scalars(select(Invoice).where(Invoice.external_ref == "INV-1")).one()
            instalment = session.scalars(
                select(Instalment).where(Instalment.invoice_id == invoice.id)
            ).one()
            seen = invoice.open_minor
            if seen < 10000:
                continue
            time.sleep(0.002)  # the window every check-then-write has
            payment = Payment(
                company_id=1,
                customer_id=invoice.customer_id,
                external_ref=f"N-{worker}-{n}",
                received_on=date(2026, 11, 1),
                currency="CNY",
                amount_minor=10000,
                unapplied_minor=0,
                status="posted",
                created_at=b.NOW,
            )
            session.add(payment)
            session.flush()
            session.add(
                Application(
                    company_id=1,
                    customer_id=invoice.customer_id,
                    invoice_id=invoice.id,
                    instalment_id=instalment.id,
                    source_kind="payment",
                    source_id=payment.id,
                    amount_minor=10000,
                    currency="CNY",
                    applied_on=date(2026, 11, 1),
                    created_at=b.NOW,
                )
            )
            session.execute(
                update(Invoice).where(Invoice.id == invoice.id).values(open_minor=seen - 10000)
            )
            session.execute(
                update(Instalment)
                .where(Instalment.id == instalment.id)
                .values(open_minor=seen - 10000)
            )
            posted += 1
    db.dispose()
    return posted
