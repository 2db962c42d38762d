"""Read an import file (CSV, XLSX or JSON) into rows keyed by the canonical column names.

Headers may be English, Chinese or a documented alias, in any case. CSV may be UTF-8 (with or
without the BOM Excel writes) or GB18030 (what Chinese Excel saves as "CSV"). Every cell is read
as text; types are checked later, per column, so that the report can name row and column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from creditguard.imports.formats import FORMATS, header_map, normalise

SUFFIXES = (".csv", ".xlsx", ".json")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in a file: which row (the header is row 1), which column, which value, why."""

    row: int
    column: str
    value: str | None
    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Table:
    """The file's data rows with canonical column names, and each row's line in the file."""

    rows: list[dict[str, str]]
    lines: list[int]
    errors: list[RowError]


@dataclass(frozen=True, slots=True)
class Frame:
    """A CSV file's data rows as text columns with the canonical names ("" when blank), and
    each row's line in ``LINE``: what the column-wise importers read, without a dict per row."""

    data: pl.DataFrame
    errors: list[RowError]

    @property
    def height(self) -> int:
        return self.data.height

    def table(self, mask: pl.Series | None = None) -> Table:
        """The rows (all, or those where ``mask`` holds) as a :class:`Table`."""
        data = self.data if mask is None else self.data.filter(mask)
        lines = data[LINE].to_list()
        rows = data.drop(LINE).to_dicts()
        return Table(rows, lines, list(self.errors))


LINE = "__line__"


def read_file(kind: str, path: Path) -> Table:
    """Read ``path`` (by its suffix) as rows of ``kind``; header problems come back as errors."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        return Table(
            [],
            [],
            [RowError(0, "file", path.name, "bad_file_type", {"types": ", ".join(SUFFIXES)})],
        )
    if suffix == ".json":
        # Numbers are read as Decimal, exactly as written: never through a binary float.
        data = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
        return read_records(kind, data)
    raw = _xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path.read_bytes())
    return read_grid(kind, raw)


def read(kind: str, path: Path) -> Table | Frame:
    """What an import reads: CSV column-wise where the file allows, anything else row by row."""
    return read_csv_frame(kind, path) or read_file(kind, path)


def read_csv_frame(kind: str, path: Path) -> Frame | None:
    """Read a CSV file column-wise (Polars), the same as :func:`read_file` would row by row.

    None when the file is better read row by row: not CSV, a header with problems (the row
    reader reports them), or text Polars will not parse.
    """
    if path.suffix.lower() != ".csv":
        return None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
        data = text.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    first = text[: text.find("\n") + 1 or len(text)]
    header = next(csv.reader(io.StringIO(first, newline=""), delimiter=delimiter), None)
    if header is None or first.count('"') % 2:  # a header spanning lines: read row by row
        return None
    columns, errors = _columns(kind, header)
    if errors:
        return None
    try:
        raw = pl.read_csv(
            data,
            has_header=False,
            skip_rows=1,
            schema={f"c{i}": pl.String for i in range(len(header))},
            separator=delimiter,
            quote_char='"',
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError:
        return None
    names = [c.name for c in FORMATS[kind]]
    blank = pl.all_horizontal(pl.col(c).str.strip_chars().fill_null("") == "" for c in raw.columns)
    raw = raw.with_row_index(LINE, offset=2)  # the header is line 1
    frame = raw.filter(~blank).select(
        pl.col(LINE),
        *(
            pl.col(f"c{i}").str.strip_chars().fill_null("").alias(name)
            for i, name in columns.items()
        ),
        *(pl.lit("").alias(name) for name in names if name not in columns.values()),
    )
    return Frame(frame, [])


def read_grid(kind: str, grid: Iterator[list[str]]) -> Table:
    """Rows given as a header line and data lines (CSV and XLSX)."""
    header = next(grid, None)
    if header is None:
        return Table([], [], [RowError(1, "header", None, "empty_file")])
    columns, errors = _columns(kind, header)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for line, cells in enumerate(grid, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines (Excel leaves them) are not rows
        rows.append({name: cells[i].strip() for i, name in columns.items() if i < len(cells)})
        lines.append(line)
    return Table(rows, lines, errors)


def read_records(kind: str, data: Any) -> Table:
    """Rows given as JSON: a list of objects, or ``{"rows": [...]}``; each object may name its
    columns its own way (English, Chinese, aliases)."""
    records = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return Table([], [], [RowError(0, "file", None, "bad_json")])
    known = header_map(kind)
    rows: list[dict[str, str]] = []
    unknown: dict[str, None] = {}
    errors: list[RowError] = []
    for number, record in enumerate(records, start=1):
        row: dict[str, str] = {}
        for key, value in record.items():
            name = known.get(normalise(str(key)))
            if name is None:
                unknown.setdefault(str(key))
            elif name in row:
                errors.append(RowError(number, str(key), None, "duplicate_column"))
            else:
                row[name] = _text(value)
        rows.append(row)
    expected = ", ".join(c.name for c in FORMATS[kind])
    errors += [RowError(1, key, None, "unknown_column", {"expected": expected}) for key in unknown]
    present = {name for row in rows for name in row}
    errors += [
        RowError(1, c.name, None, "missing_column")
        for c in FORMATS[kind]
        if c.required and c.name not in present
    ]
    return Table(rows, list(range(1, len(rows) + 1)), errors)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _columns(kind: str, header: list[str]) -> tuple[dict[int, str], list[RowError]]:
    known = header_map(kind)
    columns: dict[int, str] = {}
    errors: list[RowError] = []
    for i, title in enumerate(header):
        if not str(title).strip():
            continue
        name = known.get(normalise(str(title)))
        if name is None:
            expected = ", ".join(c.name for c in FORMATS[kind])
            errors.append(RowError(1, str(title), None, "unknown_column", {"expected": expected}))
        elif name in columns.values():
            errors.append(RowError(1, str(title), None, "duplicate_column"))
        else:
            columns[i] = name
    present = set(columns.values())
    errors += [
        RowError(1, c.name, None, "missing_column")
        for c in FORMATS[kind]
        if c.required and c.name not in present
    ]
    return columns, errors


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")  # Chinese Excel's "CSV" encoding
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported when needed: reading XLSX only

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()  # Excel stores dates as datetimes at midnight
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
