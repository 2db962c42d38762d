"""`creditguard import KIND FILE` and `creditguard template KIND`: ERP files in, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from creditguard.cli.common import CompanyCode, DatabaseUrl, LangOption, opened, out, tenant
from creditguard.clock import SystemClock
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.imports import reader, templates
from creditguard.imports.service import ImportReport, message, run_import

Kind = Literal["customers", "invoices", "payments", "credit-notes", "orders"]
ReportFormat = Literal["csv", "xlsx", "json"]


def import_file(  # noqa: PLR0913 - the options are the interface
    *,
    kind: Annotated[
        Kind, typer.Argument(help="customers, invoices, payments, credit-notes or orders.")
    ],
    file: Annotated[
        Path, typer.Argument(help="A CSV, XLSX or JSON file (English or Chinese headers).")
    ],
    company: CompanyCode,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write the row-level errors to FILE (.csv, .xlsx, .json)."
        ),
    ] = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Import a file: every row is checked, and the batch is written all or nothing.

    Exit status 0 when the batch was written (or would be, with --dry-run), 1 when it was refused.
    """
    table = reader.read(kind, file) if file.exists() else _missing(file)
    with opened(database_url) as db:
        with db.read() as session:
            actor = tenant(session, company).actor
        result = run_import(db, actor, kind, table, SystemClock(), dry_run=dry_run)
    if report is not None:
        suffix = report.suffix.lower()
        fmt: ReportFormat = "csv" if suffix == ".csv" else "xlsx" if suffix == ".xlsx" else "json"
        report.write_bytes(templates.error_report(result.errors, fmt))
    if as_json:
        typer.echo(json.dumps(result.as_json(lang), ensure_ascii=False))
    else:
        _show(result, lang)
    raise typer.Exit(1 if result.refused else 0)


def _missing(file: Path) -> reader.Table:
    return reader.Table(
        [], [], [reader.RowError(0, "file", str(file), "not_found", {"kind": "file"})]
    )


def _show(result: ImportReport, lang: str) -> None:
    zh = lang.lower().startswith("zh")
    console = out()
    if result.errors:
        table = Table(
            "行" if zh else "row",
            "列" if zh else "column",
            "值" if zh else "value",
            "原因" if zh else "reason",
            title="错误" if zh else "Errors",
            title_justify="left",
        )
        for e in result.errors:
            table.add_row(
                str(e.row), e.column, "" if e.value is None else e.value, message(e, lang)
            )
        console.print(table)
    totals = ", ".join(f"{c} {v}" for c, v in result.totals.items()) or "-"
    verdict = _verdict(result, zh=zh)
    words = (
        ("行", "新增", "更新", "未变", "控制合计")
        if zh
        else ("rows", "inserted", "updated", "unchanged", "control totals")
    )
    counts = (result.rows, result.inserted, result.updated, result.unchanged)
    line = ", ".join(f"{w} {n}" for w, n in zip(words[:4], counts, strict=True))
    console.print(f"{verdict}: {result.kind} — {line}; {words[4]} {totals}", markup=False)


def _verdict(result: ImportReport, *, zh: bool) -> str:
    if result.refused:
        return "已拒绝，未写入任何数据" if zh else "Refused, nothing written"
    if result.dry_run:
        return "检查通过（试运行，未写入）" if zh else "Checked (dry run, nothing written)"
    if result.inserted + result.updated == 0:
        return "无变化" if zh else "Nothing changed"
    return "已导入" if zh else "Imported"


def template_file(
    *,
    kind: Annotated[
        Kind, typer.Argument(help="customers, invoices, payments, credit-notes or orders.")
    ],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to FILE (default: kind.format).")
    ] = None,
    chinese: Annotated[
        bool, typer.Option("--chinese-headers", help="Chinese column headers.")
    ] = False,
) -> None:
    """Write a template (header row and an example row; XLSX adds the column guide)."""
    target = out_file or Path(f"{kind}.{fmt}")
    target.write_bytes(templates.template(kind, fmt, chinese_headers=chinese))
    typer.echo(str(target))
