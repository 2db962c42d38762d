"""The ledger on SQLite and PostgreSQL: small stories with exact figures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from creditguard.core.errors import Conflict, InvalidInput
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import (
    AllocationIn,
    CreditNoteIn,
    DisputeIn,
    DisputeResolveIn,
    InvoiceIn,
    PaymentIn,
    ReversalIn,
    WriteOffIn,
)
from creditguard.models import Application, CustomerBalance, Instalment, Invoice, Payment
from tests import builders as b
from tests.reconcile import mismatches

AS_OF = date(2026, 11, 22)


def figures(db: Database, customer_id: int, actor: Actor) -> dict[str, int]:
    with db.read() as session:
        view = ledger.customer_balance(session, actor, customer_id, AS_OF)
        (row,) = view.rows
        bal = row.balance
        return {
            "invoiced": bal.invoiced_minor,
            "paid": bal.paid_minor,
            "credited": bal.credited_minor,
            "written_off": bal.written_off_minor,
            "open": bal.open_minor,
            "unapplied": bal.unapplied_minor,
            "disputed": bal.disputed_minor,
            "overdue": row.overdue_minor,
        }


@pytest.fixture
def acme(db: Database) -> Actor:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    return actor


def test_invoice_opens_items_and_balance(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="INV-1", amount="1000.00", issued_on=date(2026, 10, 1))
    b.invoice(db, acme, ref="INV-2", amount="500.50", issued_on=date(2026, 11, 10))
    assert figures(db, 1, acme) == {
        "invoiced": 150050,
        "paid": 0,
        "credited": 0,
        "written_off": 0,
        "open": 150050,
        "unapplied": 0,
        "disputed": 0,
        "overdue": 100000,  # INV-1 due 2026-10-31; INV-2 not yet
    }
    assert mismatches(db) == []


def test_due_date_rolls_over_national_day_holiday(db: Database, acme: Actor) -> None:
    # net 30 from 2025-09-01 lands on 2025-10-01, inside China's National Day week (10-01..10-08)
    invoice_id = b.invoice(db, acme, ref="INV-ND", amount="100.00", issued_on=date(2025, 9, 1))
    with db.read() as session:
        inv, _, _ = ledger.get_invoice(session, acme, invoice_id)
    assert inv.due_on == date(2025, 10, 9)


def test_instalment_terms_split_exactly(db: Database, acme: Actor) -> None:
    invoice_id = b.invoice(
        db, acme, ref="INV-I", amount="1000.01", issued_on=date(2026, 3, 2), terms="30% 0, 70% 60"
    )
    with db.read() as session:
        _, parts, _ = ledger.get_invoice(session, acme, invoice_id)
    assert [(p.seq, p.due_on, p.amount_minor) for p in parts] == [
        (1, date(2026, 3, 2), 30000),
        (2, date(2026, 5, 6), 70001),  # 05-01..05-05 Labour Day
    ]


def test_batch_is_all_or_nothing_with_every_problem_named(db: Database, acme: Actor) -> None:
    batch = [
        InvoiceIn(
            external_ref="A",
            customer_ref="C1",
            issued_on=date(2026, 1, 5),
            currency="CNY",
            amount="10.00",
        ),
        InvoiceIn(
            external_ref="B",
            customer_ref="NOPE",
            issued_on=date(2026, 1, 5),
            currency="CNY",
            amount="10.00",
        ),
        InvoiceIn(
            external_ref="C",
            customer_ref="C1",
            issued_on=date(2026, 1, 5),
            currency="CNY",
            amount="-1",
        ),
        InvoiceIn(
            external_ref="A",
            customer_ref="C1",
            issued_on=date(2026, 1, 5),
            currency="XXX",
            amount="1.001",
        ),
    ]
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        ledger.post_invoices(session, acme, batch, b.clock())
    assert [(p.field, p.value, p.code) for p in caught.value.problems] == [
        ("invoices[0].external_ref", "A", "duplicate"),
        ("invoices[3].external_ref", "A", "duplicate"),
        ("invoices[1].customer_ref", "NOPE", "not_found"),
        ("invoices[2].amount", "-1", "not_positive"),
        ("invoices[3].currency", "XXX", "unknown_currency"),
    ]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_lines_must_add_up(db: Database, acme: Actor) -> None:
    data = InvoiceIn.model_validate(
        {
            "external_ref": "L1",
            "customer_ref": "C1",
            "issued_on": "2026-01-05",
            "currency": "CNY",
            "amount": "100.00",
            "lines": [
                {"description": "a", "quantity": "2", "unit_price": "30", "amount": "60.00"},
                {"description": "b", "quantity": "1", "unit_price": "39.99", "amount": "39.99"},
            ],
        }
    )
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        ledger.post_invoices(session, acme, [data], b.clock())
    assert caught.value.message() == "lines: the lines add up to 99.99, not to the amount 100.00"


def test_payment_goes_to_oldest_due_first_and_rest_is_unapplied(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="NEW", amount="300.00", issued_on=date(2026, 9, 1))
    b.invoice(db, acme, ref="OLD", amount="200.00", issued_on=date(2026, 8, 1))
    payment_id = b.payment(db, acme, ref="P1", amount="600.00", received_on=date(2026, 11, 1))
    with db.read() as session:
        assert ledger.applications_of(session, acme, "payment", payment_id) == [
            (1, "NEW", 30000),
            (2, "OLD", 20000),
        ]
    assert figures(db, 1, acme)["unapplied"] == 10000
    assert figures(db, 1, acme)["open"] == 0
    assert mismatches(db) == []


def test_explicit_allocation_beyond_open_is_refused_and_changes_nothing(
    db: Database, acme: Actor
) -> None:
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    with pytest.raises(InvalidInput) as caught:
        b.payment(
            db,
            acme,
            ref="P1",
            amount="150.00",
            received_on=date(2026, 11, 1),
            to={"INV-1": "100.01"},
        )
    assert (
        caught.value.message()
        == "allocations[0].amount: allocating 100.01 exceeds the open amount 100.00"
    )
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_allocation_exactly_reaching_open_settles(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    b.payment(
        db, acme, ref="P1", amount="150.00", received_on=date(2026, 11, 1), to={"INV-1": "100.00"}
    )
    with db.read() as session:
        inv = session.scalars(select(Invoice)).one()
        assert (inv.open_minor, inv.status) == (0, "settled")
    assert figures(db, 1, acme)["unapplied"] == 5000


def test_dispute_holds_back_cash_and_write_off(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="INV-1", amount="1000.00", issued_on=date(2026, 9, 1))
    with db.write() as session:
        ledger.open_dispute(
            session,
            acme,
            DisputeIn(
                invoice_ref="INV-1", amount="400.00", reason="quality", opened_on=date(2026, 10, 5)
            ),
            b.clock(),
        )
    b.payment(db, acme, ref="P1", amount="1000.00", received_on=date(2026, 11, 1))
    assert figures(db, 1, acme) | {} == {
        "invoiced": 100000,
        "paid": 60000,
        "credited": 0,
        "written_off": 0,
        "open": 40000,
        "unapplied": 40000,
        "disputed": 40000,
        "overdue": 40000,
    }
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        ledger.post_write_off(
            session,
            acme,
            WriteOffIn(external_ref="W1", invoice_ref="INV-1", written_off_on=AS_OF, reason="x"),
            b.clock(),
        )
    assert caught.value.problems[0].code == "not_positive"
    with db.write() as session:
        ledger.resolve_dispute(
            session,
            acme,
            1,
            DisputeResolveIn(outcome="rejected", resolved_on=AS_OF, resolution="claim refused"),
            b.clock(),
        )
    with db.write() as session:
        ledger.post_write_off(
            session,
            acme,
            WriteOffIn(
                external_ref="W1", invoice_ref="INV-1", written_off_on=AS_OF, reason="settlement"
            ),
            b.clock(),
        )
    assert figures(db, 1, acme)["written_off"] == 40000
    assert figures(db, 1, acme)["open"] == 0
    assert mismatches(db) == []


def test_credit_note_applies_to_named_invoice(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    with db.write() as session:
        note = ledger.post_credit_note(
            session,
            acme,
            CreditNoteIn(
                external_ref="CN-1",
                customer_ref="C1",
                issued_on=date(2026, 9, 10),
                currency="CNY",
                amount="130.00",
                reason="return",
                invoice_ref="INV-1",
            ),
            b.clock(),
        )
        assert note.unapplied_minor == 3000
    assert figures(db, 1, acme)["credited"] == 10000
    assert mismatches(db) == []


def test_reversing_a_payment_reopens_and_reinstating_restores(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    payment_id = b.payment(db, acme, ref="P1", amount="80.00", received_on=date(2026, 10, 1))
    before = figures(db, 1, acme)
    with db.write() as session:
        first = ledger.reverse(
            session,
            acme,
            ReversalIn(
                target_kind="payment", target_id=payment_id, reversed_on=AS_OF, reason="bounced"
            ),
            b.clock(),
        )
    assert figures(db, 1, acme) == before | {"paid": 0, "open": 10000, "overdue": 10000}
    with pytest.raises(Conflict), db.write() as session:
        ledger.reverse(
            session,
            acme,
            ReversalIn(
                target_kind="payment", target_id=payment_id, reversed_on=AS_OF, reason="twice"
            ),
            b.clock(),
        )
    with db.write() as session:
        ledger.reverse(
            session,
            acme,
            ReversalIn(
                target_kind="reversal", target_id=first.id, reversed_on=AS_OF, reason="bank error"
            ),
            b.clock(),
        )
    assert figures(db, 1, acme) == before
    assert mismatches(db) == []


def test_reversing_a_paid_invoice_returns_cash_to_unapplied(db: Database, acme: Actor) -> None:
    invoice_id = b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    b.payment(db, acme, ref="P1", amount="60.00", received_on=date(2026, 10, 1))
    with db.write() as session:
        ledger.reverse(
            session,
            acme,
            ReversalIn(
                target_kind="invoice", target_id=invoice_id, reversed_on=AS_OF, reason="cancelled"
            ),
            b.clock(),
        )
    assert figures(db, 1, acme) == {
        "invoiced": 0,
        "paid": 0,
        "credited": 0,
        "written_off": 0,
        "open": 0,
        "unapplied": 6000,
        "disputed": 0,
        "overdue": 0,
    }
    with db.read() as session:
        assert session.scalars(select(Instalment.open_minor)).all() == [0]
    assert mismatches(db) == []


def test_company_isolation(db: Database, acme: Actor) -> None:
    other = b.company(db, code="OTHER")
    b.customer(db, other, code="C1")
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    with pytest.raises(InvalidInput) as caught:
        b.payment(db, other, ref="P1", amount="10.00", received_on=AS_OF, to={"INV-1": "10.00"})
    assert caught.value.problems[0].field == "allocations[0].invoice_ref"
    with db.read() as session, pytest.raises(Exception, match="not found"):
        ledger.get_invoice(session, other, 1)


def test_no_currency_mixing(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    b.payment(db, acme, ref="P1", amount="100.00", received_on=AS_OF, currency="USD")
    assert mismatches(db) == []
    with db.read() as session:
        view = ledger.customer_balance(session, acme, 1, AS_OF)
    assert [
        (r.balance.currency, r.balance.open_minor, r.balance.unapplied_minor) for r in view.rows
    ] == [
        ("CNY", 10000, 0),
        ("USD", 0, 10000),
    ]


def test_payment_allocations_list_keeps_explicit_order(db: Database, acme: Actor) -> None:
    b.invoice(db, acme, ref="X", amount="100.00", issued_on=date(2026, 9, 1))
    b.invoice(db, acme, ref="Y", amount="100.00", issued_on=date(2026, 8, 1))
    with db.write() as session:
        p = ledger.post_payment(
            session,
            acme,
            PaymentIn(
                external_ref="P",
                customer_ref="C1",
                received_on=AS_OF,
                currency="CNY",
                amount="150.00",
                allocations=[
                    AllocationIn(invoice_ref="X", amount="100.00"),
                    AllocationIn(invoice_ref="Y", amount="50.00"),
                ],
            ),
            b.clock(),
        )
        assert ledger.applications_of(session, acme, "payment", p.id) == [
            (1, "X", 10000),
            (2, "Y", 5000),
        ]


def test_reconciliation_catches_a_drifted_balance(db: Database, acme: Actor) -> None:
    """The broken variant: a balance changed behind the ledger's back must be reported."""
    b.invoice(db, acme, ref="INV-1", amount="100.00", issued_on=date(2026, 9, 1))
    assert mismatches(db) == []
    with db.write() as session:
        session.execute(update(CustomerBalance).values(open_minor=CustomerBalance.open_minor + 1))
    assert mismatches(db) == [
        "(1, 'CNY'): stored {'invoiced_minor': 10000, 'open_minor': 10001} != "
        "recomputed {'invoiced_minor': 10000, 'open_minor': 10000}"
    ]
