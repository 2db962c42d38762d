"""Invoices from a CSV file, column-wise: a million rows in seconds, the same report as row by row.

Every row whose cells are plainly well formed (one row per invoice, no lines, ISO dates, an
amount in the currency's decimals, lengths within the limits) is checked and posted as a
column batch by :func:`creditguard.ledger.service.post_invoice_frame`, which applies the same
rules as ``post_invoices``. Every other row (a malformed cell, a multi-line invoice, a row
that differs from a posted invoice) goes through the row-by-row importer, whose messages are
the reference: the report is the same whichever way a row went.
"""

from __future__ import annotations

from collections import defaultdict

import polars as pl
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import DomainError
from creditguard.core.money import CURRENCY_EXPONENTS, MAX_MINOR, Money
from creditguard.core.permissions import Actor
from creditguard.imports.kinds import import_invoices, invoice_field
from creditguard.imports.reader import LINE, Frame, Table
from creditguard.imports.service import (
    FrameImporter,
    ImportReport,
    add_domain_errors,
    finish_totals,
)
from creditguard.ledger import service as ledger

LINE_COLUMNS = ("line_no", "line_description", "quantity", "unit_price", "line_amount")
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_AMOUNT = r"^[0-9]{1,14}(\.[0-9]{1,4})?$"


def import_invoice_frame(
    session: Session, actor: Actor, frame: Frame, clock: Clock, report: ImportReport
) -> None:
    data = _parsed(frame.data)
    plain = data["plain"]
    keys = _posted(session, actor, data.filter(plain)["external_ref"].to_list())
    data = data.join(keys, on="external_ref", how="left", maintain_order="left")
    same = (
        (pl.col("posted_code") == pl.col("customer_code"))
        & (pl.col("posted_issued") == pl.col("issued"))
        & (pl.col("posted_currency") == pl.col("currency"))
        & (pl.col("posted_minor") == pl.col("minor"))
    )
    data = data.with_columns(
        unchanged=pl.col("plain")
        & pl.col("posted_code").is_not_null()
        & same.fill_null(value=False),
        new=pl.col("plain") & pl.col("posted_code").is_null(),
    )
    totals: dict[str, int] = defaultdict(int)
    for currency, minor in (
        data.filter(pl.col("new") | pl.col("unchanged"))
        .group_by("currency")
        .agg(pl.col("minor").sum())
        .iter_rows()
    ):
        totals[currency] += minor
    slow = ~(data["new"] | data["unchanged"])
    if slow.any():
        for currency, minor in _row_by_row(
            session, actor, frame.table(slow), clock, report
        ).items():
            totals[currency] += minor
    report.unchanged += int(data["unchanged"].sum())
    fresh = data.filter(pl.col("new"))
    finish_totals(report, totals)
    if fresh.is_empty():
        return
    batch = fresh.select(
        "external_ref",
        pl.col("customer_code").alias("customer_ref"),
        pl.col("issued").alias("issued_on"),
        "currency",
        pl.col("minor").alias("amount_minor"),
        *(_text(name) for name in ("payment_terms", "order_ref", "salesperson", "description")),
        pl.col("due").alias("due_on"),
    )
    firsts = fresh[LINE].to_list()
    try:
        with session.begin_nested():
            ledger.post_invoice_frame(
                session,
                actor,
                batch,
                clock,
                write=not (report.errors or report.dry_run),
                refs_looked_up=True,
            )
        report.inserted += batch.height
    except DomainError as error:
        add_domain_errors(error, report, lambda f: invoice_field(f, firsts))


def _text(name: str) -> pl.Expr:
    return pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)


def _parsed(data: pl.DataFrame) -> pl.DataFrame:
    """Typed values of the plainly well-formed rows, and ``plain`` marking them."""
    exponent = pl.col("currency").replace_strict(
        CURRENCY_EXPONENTS, default=None, return_dtype=pl.Int64
    )
    whole = pl.col("amount").str.split_exact(".", 1).struct.field("field_0")
    part = pl.col("amount").str.split_exact(".", 1).struct.field("field_1").fill_null("")
    well_formed = pl.col("amount").str.contains(_AMOUNT) & (part.str.len_chars() <= exponent)
    minor = pl.when(well_formed).then(
        whole.cast(pl.Int64, strict=False) * pl.lit(10, dtype=pl.Int64).pow(exponent)
        + pl.concat_str(part, pl.lit("0000"))
        .str.slice(0, exponent)
        .cast(pl.Int64, strict=False)
        .fill_null(0)
    )
    data = data.with_columns(
        issued=_date("issued_on"),
        due=_date("due_on"),
        minor=minor,
        lines=pl.any_horizontal(pl.col(c) != "" for c in LINE_COLUMNS),
    )
    length = {  # the limits of the invoice schema, in characters
        "external_ref": (1, 64),
        "customer_code": (1, 64),
        "payment_terms": (0, 64),
        "order_ref": (0, 64),
        "salesperson": (0, 100),
        "description": (0, 500),
    }
    plain = pl.all_horizontal(
        *(pl.col(c).str.len_chars().is_between(low, high) for c, (low, high) in length.items()),
        ~pl.col("external_ref").is_duplicated(),
        pl.col("issued").is_not_null(),
        (pl.col("due_on") == "") | pl.col("due").is_not_null(),
        pl.col("minor").fill_null(0).is_between(1, MAX_MINOR),
        ~pl.col("lines"),
    )
    return data.with_columns(plain=plain.fill_null(value=False))


def _date(name: str) -> pl.Expr:
    text = pl.col(name)
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(text.str.contains(_DATE) & (parsed.dt.year() >= 1)).then(parsed)


def _posted(session: Session, actor: Actor, refs: list[str]) -> pl.DataFrame:
    rows = ledger.invoice_keys(session, actor, refs) if refs else []
    return pl.DataFrame(
        rows,
        schema={
            "external_ref": pl.String,
            "posted_code": pl.String,
            "posted_issued": pl.Date,
            "posted_currency": pl.String,
            "posted_minor": pl.Int64,
        },
        orient="row",
    )


def _row_by_row(
    session: Session, actor: Actor, table: Table, clock: Clock, report: ImportReport
) -> dict[str, int]:
    """Import ``table`` as rows into ``report``; return its control totals."""
    part = ImportReport(kind=report.kind, rows=len(table.rows), dry_run=report.dry_run)
    import_invoices(session, actor, table, clock, part)
    report.inserted += part.inserted
    report.unchanged += part.unchanged
    report.errors += part.errors
    return {c: Money.parse(text, c).minor for c, text in part.totals.items()}


FRAME_IMPORTERS: dict[str, FrameImporter] = {"invoices": import_invoice_frame}
