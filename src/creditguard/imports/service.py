"""Batch imports: validate every row, then post all of them or none (one transaction).

Rows become the ledger's own inputs and go through the same services as the API, so every
rule of the ledger applies. A re-import of the same file changes nothing and says so; a row
that differs from a posted entry is refused (posted entries are never edited); customers and
orders, which are not ledger entries, are updated.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import DomainError, Problem, render
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.imports.reader import Frame, RowError, Table


@dataclass
class ImportReport:
    kind: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def as_json(self, locale: str = "en") -> dict[str, Any]:
        """The documented report: kind, rows, inserted, updated, unchanged, errors, totals."""
        return {
            "kind": self.kind,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [
                {"row": e.row, "column": e.column, "value": e.value, "message": message(e, locale)}
                for e in self.errors
            ],
            "totals": self.totals,
        }


def message(error: RowError, locale: str) -> str:
    return render(error.code, {"value": error.value, **error.params}, locale)


class _Discard(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__("import discarded")
        self.report = report


Importer = Callable[[Session, Actor, Table, Clock, ImportReport], None]
FrameImporter = Callable[[Session, Actor, Frame, Clock, ImportReport], None]


def run_import(
    db: Database,
    actor: Actor,
    kind: str,
    table: Table | Frame,
    clock: Clock,
    *,
    dry_run: bool = False,
) -> ImportReport:
    """The unit of work of a batch: committed only when every row passed and it is no dry run.

    A :class:`Frame` goes to the kind's column-wise importer where there is one (invoices),
    and is read as rows otherwise.
    """
    from creditguard.imports.invoice_frame import FRAME_IMPORTERS
    from creditguard.imports.kinds import IMPORTERS

    rows = table.height if isinstance(table, Frame) else len(table.rows)
    report = ImportReport(kind=kind, rows=rows, errors=list(table.errors), dry_run=dry_run)
    if report.errors:
        return report
    try:
        with db.write() as session:
            if isinstance(table, Frame) and kind in FRAME_IMPORTERS:
                FRAME_IMPORTERS[kind](session, actor, table, clock, report)
            else:
                rowwise = table.table() if isinstance(table, Frame) else table
                IMPORTERS[kind](session, actor, rowwise, clock, report)
            if report.errors or dry_run:
                raise _Discard(report)
    except _Discard:
        pass
    if report.errors:  # refused: nothing was written, whatever rows passed on their own
        report.inserted = report.updated = 0
    report.errors.sort(key=lambda e: (e.row, e.column))
    return report


# --- shared helpers for the per-kind importers ---


def build(
    model: type[BaseModel],
    values: Mapping[str, Any],
    line: int,
    columns: Mapping[str, str],
    report: ImportReport,
) -> Any:
    """Validate ``values`` as ``model``; on failure add an error per bad field, by column."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        for e in error.errors():
            path = ".".join(str(p) for p in e["loc"])
            column = columns.get(path, columns.get(str(e["loc"][0]), path))
            value = e.get("input")
            shown = None if isinstance(value, dict | list) or e["type"] == "missing" else str(value)
            code = "bad_date" if e["type"].startswith("date") else "invalid"
            report.errors.append(
                RowError(line, column, shown, code, {"reason": e["msg"], "reason_zh": e["msg"]})
            )
        return None


_INDEXED = re.compile(r"^(?:\w+\[(\d+)\]\.)?(.+)$")


def add_domain_errors(
    error: DomainError, report: ImportReport, line_of: Callable[[str], tuple[int, str]]
) -> None:
    """Turn a service's problems into row errors; ``line_of(field)`` names the row and column."""
    for problem in error.problems:
        line, column = line_of(problem.field)
        value = None if problem.value is None else str(problem.value)
        report.errors.append(RowError(line, column, value, problem.code, dict(problem.params)))


def add_total(totals: dict[str, int], currency: str, text: str) -> None:
    with suppress(DomainError):  # the row's own validation reports a bad amount or currency
        minor = Money.parse(text, currency).minor
        totals[currency] += minor


def finish_totals(report: ImportReport, totals: Mapping[str, int]) -> None:
    report.totals = {c: Money(v, c).decimal_string() for c, v in sorted(totals.items())}


def compact(row: Mapping[str, str]) -> dict[str, str]:
    """Blank cells are absent values (defaults apply), never empty strings."""
    return {k: v for k, v in row.items() if v != ""}


def group(table: Table, key: str) -> dict[str, list[tuple[int, dict[str, str]]]]:
    """Rows sharing ``key`` (an invoice's lines, a split payment), in order of first appearance."""
    groups: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for line, row in zip(table.lines, table.rows, strict=True):
        groups[row.get(key, "")].append((line, row))
    return groups


def disagreement(
    rows: Sequence[tuple[int, dict[str, str]]], columns: Sequence[str], kind: str, key: str
) -> list[RowError]:
    first = rows[0][1]
    return [
        RowError(
            line,
            column,
            row.get(column),
            "rows_disagree",
            {"kind": kind, "key": key, "column": column},
        )
        for line, row in rows[1:]
        for column in columns
        if row.get(column, "") != first.get(column, "")
    ]


def differs(
    kind: str, key: str, line: int, stored: Mapping[str, str], given: Mapping[str, str]
) -> RowError | None:
    """The first column where a file row disagrees with the posted entry, as an error."""
    for column, posted in stored.items():
        if given.get(column, posted) != posted:
            params: dict[str, object] = {
                "kind": kind,
                "key": key,
                "column": column,
                "posted": posted,
            }
            return RowError(line, column, given.get(column), "posted_differs", params)
    return None


def problem_error(line: int, column: str, problem: Problem) -> RowError:
    value = None if problem.value is None else str(problem.value)
    return RowError(line, column, value, problem.code, dict(problem.params))
