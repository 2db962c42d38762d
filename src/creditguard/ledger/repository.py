"""Every query of the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from creditguard.db import bulk
from creditguard.db.lookups import ids_by_key, rows_by_key, values_by_key
from creditguard.db.paging import PageRequest, fetch_page, order_by
from creditguard.models import (
    Application,
    Company,
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

BALANCE_FIELDS = (
    "invoiced_minor",
    "received_minor",
    "credit_issued_minor",
    "paid_minor",
    "credited_minor",
    "written_off_minor",
    "open_minor",
    "unapplied_minor",
    "disputed_minor",
)

Entry = Invoice | Payment | CreditNote | WriteOff | Reversal
ENTRY_TYPES: Mapping[str, type[Entry]] = {
    "invoice": Invoice,
    "payment": Payment,
    "credit_note": CreditNote,
    "write_off": WriteOff,
    "reversal": Reversal,
}


def get_entry(session: Session, company_id: int, kind: str, entry_id: int) -> Entry | None:
    model = ENTRY_TYPES[kind]
    found = session.scalar(
        select(model).where(model.company_id == company_id, model.id == entry_id)
    )
    return cast("Entry | None", found)


def existing_refs(
    session: Session, model: type[Entry], company_id: int, refs: Sequence[str]
) -> set[str]:
    table = cast(Table, model.__table__)
    return set(ids_by_key(session, table, "external_ref", company_id, refs))


def get_invoice_by_ref(session: Session, company_id: int, ref: str) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(Invoice.company_id == company_id, Invoice.external_ref == ref)
    )


def invoices_by_refs(session: Session, company_id: int, refs: Iterable[str]) -> dict[str, Invoice]:
    wanted = sorted(set(refs))
    found: dict[str, Invoice] = {}
    for start in range(0, len(wanted), 900):
        for invoice in session.scalars(
            select(Invoice).where(
                Invoice.company_id == company_id,
                Invoice.external_ref.in_(wanted[start : start + 900]),
            )
        ):
            found[invoice.external_ref] = invoice
    return found


def insert_entries(
    session: Session, model: type[Any], company_id: int, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert entries (invoices, payments) in one statement; return their ids in order given."""
    if not rows:
        return []
    table = cast(Table, model.__table__)
    bulk.insert_rows(session, table, rows)
    refs = [row["external_ref"] for row in rows]
    ids = ids_by_key(session, table, "external_ref", company_id, refs)
    return [ids[ref] for ref in refs]


# What an open instalment is read as (OpenInstalment's fields, in order).
_OPEN_ITEM = (
    Instalment.id,
    Instalment.invoice_id,
    Invoice.external_ref,
    Instalment.seq,
    Instalment.due_on,
    Invoice.issued_on,
    Instalment.open_minor,
    Invoice.open_minor,
    Invoice.disputed_minor,
)


def open_items_of_customers(
    session: Session, company_id: int, customer_ids: Sequence[int]
) -> dict[tuple[int, str], list[OpenInstalment]]:
    """Every open instalment of these customers, by (customer, currency), oldest due first."""
    return _open_items(session, company_id, Instalment.customer_id, customer_ids)


def open_items_of_invoices(
    session: Session, company_id: int, invoice_refs: Iterable[str]
) -> dict[tuple[int, str], list[OpenInstalment]]:
    """The open instalments of these invoices only, by (customer, currency), oldest due first
    (as :func:`open_items_of_customers`): a batch whose entries each name their invoice needs
    no other open item, however many the customers have."""
    return _open_items(session, company_id, Invoice.external_ref, invoice_refs)


def _open_items(
    session: Session, company_id: int, column: Any, values: Iterable[Any]
) -> dict[tuple[int, str], list[OpenInstalment]]:
    """Open instalments whose ``column`` is among ``values`` (900 at a time), by (customer,
    currency), each list oldest due first."""
    found: dict[tuple[int, str], list[OpenInstalment]] = {}
    wanted = sorted(set(values))
    # The company is named on the table the values are looked up in, and only there: given
    # ``instalments.company_id = ?`` beside invoice numbers, SQLite (no statistics) walks
    # every instalment of the company for each chunk (6 s at 10M) instead of finding the
    # invoices by (company, number) and their instalments by invoice (9 ms). An instalment's
    # company is its invoice's.
    tenant = (Instalment if column.table is Instalment.__table__ else Invoice).company_id
    for start in range(0, len(wanted), 900):
        stmt = (
            select(Instalment.customer_id, Instalment.currency, *_OPEN_ITEM)
            .join(Invoice, Invoice.id == Instalment.invoice_id)
            .where(
                tenant == company_id,
                column.in_(wanted[start : start + 900]),
                Instalment.open_minor > 0,
                Invoice.status == "open",
            )
        )
        for row in session.execute(stmt):
            found.setdefault((row[0], row[1]), []).append(OpenInstalment(*row[2:]))
    for rows in found.values():  # a customer's invoices may come in several chunks
        rows.sort(key=lambda r: (r.due_on, r.issued_on, r.invoice_id, r.seq))
    return found


def add_to_open_amounts(
    session: Session, instalments: Mapping[int, int], invoices: Mapping[int, int]
) -> None:
    """Add (negative: settle) amounts to many instalments and invoices at once."""
    bulk.add_to_rows(
        session,
        cast(Table, Instalment.__table__),
        ["id"],
        ["open_minor"],
        [(k, v) for k, v in sorted(instalments.items())],
    )
    bulk.add_to_rows(
        session,
        cast(Table, Invoice.__table__),
        ["id"],
        ["open_minor"],
        [(k, v) for k, v in sorted(invoices.items())],
    )


def insert_rows(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    bulk.insert_rows(session, cast(Table, model.__table__), rows)


@dataclass(frozen=True, slots=True)
class OpenInstalment:
    instalment_id: int
    invoice_id: int
    invoice_ref: str
    seq: int
    due_on: date
    issued_on: date
    open_minor: int
    invoice_open_minor: int
    invoice_disputed_minor: int


def open_instalments(
    session: Session,
    company_id: int,
    customer_id: int,
    currency: str,
    invoice_ids: Sequence[int] | None = None,
) -> list[OpenInstalment]:
    stmt = (
        select(*_OPEN_ITEM)
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(
            Instalment.company_id == company_id,
            Instalment.customer_id == customer_id,
            Instalment.currency == currency,
            Instalment.open_minor > 0,
            Invoice.status == "open",
        )
        .order_by(Instalment.due_on, Invoice.issued_on, Instalment.invoice_id, Instalment.seq)
    )
    if invoice_ids is not None:
        stmt = stmt.where(Instalment.invoice_id.in_(list(invoice_ids)))
    return [OpenInstalment(*row) for row in session.execute(stmt)]


def instalments_of(session: Session, company_id: int, invoice_id: int) -> list[Instalment]:
    return list(
        session.scalars(
            select(Instalment)
            .where(Instalment.company_id == company_id, Instalment.invoice_id == invoice_id)
            .order_by(Instalment.seq)
        )
    )


def lines_of(session: Session, company_id: int, invoice_id: int) -> list[InvoiceLine]:
    return list(
        session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.company_id == company_id, InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.line_no)
        )
    )


def add_to_instalment(session: Session, instalment_id: int, delta: int) -> None:
    session.execute(
        update(Instalment)
        .where(Instalment.id == instalment_id)
        .values(open_minor=Instalment.open_minor + delta)
    )


def add_to_invoice(
    session: Session,
    invoice_id: int,
    *,
    now: datetime,
    open_delta: int = 0,
    disputed_delta: int = 0,
) -> None:
    session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id)
        .values(
            open_minor=Invoice.open_minor + open_delta,
            disputed_minor=Invoice.disputed_minor + disputed_delta,
            updated_at=now,
        )
    )


def net_applications(
    session: Session,
    company_id: int,
    *,
    source_kind: str | None = None,
    source_id: int | None = None,
    invoice_id: int | None = None,
) -> list[tuple[str, int, int, int, int]]:
    """Live applications: (source_kind, source_id, invoice_id, instalment_id, net amount > 0)."""
    stmt = (
        select(
            Application.source_kind,
            Application.source_id,
            Application.invoice_id,
            Application.instalment_id,
            func.sum(Application.amount_minor),
        )
        .where(Application.company_id == company_id)
        .group_by(
            Application.source_kind,
            Application.source_id,
            Application.invoice_id,
            Application.instalment_id,
        )
        .having(func.sum(Application.amount_minor) != 0)
        .order_by(Application.instalment_id)
    )
    if source_kind is not None:
        stmt = stmt.where(
            Application.source_kind == source_kind, Application.source_id == source_id
        )
    if invoice_id is not None:
        stmt = stmt.where(Application.invoice_id == invoice_id)
    return [(r[0], r[1], r[2], r[3], int(r[4])) for r in session.execute(stmt)]


def reversal_of(session: Session, company_id: int, kind: str, target_id: int) -> Reversal | None:
    return session.scalar(
        select(Reversal).where(
            Reversal.company_id == company_id,
            Reversal.target_kind == kind,
            Reversal.target_id == target_id,
        )
    )


def open_disputes(session: Session, company_id: int, invoice_id: int) -> list[Dispute]:
    return list(
        session.scalars(
            select(Dispute).where(
                Dispute.company_id == company_id,
                Dispute.invoice_id == invoice_id,
                Dispute.status == "open",
            )
        )
    )


_STAGED_FROM = 2_000  # customers in one batch beyond which the deltas go through a table


def bump_balances(
    session: Session, company_id: int, deltas: Mapping[tuple[int, str], Mapping[str, int]]
) -> None:
    """Add ``deltas`` to customers' running totals: atomic increments, rows made on first use.

    Two statements: create missing rows at zero, then one executemany of ``x = x + delta``.
    (An upsert carrying the delta would have its candidate row checked against the
    non-negative constraint before the conflict is seen.)
    """
    if not deltas:
        return
    keys = sorted(deltas)
    dialect = session.get_bind().dialect.name
    zero = dict.fromkeys(BALANCE_FIELDS, 0)
    if len(keys) > _STAGED_FROM:
        bulk.add_staged(
            session,
            cast(Table, CustomerBalance.__table__),
            {"company_id": company_id, "version": 0} | zero,
            ["customer_id", "currency"],
            [
                (c, cur, *(int(deltas[(c, cur)].get(n, 0)) for n in BALANCE_FIELDS))
                for c, cur in keys
            ],
            increments=BALANCE_FIELDS,
            counter="version",
        )
        return
    bulk.insert_rows(
        session,
        cast(Table, CustomerBalance.__table__),
        [
            {"company_id": company_id, "customer_id": c, "currency": cur, "version": 0} | zero
            for c, cur in keys
        ],
        skip_existing=("company_id", "customer_id", "currency"),
    )
    table = cast(Table, CustomerBalance.__table__)
    if dialect == "postgresql":
        rows = [
            (company_id, c, cur, *(int(deltas[(c, cur)].get(n, 0)) for n in BALANCE_FIELDS))
            for c, cur in keys
        ]
        bulk.add_to_rows(
            session,
            table,
            ["company_id", "customer_id", "currency"],
            BALANCE_FIELDS,
            rows,
            counter="version",
        )
        return
    values: dict[Any, Any] = {
        name: table.c[name] + bindparam(f"d_{name}") for name in BALANCE_FIELDS
    }
    values["version"] = table.c.version + 1
    stmt = (
        update(table)
        .where(
            table.c.company_id == company_id,
            table.c.customer_id == bindparam("k_customer"),
            table.c.currency == bindparam("k_currency"),
        )
        .values(values)
    )
    session.execute(
        stmt,
        [
            {"k_customer": c, "k_currency": cur}
            | {f"d_{name}": int(deltas[(c, cur)].get(name, 0)) for name in BALANCE_FIELDS}
            for c, cur in keys
        ],
    )


def _balance_statement() -> Select[Any]:
    company: BindParameter[int] = bindparam("company_id")
    customer: BindParameter[int] = bindparam("customer_id")
    as_of: BindParameter[date] = bindparam("as_of")
    overdue = (
        select(Instalment.currency, func.sum(Instalment.open_minor).label("overdue"))
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(
            Instalment.company_id == company,
            Instalment.customer_id == customer,
            Instalment.due_on < as_of,
            Instalment.open_minor > 0,
            Invoice.status == "open",
        )
        .group_by(Instalment.currency)
        .subquery()
    )
    b = CustomerBalance.__table__.c
    return (
        select(
            Customer.id,
            Customer.code,
            Company.base_currency,
            b.currency,
            *(b[name] for name in BALANCE_FIELDS),
            func.coalesce(overdue.c.overdue, 0),
        )
        .join(Company, Company.id == Customer.company_id)
        .outerjoin(
            CustomerBalance.__table__,
            (b.company_id == Customer.company_id) & (b.customer_id == Customer.id),
        )
        .outerjoin(overdue, overdue.c.currency == b.currency)
        .where(Customer.company_id == company, Customer.id == customer)
        .order_by(b.currency)
    )


# Built once: the hottest read of the API pays for no statement construction per request.
_BALANCE = _balance_statement()


def balance_rows(session: Session, company_id: int, customer_id: int, as_of: date) -> list[Any]:
    """One statement: the customer, the base currency, and per currency its totals and overdue.

    No row: no such customer in the company. One row with a null currency: nothing posted yet.
    """
    params = {"company_id": company_id, "customer_id": customer_id, "as_of": as_of}
    return list(session.execute(_BALANCE, params))


# --- lists ---

SORTS: Mapping[type[Any], Mapping[str, Any]] = {
    Invoice: {
        "id": Invoice.id,
        "issued_on": Invoice.issued_on,
        "due_on": Invoice.due_on,
        "external_ref": Invoice.external_ref,
        "amount": Invoice.amount_minor,
        "open": Invoice.open_minor,
    },
    Payment: {
        "id": Payment.id,
        "received_on": Payment.received_on,
        "external_ref": Payment.external_ref,
        "amount": Payment.amount_minor,
    },
    CreditNote: {
        "id": CreditNote.id,
        "issued_on": CreditNote.issued_on,
        "external_ref": CreditNote.external_ref,
        "amount": CreditNote.amount_minor,
    },
    WriteOff: {
        "id": WriteOff.id,
        "written_off_on": WriteOff.written_off_on,
        "amount": WriteOff.amount_minor,
    },
    Dispute: {"id": Dispute.id, "opened_on": Dispute.opened_on, "amount": Dispute.amount_minor},
    Reversal: {"id": Reversal.id, "reversed_on": Reversal.reversed_on},
}


def list_page(
    session: Session,
    model: type[Any],
    company_id: int,
    filters: Mapping[str, Any],
    page: PageRequest,
    default_sort: str,
) -> tuple[list[Any], int]:
    stmt: Select[Any] = select(model).where(model.company_id == company_id)
    for name, value in filters.items():
        if value is None:
            continue
        if name.endswith("_from"):
            stmt = stmt.where(getattr(model, name.removesuffix("_from")) >= value)
        elif name.endswith("_to"):
            stmt = stmt.where(getattr(model, name.removesuffix("_to")) <= value)
        else:
            stmt = stmt.where(getattr(model, name) == value)
    stmt = order_by(stmt, page.sort, SORTS[model], default_sort)
    return fetch_page(session, stmt, page)


def invoice_refs(session: Session, company_id: int, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Invoice.id, Invoice.external_ref).where(
            Invoice.company_id == company_id, Invoice.id.in_(wanted)
        )
    )
    return {row[0]: row[1] for row in rows}


def add_unapplied(
    session: Session, model: type[Payment] | type[CreditNote], entry_id: int, delta: int
) -> None:
    session.execute(
        update(model)
        .where(model.id == entry_id)
        .values(unapplied_minor=model.unapplied_minor + delta)
    )


def set_invoice_open(session: Session, invoice: Invoice, *, live: bool, now: datetime) -> None:
    """Open the whole invoice again (live) or close it at zero (reversed)."""
    session.execute(
        update(Instalment)
        .where(Instalment.invoice_id == invoice.id)
        .values(open_minor=Instalment.amount_minor if live else 0)
    )
    invoice.open_minor = invoice.amount_minor if live else 0
    invoice.status = "open" if live else "reversed"
    invoice.updated_at = now


def applications_of_reversal(
    session: Session, company_id: int, reversal_id: int
) -> list[Application]:
    return list(
        session.scalars(
            select(Application)
            .where(Application.company_id == company_id, Application.reversal_id == reversal_id)
            .order_by(Application.id)
        )
    )


def entries_by_refs(
    session: Session, model: type[Any], company_id: int, refs: Sequence[str]
) -> dict[str, Any]:
    return rows_by_key(session, model, "external_ref", company_id, refs)


FEEDS: Mapping[str, tuple[type[Any], str]] = {
    "customers": (Customer, "updated_at"),
    "invoices": (Invoice, "updated_at"),
    "payments": (Payment, "created_at"),
    "credit-notes": (CreditNote, "created_at"),
    "write-offs": (WriteOff, "created_at"),
    "reversals": (Reversal, "created_at"),
}


def changed_since(
    session: Session, company_id: int, kind: str, cursor: tuple[datetime, int], limit: int
) -> list[Any]:
    """Rows of ``kind`` changed after ``cursor`` = (instant, id), in change order (keyset)."""
    model, name = FEEDS[kind]
    column = getattr(model, name)
    since, after_id = cursor
    stmt = (
        select(model)
        .where(
            model.company_id == company_id,
            or_(column > since, and_(column == since, model.id > after_id)),
        )
        .order_by(column, model.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def invoice_keys(
    session: Session, company_id: int, refs: Sequence[str]
) -> list[tuple[str, str, date, str, int]]:
    """(reference, customer code, issue date, currency, amount) of the posted invoices among
    ``refs``: what a re-imported row is compared with."""
    rows = values_by_key(
        session,
        cast(Table, Invoice.__table__),
        "external_ref",
        company_id,
        refs,
        ("external_ref", "customer_id", "issued_on", "currency", "amount_minor"),
    )
    ids = sorted({row[1] for row in rows})
    codes: dict[int, str] = {}
    for start in range(0, len(ids), 900):  # by primary key: a plan that cannot go wrong
        chunk = ids[start : start + 900]
        codes.update(
            (r[0], r[1])
            for r in session.execute(
                select(Customer.id, Customer.code).where(Customer.id.in_(chunk))
            )
        )
    return [(r[0], codes[r[1]], r[2], r[3], r[4]) for r in rows]
