"""Credit notes import as one batch posting: the same ledger as posting them one by one, and
every problem of a bad file named, nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import CreditNoteIn, DisputeIn
from creditguard.models import Application, CreditNote, CustomerBalance, Instalment, Invoice
from tests import builders as b
from tests.imports.test_imports import load, write

NOTES = (
    ("N1", "C1", "I1", "CNY", "700.00"),  # over both instalments of I1, oldest first
    ("N2", "C1", "I1", "CNY", "400.00"),  # 300.00 left on I1 after N1: 100.00 stays unapplied
    ("N3", "C1", "I2", "CNY", "250.00"),  # I2's dispute holds back 100.00 of its last instalment
    ("N4", "C1", "", "CNY", "30.00"),  # no invoice: all unapplied
    ("N5", "C2", "I3", "CNY", "10.00"),  # I3 is in dollars: nothing applied
)


def ledger_of(db: Database, code: str) -> Actor:
    actor = b.company(db, code=code)
    b.customer(db, actor, code="C1", terms="50% 0, 50% 60")
    b.customer(db, actor, code="C2")
    b.invoice(db, actor, ref="I1", customer="C1", amount="1000.00", issued_on=date(2026, 9, 1))
    b.invoice(db, actor, ref="I2", customer="C1", amount="300.00", issued_on=date(2026, 9, 5))
    b.invoice(
        db, actor, ref="I3", customer="C2", amount="100.00", issued_on=date(2026, 9, 9),
        currency="USD",
    )  # fmt: skip
    with db.write() as session:
        dispute = DisputeIn(
            invoice_ref="I2", amount="100.00", reason="短装", opened_on=date(2026, 9, 6)
        )
        ledger.open_dispute(session, actor, dispute, b.clock())
    return actor


def state(db: Database, actor: Actor) -> dict[str, object]:
    company = actor.company_id
    with db.read() as session:
        notes = session.execute(
            select(
                CreditNote.external_ref, CreditNote.unapplied_minor, CreditNote.invoice_id.is_(None)
            )
            .where(CreditNote.company_id == company)
            .order_by(CreditNote.external_ref)
        ).all()
        applied = session.execute(
            select(
                CreditNote.external_ref,
                Invoice.external_ref,
                Instalment.seq,
                Application.amount_minor,
                Application.applied_on,
            )
            .join(CreditNote, CreditNote.id == Application.source_id)
            .join(Instalment, Instalment.id == Application.instalment_id)
            .join(Invoice, Invoice.id == Application.invoice_id)
            .where(Application.company_id == company, Application.source_kind == "credit_note")
            .order_by(CreditNote.external_ref, Invoice.external_ref, Instalment.seq)
        ).all()
        invoices = session.execute(
            select(Invoice.external_ref, Invoice.open_minor, Invoice.status)
            .where(Invoice.company_id == company)
            .order_by(Invoice.external_ref)
        ).all()
        items = session.execute(
            select(Invoice.external_ref, Instalment.seq, Instalment.open_minor)
            .join(Invoice, Invoice.id == Instalment.invoice_id)
            .where(Instalment.company_id == company)
            .order_by(Invoice.external_ref, Instalment.seq)
        ).all()
        balances = (
            session.execute(select(CustomerBalance).where(CustomerBalance.company_id == company))
            .scalars()
            .all()
        )
        sums = sorted(
            (
                row.currency,
                tuple(sorted((k, v) for k, v in vars(row).items() if k.endswith("_minor"))),
            )
            for row in balances
        )
    return {
        "notes": [tuple(r) for r in notes],
        "applied": [tuple(r) for r in applied],
        "invoices": [tuple(r) for r in invoices],
        "items": [tuple(r) for r in items],
        "balances": sums,
    }


def test_a_batch_posts_what_one_by_one_would(db: Database, tmp_path: Path) -> None:
    batch, single = ledger_of(db, "A"), ledger_of(db, "B")
    text = "external_ref,customer_code,issued_on,currency,amount,reason,invoice_ref\n" + "".join(
        f"{ref},{customer},2026-10-01,{currency},{amount},退货,{invoice}\n"
        for ref, customer, invoice, currency, amount in NOTES
    )
    report = load(db, batch, "credit-notes", write(tmp_path, "cn.csv", text))
    assert (report["inserted"], report["errors"]) == (5, [])
    for ref, customer, invoice, currency, amount in NOTES:
        with db.write() as session:
            data = CreditNoteIn(
                external_ref=ref, customer_ref=customer, issued_on=date(2026, 10, 1),
                currency=currency, amount=amount, reason="退货", invoice_ref=invoice or None,
            )  # fmt: skip
            ledger.post_credit_note(session, single, data, b.clock())
    found = state(db, batch)
    assert found == state(db, single)
    assert found["notes"] == [
        ("N1", 0, False), ("N2", 100_00, False), ("N3", 50_00, False), ("N4", 30_00, True),
        ("N5", 10_00, False),
    ]  # fmt: skip
    assert [(n, i, s, a) for n, i, s, a, _ in found["applied"]] == [  # type: ignore[attr-defined]
        ("N1", "I1", 1, 500_00), ("N1", "I1", 2, 200_00), ("N2", "I1", 2, 300_00),
        ("N3", "I2", 1, 150_00), ("N3", "I2", 2, 50_00),
    ]  # fmt: skip
    again = load(db, batch, "credit-notes", write(tmp_path, "cn.csv", text))
    assert (again["inserted"], again["unchanged"], again["errors"]) == (0, 5, [])


def test_a_bad_file_names_every_problem_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    actor = ledger_of(db, "A")
    bad = (
        "external_ref,customer_code,issued_on,currency,amount,reason,invoice_ref\n"
        "N1,C1,2026-10-01,CNY,10.00,退货,I1\n"
        "N1,C1,2026-10-01,CNY,20.00,退货,I1\n"
        "N2,NOPE,2026-10-01,CNY,10.00,退货,\n"
        "N3,C2,2026-10-01,CNY,10.00,退货,I1\n"
        "N4,C1,2026-10-01,CNY,-5,退货,\n"
        "N5,C1,2026-13-01,CNY,5.00,退货,\n"
        "N6,C1,2026-10-01,CNY,5.00,退货,\n"
    )
    report = load(db, actor, "credit-notes", write(tmp_path, "bad.csv", bad))
    assert sorted((e["row"], e["column"], e["value"]) for e in report["errors"]) == [
        (2, "external_ref", "N1"),
        (3, "external_ref", "N1"),
        (4, "customer_code", "NOPE"),
        (5, "invoice_ref", "I1"),
        (6, "amount", "-5"),
        (7, "issued_on", "2026-13-01"),
    ]
    assert report["inserted"] == 0
    with db.read() as session:
        assert session.scalars(select(CreditNote.id)).all() == []
        assert (
            session.scalars(
                select(Application.id).where(Application.source_kind == "credit_note")
            ).all()
            == []
        )
