"""Downloadable templates per kind, and the row-level error report, as CSV, XLSX or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Literal

from creditguard.imports.formats import FORMATS
from creditguard.imports.reader import RowError
from creditguard.imports.service import message

Format = Literal["csv", "xlsx", "json"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def template(kind: str, fmt: Format, *, chinese_headers: bool = False) -> bytes:
    """A file with the kind's header row and one example row (and, in XLSX, the column guide)."""
    columns = FORMATS[kind]
    header = [c.zh if chinese_headers else c.name for c in columns]
    example = [c.example for c in columns]
    if fmt == "json":
        rows = [{c.name: c.example for c in columns}]
        return json.dumps({"rows": rows}, ensure_ascii=False, indent=2).encode()
    if fmt == "csv":
        return _csv([header, example])
    guide = [["column", "列名", "required / 必填", "description", "说明", "example / 示例"]] + [
        [
            c.name,
            c.zh,
            "yes / 是" if c.required else "no / 否",
            c.description,
            c.description_zh,
            c.example,
        ]
        for c in columns
    ]
    return _xlsx({kind: [header, example], "columns 列说明": guide})


def error_report(errors: Sequence[RowError], fmt: Format) -> bytes:
    """The row-level report, with the reason in English and in Chinese."""
    rows = [
        {
            "row": e.row,
            "column": e.column,
            "value": e.value,
            "message": message(e, "en"),
            "message_zh": message(e, "zh-CN"),
        }
        for e in errors
    ]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2).encode()
    grid = [["row", "column", "value", "message", "message_zh"]] + [
        [
            str(r["row"]),
            str(r["column"]),
            "" if r["value"] is None else str(r["value"]),
            str(r["message"]),
            str(r["message_zh"]),
        ]
        for r in rows
    ]
    return _csv(grid) if fmt == "csv" else _xlsx({"errors 错误": grid})


def _csv(grid: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(grid)
    return ("\ufeff" + buffer.getvalue()).encode()  # the BOM makes Excel read UTF-8 Chinese


def _xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    import xlsxwriter  # imported when needed: writing XLSX only

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    for name, grid in sheets.items():
        sheet = workbook.add_worksheet(name[:31])
        for r, values in enumerate(grid):
            sheet.write_row(r, 0, values, bold if r == 0 else None)
        sheet.set_column(0, max(len(row) for row in grid) - 1, 22)
    workbook.close()
    return buffer.getvalue()
