"""A batch of payments posts exactly what the same payments posted one by one would."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from creditguard.core.errors import InvalidInput
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import AllocationIn, PaymentIn
from creditguard.models import Application, CustomerBalance, Payment
from tests import builders as b
from tests.conftest import _clean
from tests.reconcile import mismatches

START = date(2026, 6, 1)


def story(db: Database, code: str) -> Actor:
    actor = b.company(db, code=code)
    for customer in ("C1", "C2"):
        b.customer(
            db, actor, code=customer, terms="30% 0, 70% 60" if customer == "C2" else "net 30"
        )
        for n in range(3):
            b.invoice(
                db,
                actor,
                ref=f"{customer}-I{n}",
                customer=customer,
                amount=f"{100 * (n + 1)}.00",
                issued_on=START + timedelta(days=10 * n),
            )
    return actor


payments = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2"]),
        st.integers(1, 400_00),
        st.sampled_from([None, "I0", "I1", "I2"]),
        st.integers(1, 400_00),
    ),
    min_size=1,
    max_size=8,
)


def inputs(spec: list[tuple[str, int, str | None, int]]) -> list[PaymentIn]:
    out = []
    for n, (customer, amount, invoice, part) in enumerate(spec):
        allocations = None
        if invoice is not None:
            allocations = [
                AllocationIn(
                    invoice_ref=f"{customer}-{invoice}", amount=f"{min(part, amount) / 100:.2f}"
                )
            ]
        out.append(
            PaymentIn(
                external_ref=f"P{n}",
                customer_ref=customer,
                received_on=START + timedelta(days=90),
                currency="CNY",
                amount=f"{amount / 100:.2f}",
                allocations=allocations,
            )
        )
    return out


def picture(
    db: Database, company_id: int
) -> tuple[list[tuple[str, int, int]], list[tuple[int, ...]]]:
    with db.read() as session:
        apps = session.execute(
            select(Payment.external_ref, Application.invoice_id, Application.amount_minor)
            .join(Payment, Payment.id == Application.source_id)
            .where(Application.company_id == company_id)
            .order_by(Payment.external_ref, Application.instalment_id)
        ).all()
        invoice_offset = 6 * (company_id - 1)
        balances = session.execute(
            select(
                CustomerBalance.paid_minor,
                CustomerBalance.open_minor,
                CustomerBalance.unapplied_minor,
            )
            .where(CustomerBalance.company_id == company_id)
            .order_by(CustomerBalance.customer_id)
        ).all()
    return [(r[0], r[1] - invoice_offset, r[2]) for r in apps], [tuple(r) for r in balances]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=payments)
def test_batch_equals_one_by_one(
    db: Database, spec: list[tuple[str, int, str | None, int]]
) -> None:
    _clean(db)
    one, batch = story(db, "ONE"), story(db, "BATCH")
    singles_failed = []
    for n, data in enumerate(inputs(spec)):
        try:
            with db.write() as session:
                ledger.post_payment(session, one, data, b.clock())
        except InvalidInput:
            singles_failed.append(n)
    try:
        with db.write() as session:
            ledger.post_payments(session, batch, inputs(spec), b.clock())
        batch_failed = False
    except InvalidInput:
        batch_failed = True
    if singles_failed:  # all or nothing: the batch must refuse what one by one refused
        assert batch_failed
        return
    assert not batch_failed
    assert picture(db, one.company_id) == picture(db, batch.company_id)
    assert mismatches(db) == []


def test_two_payments_of_a_batch_cannot_take_the_same_open_amount(db: Database) -> None:
    actor = story(db, "ACME")
    both = [
        PaymentIn(
            external_ref=f"P{n}",
            customer_ref="C1",
            received_on=START,
            currency="CNY",
            amount="80.00",
            allocations=[AllocationIn(invoice_ref="C1-I0", amount="80.00")],
        )
        for n in range(2)
    ]
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        ledger.post_payments(session, actor, both, b.clock())
    assert (
        caught.value.message()
        == "payments[1].allocations[0].amount: allocating 80.00 exceeds the open amount 20.00"
    )
