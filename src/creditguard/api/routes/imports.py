"""Batch imports over HTTP (rows as JSON, all or nothing) and the templates per kind.

No `from __future__ import annotations` here: the routes are made in a loop, and FastAPI must
see each closure's own dependency, which a string annotation could not name.
"""

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from creditguard.api.deps import Context, require
from creditguard.api.errors import locale_of
from creditguard.api.idempotency import run_batch
from creditguard.api.problems import ERRORS
from creditguard.core.errors import InvalidInput, Problem
from creditguard.imports import reader, templates
from creditguard.imports.reader import RowError
from creditguard.imports.schemas import ImportReportOut, ImportRowsIn
from creditguard.imports.service import run_import

router = APIRouter(prefix="/imports", tags=["imports"], responses=ERRORS)
OPERATIONS = {
    "customers": "customers:write",
    "invoices": "invoices:write",
    "payments": "payments:write",
    "credit-notes": "credit_notes:write",
    "orders": "orders:write",
}
DryRun = Annotated[bool, Query(description="Check every row and write nothing.")]


def _route(kind: str) -> Callable[..., JSONResponse]:
    def post_rows(
        *,
        body: ImportRowsIn,
        request: Request,
        ctx: Annotated[Context, Depends(require(OPERATIONS[kind]))],
        dry_run: DryRun = False,
    ) -> JSONResponse:
        locale = locale_of(request)

        def work() -> tuple[int, ImportReportOut]:
            table = reader.read_records(kind, body.model_dump(mode="json"))
            report = run_import(ctx.db, ctx.actor, kind, table, ctx.clock, dry_run=dry_run)
            if report.refused:  # problem+json like every refusal, naming rows[i].column
                raise InvalidInput([_problem(e) for e in report.errors])
            return 200, ImportReportOut.model_validate(report.as_json(locale))

        return run_batch(ctx, f"/imports/{kind}?dry_run={dry_run}", body, work)

    post_rows.__name__ = f"import_{kind.replace('-', '_')}"
    return post_rows


HEADER_CODES = frozenset({"unknown_column", "missing_column", "duplicate_column", "bad_json"})


def _problem(error: RowError) -> Problem:
    field = error.column if error.code in HEADER_CODES else f"rows[{error.row - 1}].{error.column}"
    return Problem(field, error.value, error.code, error.params)


for _kind in OPERATIONS:
    router.post(
        f"/{_kind}",
        response_model=ImportReportOut,
        summary=f"Import {_kind}, all or nothing",
        description=f"Check every row of {_kind} and write all of them or none. 200 with the "
        "report when written (or, with dry_run, when it would be); 422 problem+json naming every "
        "bad row as rows[i].column when refused (nothing written). Re-sending the same rows "
        "changes nothing (reported as unchanged).",
    )(_route(_kind))


@router.get(
    "/{kind}/template",
    summary="Download the template of a kind",
    description="Header row and an example row; the XLSX also explains every column in English "
    "and Chinese.",
    response_class=Response,
)
def template(
    *,
    kind: Annotated[
        Literal["customers", "invoices", "payments", "credit-notes", "orders"],
        Path(description="What the file imports."),
    ],
    ctx: Annotated[Context, Depends(require("customers:read"))],
    fmt: Annotated[
        Literal["csv", "xlsx", "json"], Query(alias="format", description="csv, xlsx or json.")
    ] = "csv",
    chinese_headers: Annotated[bool, Query(description="Chinese column headers.")] = False,
) -> Response:
    body = templates.template(kind, fmt, chinese_headers=chinese_headers)
    filename = f"{kind}.{fmt}"
    return Response(
        body,
        media_type=templates.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
