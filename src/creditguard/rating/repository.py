"""Every query of the credit file, the scorecard policies and the ratings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from creditguard.db.bulk import read_frame
from creditguard.models import (
    Application,
    CreditDocument,
    CreditNote,
    CreditProfile,
    CreditRating,
    Customer,
    Dispute,
    DocumentContent,
    FinancialStatement,
    Instalment,
    Invoice,
    ModelBlend,
    Payment,
    Reversal,
    ScorecardPolicy,
    ScoringModel,
    WriteOff,
)


def profile(session: Session, company_id: int, customer_id: int) -> CreditProfile | None:
    return session.scalar(
        select(CreditProfile).where(
            CreditProfile.company_id == company_id, CreditProfile.customer_id == customer_id
        )
    )


def profiles(
    session: Session, company_id: int, customer_ids: Sequence[int]
) -> dict[int, CreditProfile]:
    found: dict[int, CreditProfile] = {}
    for start in range(0, len(customer_ids), 900):  # bounded IN lists
        chunk = customer_ids[start : start + 900]
        rows = session.scalars(
            select(CreditProfile).where(
                CreditProfile.company_id == company_id, CreditProfile.customer_id.in_(chunk)
            )
        )
        found.update({row.customer_id: row for row in rows})
    return found


def statements(
    session: Session, company_id: int, customer_id: int, until: date | None = None
) -> list[FinancialStatement]:
    """The customer's statements, oldest period first (up to ``until`` if given)."""
    stmt = select(FinancialStatement).where(
        FinancialStatement.company_id == company_id,
        FinancialStatement.customer_id == customer_id,
    )
    if until is not None:
        stmt = stmt.where(FinancialStatement.period_end <= until)
    return list(session.scalars(stmt.order_by(FinancialStatement.period_end)))


def statements_of(
    session: Session, company_id: int, customer_ids: Sequence[int], until: date
) -> dict[int, list[FinancialStatement]]:
    """Many customers' statements up to ``until``, each customer's oldest period first."""
    found: dict[int, list[FinancialStatement]] = {}
    for start in range(0, len(customer_ids), 900):  # bounded IN lists
        rows = session.scalars(
            select(FinancialStatement)
            .where(
                FinancialStatement.company_id == company_id,
                FinancialStatement.customer_id.in_(customer_ids[start : start + 900]),
                FinancialStatement.period_end <= until,
            )
            .order_by(FinancialStatement.customer_id, FinancialStatement.period_end)
        )
        for row in rows:
            found.setdefault(row.customer_id, []).append(row)
    return found


def statement_on(
    session: Session, company_id: int, customer_id: int, period_end: date
) -> FinancialStatement | None:
    return session.scalar(
        select(FinancialStatement).where(
            FinancialStatement.company_id == company_id,
            FinancialStatement.customer_id == customer_id,
            FinancialStatement.period_end == period_end,
        )
    )


def documents(session: Session, company_id: int, customer_id: int) -> list[CreditDocument]:
    return list(
        session.scalars(
            select(CreditDocument)
            .where(
                CreditDocument.company_id == company_id, CreditDocument.customer_id == customer_id
            )
            .order_by(CreditDocument.id.desc())
        )
    )


def document(session: Session, company_id: int, document_id: int) -> CreditDocument | None:
    return session.scalar(
        select(CreditDocument).where(
            CreditDocument.company_id == company_id, CreditDocument.id == document_id
        )
    )


def store_content(
    session: Session, company_id: int, sha256: str, content: bytes, at: datetime
) -> int:
    """The id of the company's stored file with this SHA-256, stored now unless it already is.

    ``ON CONFLICT DO NOTHING`` on (company, SHA-256): two uploads of one file at the same time
    keep one row and neither fails (the second waits for the first and then finds its row).
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DocumentContent)
        .values(
            company_id=company_id,
            sha256=sha256,
            size_bytes=len(content),
            content=content,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["company_id", "sha256"])
    )
    return session.scalars(
        select(DocumentContent.id).where(
            DocumentContent.company_id == company_id, DocumentContent.sha256 == sha256
        )
    ).one()


def document_content(session: Session, company_id: int, content_id: int) -> DocumentContent | None:
    return session.scalar(
        select(DocumentContent).where(
            DocumentContent.company_id == company_id, DocumentContent.id == content_id
        )
    )


def latest_policy(session: Session, company_id: int) -> ScorecardPolicy | None:
    return session.scalar(
        select(ScorecardPolicy)
        .where(ScorecardPolicy.company_id == company_id)
        .order_by(ScorecardPolicy.version.desc())
        .limit(1)
    )


def policy_version(session: Session, company_id: int, version: int) -> ScorecardPolicy | None:
    return session.scalar(
        select(ScorecardPolicy).where(
            ScorecardPolicy.company_id == company_id, ScorecardPolicy.version == version
        )
    )


def ratings(session: Session, company_id: int, customer_id: int) -> list[CreditRating]:
    """The customer's ratings, newest first."""
    return list(
        session.scalars(
            select(CreditRating)
            .where(CreditRating.company_id == company_id, CreditRating.customer_id == customer_id)
            .order_by(CreditRating.id.desc())
        )
    )


def latest_rating(session: Session, company_id: int, customer_id: int) -> CreditRating | None:
    return session.scalar(
        select(CreditRating)
        .where(CreditRating.company_id == company_id, CreditRating.customer_id == customer_id)
        .order_by(CreditRating.id.desc())
        .limit(1)
    )


def due_customers(session: Session, company_id: int, as_of: date, *, everyone: bool) -> list[int]:
    """Active customers due a rating on ``as_of``: never rated, or their review date reached."""
    stmt = (
        select(Customer.id)
        .outerjoin(
            CreditProfile,
            (CreditProfile.customer_id == Customer.id) & (CreditProfile.company_id == company_id),
        )
        .where(Customer.company_id == company_id, Customer.status == "active")
    )
    if not everyone:
        stmt = stmt.where(
            or_(CreditProfile.next_review_on.is_(None), CreditProfile.next_review_on <= as_of)
        )
    return list(session.scalars(stmt.order_by(Customer.id)))


# --- the whole ledger of a company in columns: what the point-in-time features read ---


def _reversed_on(company_id: int, kind: str, target: Any) -> Any:
    """The date the entry was reversed on (NULL if never): a reversal is an entry of its own."""
    return (
        select(func.min(Reversal.reversed_on))
        .where(
            Reversal.company_id == company_id,
            Reversal.target_kind == kind,
            Reversal.target_id == target,
        )
        .scalar_subquery()
    )


Ids = Sequence[int] | None  # some customers only (a rating run's chunk); None: all of them


def _only(stmt: Any, column: Any, customer_ids: Ids) -> Any:
    return stmt if customer_ids is None else stmt.where(column.in_(list(customer_ids)))


FEW_CUSTOMERS = 50  # up to this many, a ledger read goes through the session (see _frame)


def _frame(session: Session, stmt: Any, schema: dict[str, Any], customer_ids: Ids) -> pl.DataFrame:
    """``read_frame`` for the whole ledger or a run's chunk; for a few customers (rating one
    customer) their few rows through the session instead, whose statement cache compiles
    each statement once per process rather than once per read (the IN list is an expanding
    parameter). The same frame either way: the columns' types make the same values."""
    if customer_ids is None or len(customer_ids) > FEW_CUSTOMERS:
        return read_frame(session, stmt, schema)
    rows = session.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def ledger_items(session: Session, company_id: int, customer_ids: Ids = None) -> pl.DataFrame:
    """Every instalment with its invoice's issue date and the invoice's reversal date."""
    stmt = (
        select(
            Instalment.id,
            Instalment.invoice_id,
            Instalment.customer_id,
            Invoice.issued_on,
            Instalment.due_on,
            Instalment.amount_minor,
            _reversed_on(company_id, "invoice", Invoice.id),
        )
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(Instalment.company_id == company_id)
    )
    stmt = _only(stmt, Instalment.customer_id, customer_ids)
    schema = {
        "instalment_id": pl.Int64,
        "invoice_id": pl.Int64,
        "customer_id": pl.Int64,
        "issued_on": pl.Date,
        "due_on": pl.Date,
        "amount_minor": pl.Int64,
        "reversed_on": pl.Date,
    }
    return _frame(session, stmt, schema, customer_ids)


def ledger_applications(
    session: Session, company_id: int, customer_ids: Ids = None
) -> pl.DataFrame:
    """Every application (undo rows, negative, included) with its date and source."""
    stmt = select(
        Application.instalment_id,
        Application.customer_id,
        Application.source_kind,
        Application.source_id,
        Application.amount_minor,
        Application.applied_on,
    ).where(Application.company_id == company_id)
    if customer_ids is not None:  # through their invoices: (company_id, invoice_id) is indexed
        own = select(Invoice.id).where(
            Invoice.company_id == company_id, Invoice.customer_id.in_(list(customer_ids))
        )
        stmt = stmt.where(Application.invoice_id.in_(own))
    schema = {
        "instalment_id": pl.Int64,
        "customer_id": pl.Int64,
        "source_kind": pl.String,
        "source_id": pl.Int64,
        "amount_minor": pl.Int64,
        "applied_on": pl.Date,
    }
    return _frame(session, stmt, schema, customer_ids)


def ledger_events(
    session: Session, company_id: int, customer_ids: Ids = None
) -> dict[str, pl.DataFrame]:
    """Credit notes, write-offs (with their reversal dates) and disputes, by customer."""
    dated = {
        "customer_id": pl.Int64,
        "on": pl.Date,
        "amount_minor": pl.Int64,
        "reversed_on": pl.Date,
    }
    notes = select(
        CreditNote.customer_id,
        CreditNote.issued_on,
        CreditNote.amount_minor,
        _reversed_on(company_id, "credit_note", CreditNote.id),
    ).where(CreditNote.company_id == company_id)
    offs = select(
        WriteOff.customer_id,
        WriteOff.written_off_on,
        WriteOff.amount_minor,
        _reversed_on(company_id, "write_off", WriteOff.id),
    ).where(WriteOff.company_id == company_id)
    disputes = select(Dispute.customer_id, Dispute.opened_on).where(
        Dispute.company_id == company_id
    )
    notes = _only(notes, CreditNote.customer_id, customer_ids)
    offs = _only(offs, WriteOff.customer_id, customer_ids)
    disputes = _only(disputes, Dispute.customer_id, customer_ids)
    return {
        "credit_notes": _frame(session, notes, dated, customer_ids),
        "write_offs": _frame(session, offs, dated, customer_ids),
        "disputes": _frame(
            session, disputes, {"customer_id": pl.Int64, "on": pl.Date}, customer_ids
        ),
    }


def ledger_statements(session: Session, company_id: int, customer_ids: Ids = None) -> pl.DataFrame:
    """Every financial statement's balance-sheet figures, by customer and period end."""
    stmt = select(
        FinancialStatement.customer_id,
        FinancialStatement.period_end,
        FinancialStatement.total_assets_minor,
        FinancialStatement.total_liabilities_minor,
        FinancialStatement.current_assets_minor,
        FinancialStatement.current_liabilities_minor,
    ).where(FinancialStatement.company_id == company_id)
    stmt = _only(stmt, FinancialStatement.customer_id, customer_ids)
    schema = {
        "customer_id": pl.Int64,
        "period_end": pl.Date,
        "total_assets_minor": pl.Int64,
        "total_liabilities_minor": pl.Int64,
        "current_assets_minor": pl.Int64,
        "current_liabilities_minor": pl.Int64,
    }
    return _frame(session, stmt, schema, customer_ids)


def ledger_customers(session: Session, company_id: int, customer_ids: Ids = None) -> pl.DataFrame:
    """Every customer's code and founding date (from the credit file, if recorded)."""
    stmt = (
        select(Customer.id, Customer.code, CreditProfile.founded_on)
        .outerjoin(
            CreditProfile,
            and_(CreditProfile.customer_id == Customer.id, CreditProfile.company_id == company_id),
        )
        .where(Customer.company_id == company_id)
    )
    stmt = _only(stmt, Customer.id, customer_ids)
    schema = {"customer_id": pl.Int64, "customer": pl.String, "founded_on": pl.Date}
    return _frame(session, stmt, schema, customer_ids)


def ledger_last_date(session: Session, company_id: int) -> date | None:
    """The latest business date of any entry: how far the ledger has been observed."""
    found = [
        session.scalar(select(func.max(column)).where(model.company_id == company_id))
        for model, column in (
            (Invoice, Invoice.issued_on),
            (Application, Application.applied_on),
            (Payment, Payment.received_on),
            (CreditNote, CreditNote.issued_on),
            (WriteOff, WriteOff.written_off_on),
            (Reversal, Reversal.reversed_on),
        )
    ]
    dates = [d for d in found if d is not None]
    return max(dates) if dates else None


# --- the model registry ---


def last_model_version(session: Session, company_id: int, name: str) -> int:
    found = session.scalar(
        select(func.max(ScoringModel.version)).where(
            ScoringModel.company_id == company_id, ScoringModel.name == name
        )
    )
    return int(found or 0)


def scoring_models(session: Session, company_id: int) -> list[ScoringModel]:
    return list(
        session.scalars(
            select(ScoringModel)
            .where(ScoringModel.company_id == company_id)
            .order_by(ScoringModel.id.desc())
        )
    )


def scoring_model(session: Session, company_id: int, model_id: int) -> ScoringModel | None:
    return session.scalar(
        select(ScoringModel).where(
            ScoringModel.company_id == company_id, ScoringModel.id == model_id
        )
    )


def scoring_model_version(
    session: Session, company_id: int, name: str, version: int
) -> ScoringModel | None:
    return session.scalar(
        select(ScoringModel).where(
            ScoringModel.company_id == company_id,
            ScoringModel.name == name,
            ScoringModel.version == version,
        )
    )


def champion(session: Session, company_id: int) -> ScoringModel | None:
    return session.scalar(
        select(ScoringModel).where(
            ScoringModel.company_id == company_id, ScoringModel.status == "champion"
        )
    )


def challenger(session: Session, company_id: int) -> ScoringModel | None:
    return session.scalar(
        select(ScoringModel)
        .where(ScoringModel.company_id == company_id, ScoringModel.status == "challenger")
        .order_by(ScoringModel.id.desc())
        .limit(1)
    )


def latest_blend(session: Session, company_id: int) -> ModelBlend | None:
    return session.scalar(
        select(ModelBlend)
        .where(ModelBlend.company_id == company_id)
        .order_by(ModelBlend.version.desc())
        .limit(1)
    )
