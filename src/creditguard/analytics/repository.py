"""The ledger as it stood on a date, read into columns (Polars) for the portfolio reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session, aliased

from creditguard.db.bulk import read_frame
from creditguard.models import (
    Application,
    Company,
    CreditRating,
    Customer,
    Dispute,
    Instalment,
    Invoice,
    Reversal,
)


def reversals(
    session: Session, company_id: int, customer_id: int | None = None
) -> list[tuple[int, str, int, date]]:
    """Every reversal of the company (or of one customer): (id, target kind, target id, date)."""
    stmt = select(
        Reversal.id, Reversal.target_kind, Reversal.target_id, Reversal.reversed_on
    ).where(Reversal.company_id == company_id)
    if customer_id is not None:
        stmt = stmt.where(Reversal.customer_id == customer_id)
    rows = session.execute(stmt)
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _people() -> Select[*tuple[Any, ...]]:
    parent = aliased(Customer)
    return select(
        Customer.id,
        Customer.code,
        Customer.name,
        func.coalesce(parent.code, Customer.code),
        Customer.industry,
        Customer.region,
        Customer.salesperson,
    ).outerjoin(parent, parent.id == Customer.parent_id)


CUSTOMERS = {
    "customer_id": pl.Int64,
    "customer": pl.String,
    "name": pl.String,
    "group": pl.String,
    "industry": pl.String,
    "region": pl.String,
    "customer_salesperson": pl.String,
}


def grades_on(
    session: Session, company_id: int, as_of: date, customer_id: int | None = None
) -> pl.DataFrame:
    """Per customer, the grade that held on ``as_of``: that of its latest rating dated up to
    it (a manual override included). Customers never rated by then are absent."""
    stmt = (
        select(CreditRating.customer_id, CreditRating.grade)
        .where(CreditRating.company_id == company_id, CreditRating.as_of <= as_of)
        .order_by(CreditRating.customer_id, CreditRating.as_of, CreditRating.id)
    )
    if customer_id is not None:
        stmt = stmt.where(CreditRating.customer_id == customer_id)
    rows = read_frame(session, stmt, {"customer_id": pl.Int64, "grade": pl.String})
    return rows.group_by("customer_id", maintain_order=True).last()


def base_currency(session: Session, company_id: int) -> str:
    return str(session.scalar(select(Company.base_currency).where(Company.id == company_id)))


def payments_applied(
    session: Session, company_id: int, after: date, until: date, customer_ids: list[int] | None
) -> pl.DataFrame:
    """Payment applications dated after ``after`` up to ``until``, with the due date of the
    instalment they paid; undo rows (negative) included, so callers can net them out."""
    stmt = (
        select(
            Application.customer_id,
            Application.source_id,
            Application.instalment_id,
            Application.applied_on,
            Application.currency,
            Application.amount_minor,
            Instalment.due_on,
        )
        .join(Instalment, Instalment.id == Application.instalment_id)
        .where(
            Application.company_id == company_id,
            Application.source_kind == "payment",
            Application.applied_on > after,
            Application.applied_on <= until,
        )
    )
    if customer_ids is not None:
        stmt = stmt.where(Application.customer_id.in_(customer_ids))
    return read_frame(
        session,
        stmt,
        {
            "customer_id": pl.Int64,
            "source_id": pl.Int64,
            "instalment_id": pl.Int64,
            "applied_on": pl.Date,
            "currency": pl.String,
            "amount_minor": pl.Int64,
            "due_on": pl.Date,
        },
    )


# --- what the portfolio snapshot reads (analytics.snapshot) ---

ITEMS = {
    "instalment_id": pl.Int64,
    "invoice_id": pl.Int64,
    "customer_id": pl.Int64,
    "due_on": pl.Date,
    "issued_on": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "salesperson": pl.String,
}
ENTRIES = {
    "entry_id": pl.Int64,
    "instalment_id": pl.Int64,
    "customer_id": pl.Int64,
    "applied_on": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "source_kind": pl.String,
    "source_id": pl.Int64,
}
PEOPLE = {
    "customer_id": pl.Int64,
    "customer": pl.String,
    "name": pl.String,
    "parent_id": pl.Int64,
    "industry": pl.String,
    "region": pl.String,
    "customer_salesperson": pl.String,
    "revision": pl.Int64,
}
DISPUTES = {
    "invoice_id": pl.Int64,
    "customer_id": pl.Int64,
    "amount_minor": pl.Int64,
    "opened_on": pl.Date,
    "resolved_on": pl.Date,
}


def items_after(session: Session, company_id: int, after_id: int) -> pl.DataFrame:
    """Instalments with ids above ``after_id``, with their invoice's issue date and salesperson,
    in id order — the order the snapshot keeps them in. Asked of the database: PostgreSQL's
    parallel hash join answers in no particular order, and sorting 10.9M instalments in Polars
    copied them whole beside themselves (+790 MB at the build's peak); PostgreSQL sorts them
    for ~15 % more read time, SQLite reads them in id order by its plan anyway (no sort)."""
    stmt = items_stmt(company_id, after_id).order_by(Instalment.id)
    return read_frame(session, stmt, ITEMS)


def items_stmt(
    company_id: int, after_id: int = 0, upto: int | None = None
) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(
            Instalment.id.label("instalment_id"),
            Instalment.invoice_id,
            Instalment.customer_id,
            Instalment.due_on,
            Invoice.issued_on,
            Instalment.currency,
            Instalment.amount_minor,
            Invoice.salesperson,
        )
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(Instalment.company_id == company_id, Instalment.id > after_id)
    )
    return stmt if upto is None else stmt.where(Instalment.id <= upto)


def entries_after(session: Session, company_id: int, after_id: int) -> pl.DataFrame:
    """Applications (money applied, or undone when negative) with ids above ``after_id``."""
    return read_frame(session, entries_stmt(company_id, after_id), ENTRIES)


def entries_stmt(
    company_id: int, after_id: int = 0, upto: int | None = None
) -> Select[*tuple[Any, ...]]:
    stmt = select(
        Application.id.label("entry_id"),
        Application.instalment_id,
        Application.customer_id,
        Application.applied_on,
        Application.currency,
        Application.amount_minor,
        Application.source_kind,
        Application.source_id,
    ).where(Application.company_id == company_id, Application.id > after_id)
    return stmt if upto is None else stmt.where(Application.id <= upto)


def people_after(session: Session, company_id: int, revision: int) -> pl.DataFrame:
    """Customers created or changed at revisions above ``revision``."""
    return read_frame(session, people_stmt(company_id, revision), PEOPLE)


def people_stmt(company_id: int, revision: int = 0) -> Select[*tuple[Any, ...]]:
    """Customers of revisions above ``revision``, found by the revision index: a refresh asks
    for the few changed since the last one. The company is compared as ``company_id + 0``, which
    no index serves, because SQLite, planning without statistics, would otherwise walk every
    customer of the company by the company index (0.5 s a refresh at 1M customers)."""
    return select(
        Customer.id.label("customer_id"),
        Customer.code.label("customer"),
        Customer.name,
        Customer.parent_id,
        Customer.industry,
        Customer.region,
        Customer.salesperson.label("customer_salesperson"),
        Customer.revision,
    ).where((Customer.company_id + 0) == company_id, Customer.revision > revision)


def all_disputes(session: Session, company_id: int) -> pl.DataFrame:
    return read_frame(session, disputes_stmt(company_id), DISPUTES)


def disputes_stmt(company_id: int) -> Select[*tuple[Any, ...]]:
    return select(
        Dispute.invoice_id,
        Dispute.customer_id,
        Dispute.amount_minor,
        Dispute.opened_on,
        Dispute.resolved_on,
    ).where(Dispute.company_id == company_id)


def id_ranges(session: Session, company_id: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The lowest and highest instalment id, and application id, of the company (0, 0: none)."""
    items = session.execute(
        select(func.min(Instalment.id), func.max(Instalment.id)).where(
            Instalment.company_id == company_id
        )
    ).one()
    entries = session.execute(
        select(func.min(Application.id), func.max(Application.id)).where(
            Application.company_id == company_id
        )
    ).one()
    return (items[0] or 0, items[1] or 0), (entries[0] or 0, entries[1] or 0)


def company_created(session: Session, company_id: int) -> str | None:
    """When the company was created (a snapshot of another database's company is not ours)."""
    created = session.scalar(select(Company.created_at).where(Company.id == company_id))
    return None if created is None else created.isoformat()


# The statement's snapshot is taken before it runs, so the id this transaction takes while it
# runs (``me``) is above every id taken before the snapshot: the transactions that may still
# write are those listed in progress (xip) and every id from the snapshot's xmax (one above
# the last transaction completed, not above the last one begun) up to ``me``.
IN_PROGRESS = text(
    """
    WITH s AS (
        SELECT pg_current_snapshot() AS snap, pg_current_xact_id()::text::bigint AS me
    ), running AS (
        SELECT x::text::bigint AS x FROM s, pg_snapshot_xip(s.snap) AS x
        UNION
        SELECT generate_series(pg_snapshot_xmax(s.snap)::text::bigint, s.me - 1) FROM s
    )
    SELECT x FROM running WHERE x::text::xid8::xid NOT IN (
        SELECT backend_xid FROM pg_stat_activity
        WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL
    )
    """
)


def in_progress(session: Session) -> list[int]:
    """PostgreSQL, in a REPEATABLE READ transaction: the transactions that may commit rows its
    snapshot (taken by this, its first statement) does not see: those in progress in it and
    those begun but above its xmax, less those a backend of another database of the server
    runs (ids are server-wide; those never write this database's rows). One not known to be
    elsewhere, a prepared one say, stays: a refresh waits for it."""
    return [int(x) for x in session.execute(IN_PROGRESS).scalars()]


def held_rows(
    session: Session, company_id: int, instalment_id: int, entry_id: int
) -> tuple[int | None, int | None]:
    """The amounts of one instalment and one application (None where there is none): the
    last rows a snapshot holds, looked up to tell a database restored or emptied since."""
    item = session.scalar(
        select(Instalment.amount_minor).where(
            Instalment.company_id == company_id, Instalment.id == instalment_id
        )
    )
    entry = session.scalar(
        select(Application.amount_minor).where(
            Application.company_id == company_id, Application.id == entry_id
        )
    )
    return item, entry
