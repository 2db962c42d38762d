"""`creditguard report aging`: the portfolio's receivables by age, for any date."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from creditguard.analytics import exports
from creditguard.analytics import kpis as kpi_engine
from creditguard.analytics import service as analytics
from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    LangOption,
    Tenant,
    opened,
    out,
    parse_date,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.aging import parse_buckets
from creditguard.core.errors import invalid
from creditguard.customers import service as customers

report_app = typer.Typer(help="Portfolio reports.", no_args_is_help=True)
By = Literal["customer", "group", "industry", "region", "salesperson", "currency", "grade"]
Shown = Literal["table", "json", "csv", "xlsx"]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default: today).")
]
OutFile = Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of the screen.")]
TextFormat = Annotated[
    Literal["table", "json", "csv"], typer.Option("--format", help="table, json or csv.")
]
EngineOption = Annotated[
    Literal["polars", "spark"],
    typer.Option(
        "--engine",
        help="polars: the portfolio snapshot in this process (default). spark: Apache Spark "
        "reads PostgreSQL over JDBC (extra 'spark'; batch runs on very large ledgers).",
    ),
]
MasterOption = Annotated[
    str,
    typer.Option(
        "--spark-master", help="With --engine spark: local[N], or a cluster (spark://host:7077)."
    ),
]
JarOption = Annotated[
    Path,
    typer.Option("--jdbc-jar", help="With --engine spark: the PostgreSQL JDBC driver's jar."),
]
DEFAULT_JAR = Path("/usr/share/java/postgresql.jar")


def _on(session: Session, company: str, as_of: str | None) -> tuple[Tenant, date]:
    """The company and the report's date: --as-of, or today in the company's time zone."""
    owner = tenant(session, company)
    if as_of:
        return owner, parse_date("as_of", as_of)
    return owner, business_today(SystemClock(), owner.timezone)


@contextmanager
def _spark(session: Session, owner: Tenant, engine: str, master: str, jar: Path) -> Iterator[Any]:
    """The ledger as Spark reads it (``engine`` "spark"), or None (the Polars snapshot)."""
    if engine != "spark":
        yield None
        return
    if session.get_bind().dialect.name != "postgresql":
        raise invalid(
            "engine",
            engine,
            "invalid",
            reason="Spark reads PostgreSQL over JDBC; this database is not PostgreSQL",
            reason_zh="Spark 通过 JDBC 读取 PostgreSQL；当前数据库不是 PostgreSQL",
        )
    if not jar.exists():
        raise invalid(
            "jdbc_jar",
            str(jar),
            "invalid",
            reason="no such file (Debian: apt-get install libpostgresql-jdbc-java)",
            reason_zh="文件不存在（Debian：apt-get install libpostgresql-jdbc-java）",
        )
    try:
        from creditguard.analytics import spark  # the extra, only when asked for
    except ImportError:
        raise invalid(
            "engine",
            engine,
            "invalid",
            reason="install the extra: pip install 'creditguard[spark]'",
            reason_zh="请先安装扩展：pip install 'creditguard[spark]'",
        ) from None
    with spark.running(master, [str(jar)]) as cluster:
        yield spark.from_postgresql(cluster, session, owner.actor.company_id)


def _emit(text: str, out_file: Path | None, *, as_csv: bool) -> None:
    """Print ``text``, or write it to ``out_file`` (CSV with the BOM Excel needs)."""
    if out_file is None:
        typer.echo(text)
    else:
        out_file.write_text(text, encoding="utf-8-sig" if as_csv else "utf-8")


@report_app.command("aging")
def aging(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    as_of: AsOf = None,
    by: Annotated[
        By,
        typer.Option(
            "--by",
            help="Rows per customer, group (parent), industry, region, salesperson, currency "
            "or credit grade.",
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
    out_file: OutFile = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer (code).")
    ] = None,
    engine: EngineOption = "polars",
    spark_master: MasterOption = "local[2]",
    jdbc_jar: JarOption = DEFAULT_JAR,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Open receivables by age on a date, in the base currency (rates of that date)."""
    edges = parse_buckets(buckets, basis)
    if customer is not None and engine == "spark":
        raise typer.BadParameter(
            "--engine spark reports the whole portfolio, not one customer", param_hint="--engine"
        )
    with opened(database_url) as db, db.read() as session:
        owner, on = _on(session, company, as_of)
        only = None
        if customer is not None:
            only = customers.get_by_code(session, owner.actor, customer, field="customer").id
        with _spark(session, owner, engine, spark_master, jdbc_jar) as src:
            report = (
                analytics.aging(session, owner.actor, on, by=by, buckets=edges, customer_id=only)
                if src is None
                else src.aging(session, owner.actor, on, by=by, buckets=edges)
            )
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
    header, rows = exports.aging_grid(report, lang)
    for n, label in enumerate(header):
        table.add_column(label, justify="right" if n else "left")
    for row in rows:
        table.add_row(*row)
    out().print(table)


@report_app.command("kpis")
def kpis(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    as_of: AsOf = None,
    days: Annotated[
        int, typer.Option("--days", help="Length of the period ending on the date.")
    ] = 90,
    monthly: Annotated[
        int, typer.Option("--monthly", help="Instead: a series of this many calendar months.")
    ] = 0,
    fmt: TextFormat = "table",
    out_file: OutFile = None,
    engine: EngineOption = "polars",
    spark_master: MasterOption = "local[2]",
    jdbc_jar: JarOption = DEFAULT_JAR,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """DSO (standard, count-back, best possible), ADD, CEI, turnover, overdue and bad-debt
    ratios, top-10 share and HHI, on a date or month by month."""
    with opened(database_url) as db, db.read() as session:
        owner, on = _on(session, company, as_of)
        periods = kpi_engine.month_ends(on, monthly) if monthly else [(on, days)]
        with _spark(session, owner, engine, spark_master, jdbc_jar) as src:
            sets = [
                kpi_engine.kpis(session, owner.actor, end, days=n)
                if src is None
                else src.kpis(session, owner.actor, end, days=n)
                for end, n in periods
            ]
    records = [k.as_json() for k in sets]
    if fmt == "table" and out_file is None:
        _show_kpis(records, lang)
        return
    text = (
        _csv(records)
        if fmt == "csv"
        else json.dumps(records if monthly else records[0], ensure_ascii=False, indent=2)
    )
    _emit(text, out_file, as_csv=fmt == "csv")


@report_app.command("concentration")
def concentration(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    as_of: AsOf = None,
    by: Annotated[
        By, typer.Option("--by", help="Whose share: group (default), customer, industry, ...")
    ] = "group",
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="How many to list.")] = 10,
    fmt: TextFormat = "table",
    out_file: OutFile = None,
    engine: EngineOption = "polars",
    spark_master: MasterOption = "local[2]",
    jdbc_jar: JarOption = DEFAULT_JAR,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """The largest shares of open receivables, the top-N share and the HHI."""
    with opened(database_url) as db, db.read() as session:
        owner, on = _on(session, company, as_of)
        with _spark(session, owner, engine, spark_master, jdbc_jar) as src:
            found = (
                kpi_engine.concentration(session, owner.actor, on, by=by)
                if src is None
                else src.concentration(session, owner.actor, on, by=by)
            )
        result = found.as_json(top)
    if fmt == "table" and out_file is None:
        zh = lang.lower().startswith("zh")
        name = "集中度" if zh else "Concentration"
        title = f"{name} {result['as_of']} ({result['currency']}): "
        title += f"top {top} {result['top_share']}%, HHI {result['hhi']}"
        table = Table(title=title, title_justify="left")
        for name in (by, "金额" if zh else "amount", "占比%" if zh else "share %"):
            table.add_column(name, justify="left" if name == by else "right")
        for row in result["rows"]:
            table.add_row(row["key"], row["amount"], row["share"] or "-")
        out().print(table)
        return
    text = (
        _csv(result["rows"]) if fmt == "csv" else json.dumps(result, ensure_ascii=False, indent=2)
    )
    _emit(text, out_file, as_csv=fmt == "csv")


def _csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(records[0]) if records else [], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


_KPI_NAMES = {
    "dso": ("DSO (days)", "应收账款周转天数"),
    "dso_count_back": ("DSO count-back", "倒推法周转天数"),
    "best_possible_dso": ("best possible DSO", "最佳周转天数"),
    "add": ("ADD (days delinquent)", "平均逾期天数"),
    "cei": ("CEI %", "回款有效指数 %"),
    "ar_turnover": ("AR turnover", "应收周转率"),
    "overdue_ratio": ("overdue %", "逾期率 %"),
    "bad_debt_ratio": ("bad debt %", "坏账率 %"),
    "top10_share": ("top 10 share %", "前十大占比 %"),
    "hhi": ("HHI", "HHI 集中度"),
    "ar": ("AR", "应收余额"),
    "overdue_ar": ("overdue AR", "逾期余额"),
    "credit_sales": ("credit sales", "赊销额"),
    "written_off": ("written off", "核销额"),
}


def _show_kpis(records: list[dict[str, Any]], lang: str) -> None:
    zh = lang.lower().startswith("zh")
    table = Table(title=f"KPIs ({records[0]['currency']})", title_justify="left")
    table.add_column("")
    for record in records:
        table.add_column(f"{record['as_of']} ({record['period_days']}d)", justify="right")
    for key, (en, cn) in _KPI_NAMES.items():
        table.add_row(
            cn if zh else en, *(str(r[key]) if r[key] is not None else "-" for r in records)
        )
    out().print(table)
