"""Reports as files: JSON (the documented form), CSV and XLSX with bilingual headers."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Literal

from creditguard.analytics.service import AgingReport, AgingRow
from creditguard.core.money import Money

Format = Literal["json", "csv", "xlsx"]
_HEADERS = {
    "en": {"key": "{by}", "total": "total", "disputed": "of which disputed"},
    "zh": {"key": "{by}", "total": "合计", "disputed": "其中争议"},
}


def aging_file(report: AgingReport, fmt: Format, locale: str = "en") -> bytes:
    """The report as bytes in ``fmt``; amounts as decimal strings (CSV) or numbers (XLSX)."""
    if fmt == "json":
        return json.dumps(report.as_json(), ensure_ascii=False, indent=2).encode("utf-8")
    header, rows = aging_grid(report, locale)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")  # the BOM Excel needs for Chinese text
    return _xlsx(report, header, rows)


def aging_grid(report: AgingReport, locale: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows (the totals last) as text: what CSV, XLSX and the CLI table show."""
    words = _HEADERS["zh" if locale.lower().startswith("zh") else "en"]
    header = [
        words["key"].format(by=report.by),
        *report.buckets.labels(locale),
        words["total"],
        words["disputed"],
    ]

    def line(row: AgingRow) -> list[str]:
        amounts = [*row.buckets, row.total, row.disputed]
        return [row.key, *(Money(v, report.currency).decimal_string() for v in amounts)]

    shown = report.text_rows(report.buckets.labels())  # column-wise: one string per cell
    return header, [*(list(r) for r in shown.iter_rows()), line(report.totals())]


def _xlsx(report: AgingReport, header: list[str], rows: list[list[str]]) -> bytes:
    import xlsxwriter  # only when an XLSX is asked for

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(f"aging {report.as_of.isoformat()}")
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        sheet.write(r, 0, row[0], bold if r == len(rows) else None)
        for c, text in enumerate(row[1:], start=1):
            # The exact decimal goes in; Excel itself keeps every number as a double.
            sheet.write_number(r, c, Decimal(text), money)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, len(header), 16)
    book.close()
    return buffer.getvalue()
