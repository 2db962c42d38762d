"""Posting a large batch of plain invoices held as columns (a Polars frame), all or nothing.

The rules are those of :func:`~creditguard.ledger.service.invoices.post_invoices` and every
problem is reported the same way, field by field (``invoices[i].customer_ref``), but the work
is done per column and per distinct value (a million invoices share a few terms and a few
hundred issue dates), and the rows reach the database by COPY (PostgreSQL) or one prepared
executemany (SQLite). Plain means: one row per invoice, no lines and no explicit schedule;
everything else goes through ``post_invoices``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast

import polars as pl
from sqlalchemy import Table
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.business_days import BusinessCalendar
from creditguard.core.errors import InvalidInput, Problem
from creditguard.core.money import CURRENCY_EXPONENTS, Money
from creditguard.core.permissions import Actor
from creditguard.core.terms import (
    PaymentTerms,
    discount_deadline,
    due_date,
    instalment_schedule,
    parse_terms,
)
from creditguard.customers import repository as customers
from creditguard.db import bulk
from creditguard.ledger import repository as repo
from creditguard.ledger.service._posting import duplicate_refs, state_conflict
from creditguard.ledger.service.invoices import PostedBatch, company_calendar, terms_of
from creditguard.models import Instalment, Invoice

SCHEMA: Mapping[str, Any] = {
    "external_ref": pl.String,
    "customer_ref": pl.String,
    "issued_on": pl.Date,
    "currency": pl.String,
    "amount_minor": pl.Int64,
    "payment_terms": pl.String,
    "due_on": pl.Date,
    "order_ref": pl.String,
    "salesperson": pl.String,
    "description": pl.String,
}


def post_invoice_frame(
    session: Session,
    actor: Actor,
    frame: pl.DataFrame,
    clock: Clock,
    *,
    write: bool = True,
    refs_looked_up: bool = False,
) -> PostedBatch:
    """Check every invoice of ``frame`` (columns of :data:`SCHEMA`) and post all or none.

    With ``write=False`` everything is checked and nothing is written (a dry run). Raises
    :class:`InvalidInput` with every problem of every row. ``refs_looked_up`` says the caller
    has just looked the references up and kept only new ones (the importer does, to compare
    re-imported rows): references given twice are still reported, and one posted meanwhile by
    someone else is refused by the unique constraint, which aborts the whole batch.
    """
    missing = [name for name in SCHEMA if name not in frame.columns]
    if missing:
        raise ValueError(f"invoice frame lacks columns {missing}")
    frame = frame.select(pl.col(n).cast(t) for n, t in SCHEMA.items()).with_row_index("index")
    prefix = "invoices[{}]." if frame.height > 1 else ""
    refs = [] if refs_looked_up else frame["external_ref"].to_list()
    if refs_looked_up:
        twice = frame.filter(pl.col("external_ref").is_duplicated())
        problems = [
            Problem(f"{prefix.format(i)}external_ref", ref, "duplicate", {"kind": "invoice"})
            for i, ref in twice.select("index", "external_ref").iter_rows()
        ]
    else:
        problems = duplicate_refs(session, actor, Invoice, refs, kind="invoice", at=prefix)
    frame, found = _with_customers(session, actor, frame, prefix, problems)
    frame = _checked_values(frame, prefix, problems)
    calendar = _calendar(session, actor, frame)
    frame, terms = _with_terms(frame, prefix, problems)
    frame = _with_due_dates(frame, terms, calendar, prefix, problems)
    if problems:
        raise InvalidInput(_in_row_order(problems))
    totals = frame.group_by("currency").agg(pl.col("amount_minor").sum()).sort("currency")
    posted = {c: Money(int(v), c).decimal_string() for c, v in totals.iter_rows()}
    if not write:
        return PostedBatch([], posted)
    customers.lock(session, actor.company_id, found)
    tables = [cast(Table, Invoice.__table__), cast(Table, Instalment.__table__)]
    try:
        with bulk.loading(session, tables, frame.height) as locked:
            ids = bulk.reserve_ids(session, tables[0], frame.height, locked=locked)
            frame = frame.with_columns(pl.Series("id", ids, dtype=pl.Int64))
            _write(session, actor, frame, terms, calendar, clock)
    except bulk.RowsRefused as error:
        raise state_conflict(
            "the database refused the batch (an invoice reference posted meanwhile, probably)",
            "数据库拒绝了该批次（发票号可能已被同时导入）",
            "external_ref",
        ) from error
    return PostedBatch(ids, posted)


def _in_row_order(problems: list[Problem]) -> list[Problem]:
    def row(problem: Problem) -> int:
        head = problem.field.split("]", 1)[0]
        return int(head[len("invoices[") :]) if head.startswith("invoices[") else 0

    return sorted(problems, key=row)


def _with_customers(
    session: Session, actor: Actor, frame: pl.DataFrame, prefix: str, problems: list[Problem]
) -> tuple[pl.DataFrame, list[int]]:
    codes = frame["customer_ref"].unique().drop_nulls().to_list()
    found = customers.posting_defaults(session, actor.company_id, codes)
    known = pl.DataFrame(
        {
            "customer_ref": [d.code for d in found.values()],
            "customer_id": [d.id for d in found.values()],
            "default_terms": [d.payment_terms for d in found.values()],
            "default_salesperson": [d.salesperson for d in found.values()],
        },
        schema={
            "customer_ref": pl.String,
            "customer_id": pl.Int64,
            "default_terms": pl.String,
            "default_salesperson": pl.String,
        },
    )
    frame = frame.join(known, on="customer_ref", how="left", maintain_order="left")
    for index, ref in (
        frame.filter(pl.col("customer_id").is_null()).select("index", "customer_ref").iter_rows()
    ):
        problems.append(
            Problem(f"{prefix.format(index)}customer_ref", ref, "not_found", {"kind": "customer"})
        )
    return frame, [d.id for d in found.values()]


def _checked_values(frame: pl.DataFrame, prefix: str, problems: list[Problem]) -> pl.DataFrame:
    bad_currency = ~pl.col("currency").is_in(list(CURRENCY_EXPONENTS))
    for index, currency in frame.filter(bad_currency).select("index", "currency").iter_rows():
        problems.append(Problem(f"{prefix.format(index)}currency", currency, "unknown_currency"))
    not_positive = pl.col("amount_minor").is_null() | (pl.col("amount_minor") <= 0)
    for index, currency, minor in (
        frame.filter(not_positive & ~bad_currency)
        .select("index", "currency", "amount_minor")
        .iter_rows()
    ):
        shown = None if minor is None else Money(minor, currency).decimal_string()
        problems.append(Problem(f"{prefix.format(index)}amount", shown, "not_positive"))
    return frame.with_columns(
        ok=pl.col("customer_id").is_not_null() & ~bad_currency & ~not_positive
    )


def _calendar(session: Session, actor: Actor, frame: pl.DataFrame) -> BusinessCalendar:
    if frame.is_empty():
        return BusinessCalendar()
    years = frame["issued_on"].dt.year()
    first, last = years.min(), years.max()
    return company_calendar(session, actor, int(cast(int, first)), int(cast(int, last)))


def _with_terms(
    frame: pl.DataFrame, prefix: str, problems: list[Problem]
) -> tuple[pl.DataFrame, dict[str, PaymentTerms]]:
    frame = frame.with_columns(
        terms_text=pl.coalesce(pl.col("payment_terms"), pl.col("default_terms"), pl.lit("net 30"))
    )
    terms: dict[str, PaymentTerms] = {}
    bad: list[str] = []
    for text in frame["terms_text"].unique().to_list():
        try:
            terms[text] = terms_of(text)
        except InvalidInput:
            bad.append(text)
    rows = frame.filter(pl.col("terms_text").is_in(bad)).select("index", "terms_text")
    for index, text in rows.iter_rows():  # read again, naming the row's own field
        try:
            parse_terms(text, f"{prefix.format(index)}payment_terms")
        except InvalidInput as error:
            problems.extend(error.problems)
    codes = pl.DataFrame(
        {
            "terms_text": list(terms),
            "terms_code": [t.code() for t in terms.values()],
            "parts": [len(t.instalments) for t in terms.values()],
            "discount_rate": [
                None if t.discount is None else str(t.discount.rate) for t in terms.values()
            ],
        },
        schema={
            "terms_text": pl.String,
            "terms_code": pl.String,
            "parts": pl.Int64,
            "discount_rate": pl.String,
        },
    )
    frame = frame.join(codes, on="terms_text", how="left", maintain_order="left")
    return frame.with_columns(ok=pl.col("ok") & pl.col("terms_code").is_not_null()), terms


def _with_due_dates(
    frame: pl.DataFrame,
    terms: Mapping[str, PaymentTerms],
    calendar: BusinessCalendar,
    prefix: str,
    problems: list[Problem],
) -> pl.DataFrame:
    early = pl.col("ok") & pl.col("due_on").is_not_null() & (pl.col("due_on") < pl.col("issued_on"))
    for index, due_on, issued_on in (
        frame.filter(early).select("index", "due_on", "issued_on").iter_rows()
    ):
        problems.append(
            Problem(
                f"{prefix.format(index)}due_on",
                due_on.isoformat(),
                "date_order",
                {"other": f"issued_on {issued_on.isoformat()}"},
            )
        )
    pairs = frame.filter(pl.col("ok")).select("terms_text", "issued_on").unique()
    dates = pl.DataFrame(
        [
            (
                text,
                issued,
                due_date(terms[text], issued, calendar),
                discount_deadline(terms[text], issued),
            )
            for text, issued in pairs.iter_rows()
        ],
        schema={
            "terms_text": pl.String,
            "issued_on": pl.Date,
            "terms_due": pl.Date,
            "discount_until": pl.Date,
        },
        orient="row",
    )
    frame = frame.join(dates, on=["terms_text", "issued_on"], how="left", maintain_order="left")
    return frame.with_columns(final_due=pl.coalesce(pl.col("due_on"), pl.col("terms_due")))


def _write(
    session: Session,
    actor: Actor,
    frame: pl.DataFrame,
    terms: Mapping[str, PaymentTerms],
    calendar: BusinessCalendar,
    clock: Clock,
) -> None:
    now = clock.now()
    company = pl.lit(actor.company_id, dtype=pl.Int64)
    invoices = frame.select(
        "id",
        company.alias("company_id"),
        "customer_id",
        "external_ref",
        "issued_on",
        pl.col("final_due").alias("due_on"),
        "currency",
        "amount_minor",
        pl.col("terms_code").alias("payment_terms"),
        "discount_rate",
        "discount_until",
        "order_ref",
        pl.coalesce(pl.col("salesperson"), pl.col("default_salesperson")).alias("salesperson"),
        "description",
        pl.col("amount_minor").alias("open_minor"),
        pl.lit(0, dtype=pl.Int64).alias("disputed_minor"),
        pl.lit("open").alias("status"),
        pl.lit(now).alias("created_at"),
        pl.lit(now).alias("updated_at"),
    )
    bulk.insert_frame(session, cast(Table, Invoice.__table__), invoices)
    single = (pl.col("parts") == 1) | pl.col("due_on").is_not_null()
    parts = frame.filter(single).select(
        company.alias("company_id"),
        pl.col("id").alias("invoice_id"),
        "customer_id",
        pl.lit(1, dtype=pl.Int64).alias("seq"),
        pl.col("final_due").alias("due_on"),
        "currency",
        "amount_minor",
        pl.col("amount_minor").alias("open_minor"),
    )
    bulk.insert_frame(session, cast(Table, Instalment.__table__), parts)
    bulk.insert_frame(
        session,
        cast(Table, Instalment.__table__),
        _split(actor, frame.filter(~single), terms, calendar),
    )
    sums = frame.group_by("customer_id", "currency").agg(pl.col("amount_minor").sum())
    repo.bump_balances(
        session,
        actor.company_id,
        {
            (customer, currency): {"invoiced_minor": total, "open_minor": total}
            for customer, currency, total in sums.iter_rows()
        },
    )


def _split(
    actor: Actor, frame: pl.DataFrame, terms: Mapping[str, PaymentTerms], calendar: BusinessCalendar
) -> pl.DataFrame:
    """Instalments of invoices whose terms have several (few: worked out one by one)."""
    rows: list[tuple[int, int, int, int, date, str, int, int]] = []
    columns = ("id", "customer_id", "terms_text", "issued_on", "currency", "amount_minor")
    for invoice_id, customer_id, text, issued, currency, minor in frame.select(columns).iter_rows():
        schedule = instalment_schedule(terms[text], issued, Money(minor, currency), calendar)
        rows.extend(
            (
                actor.company_id,
                invoice_id,
                customer_id,
                seq,
                part.due_on,
                currency,
                part.amount.minor,
                part.amount.minor,
            )
            for seq, part in enumerate(schedule, start=1)
        )
    return pl.DataFrame(
        rows,
        schema={
            "company_id": pl.Int64,
            "invoice_id": pl.Int64,
            "customer_id": pl.Int64,
            "seq": pl.Int64,
            "due_on": pl.Date,
            "currency": pl.String,
            "amount_minor": pl.Int64,
            "open_minor": pl.Int64,
        },
        orient="row",
    )
