"""R5: a Hypothesis state machine drives the ledger through random stories on a real database.

After every step: stored balances equal balances recomputed from the entries (R6), no invoice
has more applied than its amount, and open = invoiced - paid - credited - written off. Reversing
an entry and then reversing that reversal gives the customer back the balance it had.

The test-suite profile is small; `CREDITGUARD_SOAK=1` runs the scorecard's 500 x 50.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select, text

from creditguard.core.errors import DomainError
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
    TargetKind,
    WriteOffIn,
)
from creditguard.models import Application, CustomerBalance, Dispute, Invoice
from tests import builders as b
from tests.conftest import _clean, _prepare
from tests.reconcile import mismatches

SOAK = os.environ.get("CREDITGUARD_SOAK") == "1"
START = date(2026, 1, 5)
_DATABASE: Database | None = None


def database() -> Database:
    global _DATABASE
    if _DATABASE is None:
        path = Path(tempfile.mkdtemp(prefix="cg-sm-")) / "ledger.db"
        _DATABASE = _prepare(f"sqlite:///{path}")
    return _DATABASE


amounts = st.integers(min_value=1, max_value=500_00).map(lambda m: f"{m // 100}.{m % 100:02d}")
customers = st.sampled_from(["C1", "C2"])
currencies = st.sampled_from(["CNY", "CNY", "USD"])
days = st.integers(min_value=0, max_value=300)
KINDS = ["invoice", "payment", "credit_note", "write_off", "reversal"]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = database()
        self.actor = Actor(1, "user:sm", "admin")
        self.serial = 0

    @initialize()
    def fresh_company(self) -> None:
        _clean(self.db)
        self.actor = b.company(self.db)
        b.customer(self.db, self.actor, code="C1")
        b.customer(self.db, self.actor, code="C2", terms="30% 0, 70% 60")

    def _ref(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def _try(self, action: object) -> None:
        try:
            with self.db.write() as session:
                action(session)  # type: ignore[operator]
        except DomainError:
            pass  # refused input changes nothing: the invariants below check that too

    def _some(self, model: type[Invoice], n: int) -> Invoice | None:
        with self.db.read() as session:
            rows = list(session.scalars(select(model).order_by(model.id)))
        return rows[n % len(rows)] if rows else None

    @rule(customer=customers, currency=currencies, amount=amounts, day=days)
    def post_invoice(self, customer: str, currency: str, amount: str, day: int) -> None:
        data = InvoiceIn(
            external_ref=self._ref("I"),
            customer_ref=customer,
            currency=currency,
            amount=amount,
            issued_on=START + timedelta(days=day),
        )
        self._try(lambda s: ledger.post_invoices(s, self.actor, [data], b.clock()))

    @rule(
        customer=customers,
        currency=currencies,
        amount=amounts,
        pick=st.integers(0, 50),
        part=amounts,
        explicit=st.booleans(),
    )
    def post_payment(
        self,
        customer: str,
        currency: str,
        amount: str,
        pick: int,
        part: str,
        explicit: bool,
    ) -> None:
        invoice = self._some(Invoice, pick)
        allocations = None
        if explicit and invoice is not None:
            allocations = [AllocationIn(invoice_ref=invoice.external_ref, amount=part)]
        data = PaymentIn(
            external_ref=self._ref("P"),
            customer_ref=customer,
            currency=currency,
            amount=amount,
            received_on=START + timedelta(days=200),
            allocations=allocations,
        )
        self._try(lambda s: ledger.post_payment(s, self.actor, data, b.clock()))

    @rule(customer=customers, amount=amounts, pick=st.integers(0, 50))
    def post_credit_note(self, customer: str, amount: str, pick: int) -> None:
        invoice = self._some(Invoice, pick)
        data = CreditNoteIn(
            external_ref=self._ref("CN"),
            customer_ref=customer,
            currency="CNY",
            amount=amount,
            issued_on=START + timedelta(days=100),
            reason="return",
            invoice_ref=None if invoice is None else invoice.external_ref,
        )
        self._try(lambda s: ledger.post_credit_note(s, self.actor, data, b.clock()))

    @rule(pick=st.integers(0, 50), amount=amounts)
    def dispute(self, pick: int, amount: str) -> None:
        invoice = self._some(Invoice, pick)
        if invoice is not None:
            data = DisputeIn(
                invoice_ref=invoice.external_ref, amount=amount, reason="quality", opened_on=START
            )
            self._try(lambda s: ledger.open_dispute(s, self.actor, data, b.clock()))

    @rule(pick=st.integers(0, 50))
    def resolve(self, pick: int) -> None:
        found = self._some(Dispute, pick)  # type: ignore[arg-type]
        if found is not None:
            data = DisputeResolveIn(
                outcome="resolved", resolved_on=START + timedelta(days=400), resolution="ok"
            )
            self._try(lambda s: ledger.resolve_dispute(s, self.actor, found.id, data, b.clock()))

    @rule(pick=st.integers(0, 50), amount=st.none() | amounts)
    def write_off(self, pick: int, amount: str | None) -> None:
        invoice = self._some(Invoice, pick)
        if invoice is not None:
            data = WriteOffIn(
                external_ref=self._ref("W"),
                invoice_ref=invoice.external_ref,
                amount=amount,
                written_off_on=START + timedelta(days=300),
                reason="bankrupt",
            )
            self._try(lambda s: ledger.post_write_off(s, self.actor, data, b.clock()))

    @rule(kind=st.sampled_from(KINDS), entry=st.integers(1, 40))
    def reverse(self, kind: TargetKind, entry: int) -> None:
        data = ReversalIn(
            target_kind=kind,
            target_id=entry,
            reversed_on=START + timedelta(days=310),
            reason="correction",
        )
        self._try(lambda s: ledger.reverse(s, self.actor, data, b.clock()))

    @rule(
        kind=st.sampled_from(["payment", "credit_note", "write_off", "invoice"]),
        entry=st.integers(1, 40),
    )
    def reverse_and_reinstate(self, kind: TargetKind, entry: int) -> None:
        before = self._nets()
        try:
            with self.db.write() as session:
                first = ledger.reverse(
                    session,
                    self.actor,
                    ReversalIn(target_kind=kind, target_id=entry, reversed_on=START, reason="x"),
                    b.clock(),
                )
            with self.db.write() as session:
                ledger.reverse(
                    session,
                    self.actor,
                    ReversalIn(
                        target_kind="reversal", target_id=first.id, reversed_on=START, reason="undo"
                    ),
                    b.clock(),
                )
        except DomainError:
            return
        assert self._nets() == before

    def _nets(self) -> dict[tuple[int, str], tuple[int, int, int, int]]:
        with self.db.read() as session:
            return {
                (r.customer_id, r.currency): (
                    r.invoiced_minor,
                    r.received_minor,
                    r.credit_issued_minor,
                    r.open_minor - r.unapplied_minor,
                )
                for r in session.scalars(select(CustomerBalance))
            }

    @invariant()
    def books_reconcile(self) -> None:
        assert mismatches(self.db) == []

    @invariant()
    def never_over_applied(self) -> None:
        with self.db.read() as session:
            over = session.execute(
                select(Application.invoice_id)
                .join(Invoice, Invoice.id == Application.invoice_id)
                .group_by(Application.invoice_id, Invoice.amount_minor)
                .having(
                    (func.sum(Application.amount_minor) > Invoice.amount_minor)
                    | (func.sum(Application.amount_minor) < 0)
                )
            ).all()
            currencies_mixed = session.execute(
                text(
                    "SELECT a.id FROM applications a JOIN invoices i ON i.id = a.invoice_id"
                    " WHERE a.currency <> i.currency"
                )
            ).all()
        assert (over, currencies_mixed) == ([], [])

    @invariant()
    def open_is_invoiced_minus_settled(self) -> None:
        with self.db.read() as session:
            for r in session.scalars(select(CustomerBalance)):
                assert (
                    r.open_minor
                    == r.invoiced_minor - r.paid_minor - r.credited_minor - r.written_off_minor
                )
                assert (
                    r.unapplied_minor
                    == r.received_minor - r.paid_minor + r.credit_issued_minor - r.credited_minor
                )


LedgerMachine.TestCase.settings = settings(
    max_examples=500 if SOAK else 25,
    stateful_step_count=50 if SOAK else 20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
