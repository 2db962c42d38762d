"""`creditguard report aging`: the portfolio's receivables by age, for any date."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from creditguard.analytics import exports
from creditguard.analytics import service as analytics
from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    LangOption,
    opened,
    out,
    parse_date,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.aging import parse_buckets
from creditguard.core.money import Money

report_app = typer.Typer(help="Portfolio reports.", no_args_is_help=True)
By = Literal["customer", "group", "industry", "region", "salesperson", "currency"]
Shown = Literal["table", "json", "csv", "xlsx"]


@report_app.command("aging")
def aging(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default: today).")
    ] = None,
    by: Annotated[
        By,
        typer.Option(
            "--by",
            help="Rows per customer, group (parent), industry, region, salesperson or currency.",
        ),
    ] = "customer",
    basis: Annotated[
        Literal["due", "invoice"],
        typer.Option("--basis", help="Age by due date (days past due) or by invoice date."),
    ] = "due",
    buckets: Annotated[
        str | None, typer.Option("--buckets", help="Bucket edges in days (default 30,60,90,180).")
    ] = None,
    fmt: Annotated[Shown, typer.Option("--format", help="table, json, csv or xlsx.")] = "table",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to FILE instead of the screen.")
    ] = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Open receivables by age on a date, in the base currency (rates of that date)."""
    edges = parse_buckets(buckets, basis)
    with opened(database_url) as db, db.read() as session:
        owner = tenant(session, company)
        on = parse_date("as_of", as_of) if as_of else business_today(SystemClock(), owner.timezone)
        report = analytics.aging(session, owner.actor, on, by=by, buckets=edges)
    if fmt == "table":
        if out_file is not None:
            fmt = "csv"
        else:
            _show(report, lang)
            return
    data = exports.aging_file(report, fmt, lang)
    if out_file is None:
        if fmt == "xlsx":
            raise typer.BadParameter("XLSX needs --out FILE", param_hint="--format")
        typer.echo(data.decode("utf-8-sig"), nl=False)
    else:
        out_file.write_bytes(data)


def _show(report: analytics.AgingReport, lang: str) -> None:
    zh = lang.lower().startswith("zh")
    title = f"{'账龄' if zh else 'Aging'} {report.as_of.isoformat()} ({report.currency})"
    table = Table(title=title, title_justify="left")
    table.add_column(report.by)
    for label in (
        *report.buckets.labels(lang),
        "合计" if zh else "total",
        "争议" if zh else "disputed",
    ):
        table.add_column(label, justify="right")
    for row in [*report.rows, report.totals()]:
        amounts = [*row.buckets, row.total, row.disputed]
        table.add_row(row.key, *(Money(v, report.currency).decimal_string() for v in amounts))
    out().print(table)
