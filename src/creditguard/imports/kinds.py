"""One importer per kind: rows -> the ledger's inputs -> the same services as the API."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import DomainError
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn, CustomerUpdate
from creditguard.imports import orders
from creditguard.imports.reader import RowError, Table
from creditguard.imports.service import (
    Importer,
    ImportReport,
    add_domain_errors,
    add_total,
    build,
    compact,
    differs,
    disagreement,
    finish_totals,
    group,
)
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import CreditNoteIn, InvoiceIn, PaymentIn

# --- customers (not ledger entries: created or updated) ---

CUSTOMER_FIELDS = (
    "name",
    "industry",
    "region",
    "country",
    "currency",
    "payment_terms",
    "salesperson",
    "tax_id",
)


def import_customers(
    session: Session, actor: Actor, table: Table, clock: Clock, report: ImportReport
) -> None:
    built: list[tuple[int, CustomerIn, str | None]] = []
    for line, row in zip(table.lines, table.rows, strict=True):
        values = compact(row)
        contacts = (
            [
                {
                    "name": values["contact_name"],
                    "email": values.get("contact_email"),
                    "phone": values.get("contact_phone"),
                }
            ]
            if "contact_name" in values
            else []
        )
        data = build(
            CustomerIn,
            {k: values[k] for k in ("code", *CUSTOMER_FIELDS) if k in values}
            | {"contacts": contacts},
            line,
            _CONTACT_COLUMNS,
            report,
        )
        if data is not None:
            built.append((line, data, values.get("parent_code")))
    known = customers.by_codes(session, actor, sorted({data.code for _, data, _ in built}))
    fresh: dict[str, tuple[int, CustomerIn, str | None]] = {}
    again: list[tuple[int, CustomerIn, str | None]] = []
    for item in built:  # the first row of a new code creates it; later rows update it
        if item[1].code in known or item[1].code in fresh:
            again.append(item)
        else:
            fresh[item[1].code] = item
    _create_customers(session, actor, list(fresh.values()), clock, report)
    parents: list[tuple[int, str, str]] = []
    for line, data, parent in again:
        _upsert_customer(session, actor, data, line, clock, report)
        if parent:
            parents.append((line, data.code, parent))
    for line, code, parent in parents:  # second pass: a parent may come later in the file
        _set_parent(session, actor, (line, code, parent), clock, report)


def _create_customers(
    session: Session,
    actor: Actor,
    items: list[tuple[int, CustomerIn, str | None]],
    clock: Clock,
    report: ImportReport,
) -> None:
    """New customers in one batch, parents (existing or in the file, in any order) included."""
    if not items:
        return
    batch = [data.model_copy(update={"parent_code": parent}) for _, data, parent in items]
    lines = [line for line, _, _ in items]
    try:
        with session.begin_nested():
            customers.create_many(session, actor, batch, clock)
        report.inserted += len(batch)
    except DomainError as error:
        add_domain_errors(error, report, lambda f: _customer_field(f, lines))


def _customer_field(field: str, lines: list[int]) -> tuple[int, str]:
    if field.startswith("customers["):
        return lines[int(field[len("customers[") : field.index("]")])], field.split("].", 1)[1]
    return lines[0], field


_CONTACT_COLUMNS = {
    "contacts.0.name": "contact_name",
    "contacts.0.email": "contact_email",
    "contacts.0.phone": "contact_phone",
}


def _upsert_customer(
    session: Session, actor: Actor, data: CustomerIn, line: int, clock: Clock, report: ImportReport
) -> None:
    try:
        existing = customers.get_by_code(session, actor, data.code, "code")
    except DomainError:
        existing = None
    try:
        with session.begin_nested():
            if existing is None:
                customers.create(session, actor, data, clock)
                report.inserted += 1
                return
            changes = {k: getattr(data, k) for k in CUSTOMER_FIELDS if k in data.model_fields_set}
            if "payment_terms" in changes:
                from creditguard.core.terms import parse_terms

                changes["payment_terms"] = parse_terms(
                    changes["payment_terms"], "payment_terms"
                ).code()
            if all(getattr(existing, k) == v for k, v in changes.items()):
                report.unchanged += 1
                return
            customers.update(session, actor, existing.id, CustomerUpdate(**changes), clock)
            report.updated += 1
    except DomainError as error:
        add_domain_errors(error, report, lambda f: (line, f))


def _set_parent(
    session: Session, actor: Actor, item: tuple[int, str, str], clock: Clock, report: ImportReport
) -> None:
    line, code, parent = item
    try:
        customer = customers.get_by_code(session, actor, code, "code")
        if customer.parent_id is not None:
            current = customers.parent_codes(session, actor, [customer]).get(customer.parent_id)
            if current == parent:
                return
        with session.begin_nested():
            customers.update(session, actor, customer.id, CustomerUpdate(parent_code=parent), clock)
    except DomainError as error:
        add_domain_errors(error, report, lambda f: (line, "parent_code" if "parent" in f else f))


# --- invoices (posted entries: new ones posted, identical ones unchanged, others refused) ---

INVOICE_HEAD = (
    "customer_code",
    "issued_on",
    "currency",
    "amount",
    "payment_terms",
    "due_on",
    "order_ref",
    "salesperson",
    "description",
)
INVOICE_COLUMNS = {"customer_ref": "customer_code"}


def import_invoices(
    session: Session, actor: Actor, table: Table, clock: Clock, report: ImportReport
) -> None:
    groups = group(table, "external_ref")
    totals: dict[str, int] = defaultdict(int)
    existing = ledger.entries_by_ref(session, actor, "invoice", [k for k in groups if k])
    codes = ledger.customer_codes(session, actor, [e.customer_id for e in existing.values()])
    batch: list[InvoiceIn] = []
    firsts: list[int] = []
    for ref, rows in groups.items():
        head = rows[0][1]
        add_total(totals, head.get("currency", ""), head.get("amount", ""))
        report.errors += disagreement(rows, INVOICE_HEAD, "invoice", ref)
        if ref in existing:
            _compare_invoice(existing[ref], codes, rows[0], report)
            continue
        data = build(
            InvoiceIn,
            _invoice_values(ref, rows),
            rows[0][0],
            INVOICE_COLUMNS | _line_columns(rows),
            report,
        )
        if data is not None:
            batch.append(data)
            firsts.append(rows[0][0])
    finish_totals(report, totals)
    if batch:  # even beside other errors: the ledger's own checks report the rest in one run
        _post_invoices(session, actor, batch, firsts, clock, report)


def _invoice_values(ref: str, rows: list[tuple[int, dict[str, str]]]) -> dict[str, Any]:
    head = compact(rows[0][1])
    values: dict[str, Any] = {
        k: v for k, v in head.items() if k in INVOICE_HEAD and k != "customer_code"
    }
    values |= {"external_ref": ref, "customer_ref": head.get("customer_code", "")}
    lines = [compact(r) for _, r in rows if r.get("line_amount")]
    if lines:
        values["lines"] = [
            {
                "description": r.get("line_description", ""),
                "quantity": r.get("quantity", "1"),
                "unit_price": r.get("unit_price", r["line_amount"]),
                "amount": r["line_amount"],
            }
            for r in lines
        ]
    return values


def _line_columns(rows: list[tuple[int, dict[str, str]]]) -> dict[str, str]:
    names = {
        "description": "line_description",
        "quantity": "quantity",
        "unit_price": "unit_price",
        "amount": "line_amount",
    }
    return {f"lines.{i}.{k}": v for i in range(len(rows)) for k, v in names.items()}


def _compare_invoice(
    invoice: Any, codes: Mapping[int, str], first: tuple[int, dict[str, str]], report: ImportReport
) -> None:
    line, row = first
    stored = {
        "customer_code": codes.get(invoice.customer_id, ""),
        "issued_on": invoice.issued_on.isoformat(),
        "currency": invoice.currency,
        "amount": Money(invoice.amount_minor, invoice.currency).decimal_string(),
    }
    given = _normalised(row, invoice.currency)
    error = differs("invoice", invoice.external_ref, line, stored, given)
    if error is None:
        report.unchanged += 1
    else:
        report.errors.append(error)


def _normalised(row: Mapping[str, str], currency: str) -> dict[str, str]:
    """A row's values in the form posted entries are shown in (so '1000' equals '1000.00')."""
    given = dict(compact(row))
    with contextlib.suppress(DomainError):
        given["amount"] = Money.parse(
            row.get("amount", ""), row.get("currency") or currency
        ).decimal_string()
    for name in ("issued_on", "received_on"):
        try:
            if name in given:
                given[name] = date.fromisoformat(given[name]).isoformat()
        except ValueError:
            pass
    return given


def _post_invoices(
    session: Session,
    actor: Actor,
    batch: list[InvoiceIn],
    firsts: list[int],
    clock: Clock,
    report: ImportReport,
) -> None:
    try:
        with session.begin_nested():
            posted = ledger.post_invoices(session, actor, batch, clock)
        report.inserted += len(posted.ids)
    except DomainError as error:
        add_domain_errors(error, report, lambda f: invoice_field(f, firsts))


def invoice_field(field: str, firsts: list[int]) -> tuple[int, str]:
    index, rest = 0, field
    if field.startswith("invoices["):
        index = int(field[len("invoices[") : field.index("]")])
        rest = field[field.index("]") + 2 :]
    elif len(firsts) > 1:
        rest = field
    column = {"customer_ref": "customer_code", "lines": "line_amount"}.get(rest, rest)
    if rest.startswith("lines["):
        column = (
            "line_" + rest.rsplit(".", 1)[-1]
            if rest.endswith("amount")
            else rest.rsplit(".", 1)[-1]
        )
    return firsts[index], column


# --- payments and credit notes ---

PAYMENT_HEAD = ("customer_code", "received_on", "currency", "method", "bank_reference")


def import_payments(
    session: Session, actor: Actor, table: Table, clock: Clock, report: ImportReport
) -> None:
    groups = group(table, "payment_ref")
    totals: dict[str, int] = defaultdict(int)
    existing = ledger.entries_by_ref(session, actor, "payment", [k for k in groups if k])
    codes = ledger.customer_codes(session, actor, [e.customer_id for e in existing.values()])
    batch: list[tuple[PaymentIn, list[tuple[int, dict[str, str]]]]] = []
    for ref, rows in groups.items():
        for _, row in rows:
            add_total(totals, row.get("currency", ""), row.get("amount", ""))
        report.errors += disagreement(rows, PAYMENT_HEAD, "payment", ref)
        if ref in existing:
            _compare_payment(existing[ref], codes, rows, report)
        elif (data := _payment_in(ref, rows, report)) is not None:
            batch.append((data, rows))
    finish_totals(report, totals)
    if batch:  # even beside other errors: the ledger's own checks report the rest in one run
        _post_payments(session, actor, batch, clock, report)


def _payment_total(rows: list[tuple[int, dict[str, str]]]) -> str | None:
    try:
        currency = rows[0][1].get("currency", "")
        return Money(
            sum(Money.parse(r.get("amount", ""), currency).minor for _, r in rows), currency
        ).decimal_string()
    except DomainError:
        return None


def _compare_payment(
    payment: Any,
    codes: Mapping[int, str],
    rows: list[tuple[int, dict[str, str]]],
    report: ImportReport,
) -> None:
    line, row = rows[0]
    stored = {
        "customer_code": codes.get(payment.customer_id, ""),
        "received_on": payment.received_on.isoformat(),
        "currency": payment.currency,
        "amount": Money(payment.amount_minor, payment.currency).decimal_string(),
    }
    given = _normalised(row, payment.currency) | {
        "amount": _payment_total(rows) or row.get("amount", "")
    }
    error = differs("payment", payment.external_ref, line, stored, given)
    if error is None:
        report.unchanged += 1
    else:
        report.errors.append(error)


def _payment_in(
    ref: str, rows: list[tuple[int, dict[str, str]]], report: ImportReport
) -> PaymentIn | None:
    head = compact(rows[0][1])
    values = {k: v for k, v in head.items() if k in PAYMENT_HEAD and k != "customer_code"} | {
        "external_ref": ref,
        "customer_ref": head.get("customer_code", ""),
        "amount": _payment_total(rows) or head.get("amount", ""),
        "auto_allocate": False,
        "allocations": [
            {"invoice_ref": r["invoice_ref"], "amount": r.get("amount", "")}
            for _, r in _allocated(rows)
        ],
    }
    columns = {"customer_ref": "customer_code", "external_ref": "payment_ref"}
    data: PaymentIn | None = build(PaymentIn, values, rows[0][0], columns, report)
    return data


def _allocated(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    return [(line, r) for line, r in rows if r.get("invoice_ref")]


def _post_payments(
    session: Session,
    actor: Actor,
    batch: list[tuple[PaymentIn, list[tuple[int, dict[str, str]]]]],
    clock: Clock,
    report: ImportReport,
) -> None:
    """One batch posting for the whole file (thousands of receipts in a few statements)."""
    try:
        with session.begin_nested():
            posted = ledger.post_payments(session, actor, [data for data, _ in batch], clock)
        report.inserted += len(posted.ids)
    except DomainError as error:
        add_domain_errors(error, report, lambda f: _batch_field(f, batch))


def _batch_field(
    field: str, batch: list[tuple[PaymentIn, list[tuple[int, dict[str, str]]]]]
) -> tuple[int, str]:
    index = int(field[len("payments[") : field.index("]")])
    rows = batch[index][1]
    return _payment_field(field[field.index("]") + 2 :], rows, _allocated(rows))


def _payment_field(
    field: str, rows: list[tuple[int, dict[str, str]]], allocated: list[tuple[int, dict[str, str]]]
) -> tuple[int, str]:
    if field.startswith("allocations["):
        index = int(field[len("allocations[") : field.index("]")])
        column = "invoice_ref" if field.endswith("invoice_ref") else "amount"
        return allocated[index][0], column
    return rows[0][0], {
        "customer_ref": "customer_code",
        "external_ref": "payment_ref",
        "allocations": "amount",
    }.get(field, field)


def import_credit_notes(
    session: Session, actor: Actor, table: Table, clock: Clock, report: ImportReport
) -> None:
    totals: dict[str, int] = defaultdict(int)
    refs = [r.get("external_ref", "") for r in table.rows]
    existing = ledger.entries_by_ref(session, actor, "credit_note", [r for r in refs if r])
    codes = ledger.customer_codes(session, actor, [e.customer_id for e in existing.values()])
    batch: list[tuple[CreditNoteIn, int]] = []
    for line, row in zip(table.lines, table.rows, strict=True):
        add_total(totals, row.get("currency", ""), row.get("amount", ""))
        ref = row.get("external_ref", "")
        if ref in existing:
            note = existing[ref]
            stored = {
                "customer_code": codes.get(note.customer_id, ""),
                "issued_on": note.issued_on.isoformat(),
                "currency": note.currency,
                "amount": Money(note.amount_minor, note.currency).decimal_string(),
            }
            error = differs("credit note", ref, line, stored, _normalised(row, note.currency))
            report.errors += [error] if error else []
            report.unchanged += error is None
            continue
        values = compact(row)
        values["customer_ref"] = values.pop("customer_code", "")
        data = build(CreditNoteIn, values, line, {"customer_ref": "customer_code"}, report)
        if data is not None:
            batch.append((data, line))
    finish_totals(report, totals)
    if batch:  # one batch posting; even beside other errors, to report the ledger's too
        try:
            with session.begin_nested():
                posted = ledger.post_credit_notes(session, actor, [d for d, _ in batch], clock)
            report.inserted += len(posted.ids)
        except DomainError as error:
            add_domain_errors(error, report, lambda f: _credit_field(f, batch))


def _credit_field(field: str, batch: list[tuple[CreditNoteIn, int]]) -> tuple[int, str]:
    """The file's line and column of ``credit_notes[i].field``."""
    index = int(field[len("credit_notes[") : field.index("]")])
    name = field[field.index("]") + 2 :]
    return batch[index][1], "customer_code" if name == "customer_ref" else name


IMPORTERS: Mapping[str, Importer] = {
    "customers": import_customers,
    "invoices": import_invoices,
    "payments": import_payments,
    "credit-notes": import_credit_notes,
    "orders": orders.import_orders,
}

__all__ = ["IMPORTERS", "RowError"]
