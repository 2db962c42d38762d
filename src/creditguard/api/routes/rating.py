"""The credit file, the expert scorecard policy and the customers' ratings."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic.config import JsonDict, JsonValue
from starlette.concurrency import run_in_threadpool

from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.errors import locale_of
from creditguard.api.errors import problem_response as problem
from creditguard.api.idempotency import run_post
from creditguard.api.problems import ERRORS, problem_response
from creditguard.core.errors import DomainError, invalid
from creditguard.rating import service
from creditguard.rating.schemas import (
    BlendRuleIn,
    BlendRuleOut,
    CreditFileOut,
    DocumentIn,
    DocumentKind,
    DocumentOut,
    OverrideIn,
    PolicyIn,
    PolicyOut,
    QualificationIn,
    QualificationOut,
    RatingOut,
    RatingsOut,
    RerateIn,
    RunOut,
    StatementIn,
    StatementOut,
)
from creditguard.rating.service import blend
from creditguard.rating.service import documents as uploads

router = APIRouter(tags=["rating"], responses=ERRORS)
Read = Annotated[Context, Depends(require("rating:read"))]
Write = Annotated[Context, Depends(require("customers:write"))]
CustomerId = Annotated[int, Path(gt=0, le=MAX_ID, description="Customer id.")]
AsOf = Annotated[
    date | None, Query(description="Business date; today in the company's zone by default.")
]
CREDIT_ROLES = "Only a credit manager or an administrator may do this (403 for other roles)."


@router.get(
    "/customers/{customer_id}/credit-file",
    response_model=CreditFileOut,
    summary="The credit file",
    description="Basic qualification (years in business as of the date), financial statements "
    "with their ratios, documents and the rating that holds.",
)
def credit_file(customer_id: CustomerId, ctx: Read, as_of: AsOf = None) -> CreditFileOut:
    with ctx.db.read() as session:
        return service.credit_file(session, ctx.actor, customer_id, ctx.clock, as_of)


@router.put(
    "/customers/{customer_id}/credit-file/qualification",
    response_model=QualificationOut,
    summary="Set the basic qualification",
    description="Replaces licence status, registered capital, founding date, legal form and "
    "negative records (every field: a field left out becomes unknown).",
)
def put_qualification(
    customer_id: CustomerId, body: QualificationIn, ctx: Write
) -> QualificationOut:
    with ctx.db.write() as session:
        return service.put_qualification(session, ctx.actor, customer_id, body, ctx.clock)


@router.get(
    "/customers/{customer_id}/financial-statements",
    response_model=list[StatementOut],
    summary="Financial statements",
    description="Every period, newest first, each with its ratios against the period before.",
)
def statements(customer_id: CustomerId, ctx: Read) -> list[StatementOut]:
    with ctx.db.read() as session:
        return service.list_statements(session, ctx.actor, customer_id)


@router.post(
    "/customers/{customer_id}/financial-statements",
    response_model=StatementOut,
    status_code=201,
    summary="Add a financial statement",
    description="Records one period (amounts as decimal strings in the statement's currency) "
    "and answers with its ratios; a period already recorded is a conflict (409).",
)
def add_statement(customer_id: CustomerId, body: StatementIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/financial-statements",
        body,
        lambda s: service.add_statement(s, ctx.actor, customer_id, body, ctx.clock),
    )


@router.get(
    "/customers/{customer_id}/documents",
    response_model=list[DocumentOut],
    summary="Documents",
    description="The credit file's documents (licence, contracts, statements), newest first.",
)
def documents(customer_id: CustomerId, ctx: Read) -> list[DocumentOut]:
    with ctx.db.read() as session:
        return service.list_documents(session, ctx.actor, customer_id)


@router.post(
    "/customers/{customer_id}/documents",
    response_model=DocumentOut,
    status_code=201,
    summary="Register a document",
    description="Records a document's kind, file name, SHA-256 and size, and who uploaded it.",
)
def add_document(customer_id: CustomerId, body: DocumentIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/documents",
        body,
        lambda s: service.add_document(s, ctx.actor, customer_id, body, ctx.clock),
    )


def _example(
    status: int, title: str, field: str, value: JsonValue, code: str, message: str
) -> JsonDict:
    item: JsonDict = {"field": field, "value": value, "code": code, "message": message}
    return {
        "type": f"https://creditguard.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": f"{field}: {message}",
        "errors": [item],
    }


TOO_LARGE = _example(
    413,
    "Content too large",
    "content",
    None,
    "file_too_large",
    "the file is larger than the limit of 20971520 bytes (20 MiB)",
)
UNSUPPORTED = _example(
    415,
    "Unsupported media type",
    "content",
    "application/zip",
    "unsupported_file_type",
    "the content is application/zip; accepted: PDF, PNG, JPEG, TIFF, XLSX, DOCX, CSV or plain text",
)
CORRUPT = _example(
    500,
    "Error",
    "document_id",
    7,
    "invalid",
    f"the stored file of document 7 is corrupt: its SHA-256 is {'0' * 64}, recorded at upload "
    f"{'9f2c' * 16}; restore it from a backup",
)
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself, as the raw body; Content-Type its type. A form "
        "(multipart/*, application/x-www-form-urlencoded) is refused with 415.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
# What the API answers for the refusals that are not plain invalid input.
STATUSES: dict[type[DomainError], int] = {
    uploads.TooLarge: 413,
    uploads.UnsupportedType: 415,
    uploads.CorruptContent: 500,
}
Kind = Annotated[DocumentKind, Query(description="licence, contract, statement or other.")]
FileNameQuery = Annotated[
    str | None,
    Query(max_length=1024, description="The file's name, if not sent as X-File-Name."),
]
FileNameHeader = Annotated[
    str | None,
    Header(
        max_length=1024,
        description="The file's name; UTF-8 percent-encoded for non-ASCII names "
        "(%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf).",
    ),
]
ChecksumHeader = Annotated[
    str | None,
    Header(
        max_length=128,
        description="SHA-256 of the file (hex) as the sender computed it; a mismatch is a 422 "
        "and nothing is stored.",
    ),
]


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk and given up on past ``limit`` bytes (never buffered
    whole when too large)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise uploads.too_large(limit, int(declared))
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise uploads.too_large(limit)
    return bytes(received)


def _header_text(value: str) -> str:
    """A header value as text: percent-decoded UTF-8; raw UTF-8 bytes (read as Latin-1 by the
    server) are taken back as UTF-8."""
    if not value.isascii():
        try:
            value = value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            raise invalid(
                "X-File-Name",
                value,
                "invalid",
                reason="not UTF-8: percent-encode the name",
                reason_zh="不是 UTF-8 编码：请对文件名做百分号编码",
            ) from None
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise invalid(
            "X-File-Name",
            value,
            "invalid",
            reason="percent-encoding that is not UTF-8",
            reason_zh="百分号编码不是 UTF-8",
        ) from None


def _file_name(header: str | None, query: str | None) -> str:
    if header:
        return _header_text(header)
    if query:
        return query
    raise invalid("X-File-Name", None, "required")


def _refused(error: DomainError, request: Request) -> Response:
    status = next((code for kind, code in STATUSES.items() if isinstance(error, kind)), None)
    if status is None:
        raise error
    return problem(status, error.problems, locale_of(request))


@router.post(
    "/customers/{customer_id}/documents/upload",
    response_model=DocumentOut,
    status_code=201,
    summary="Upload a document",
    description="Stores the file (the raw request body) in the credit file: the server computes "
    "its SHA-256 and size, checks X-Content-SHA256 if sent (422 on a mismatch), finds its type "
    "by its first bytes (PDF, PNG, JPEG, TIFF, XLSX, DOCX, CSV or plain text; else 415) and "
    "refuses an empty file (422) or one over the size limit (413, CREDITGUARD_DOCUMENT_MAX_BYTES, "
    "20 MiB by default). The body is the file's raw bytes (curl --data-binary @file with its "
    "Content-Type): a form, multipart/* (curl -F, a browser form) or "
    "application/x-www-form-urlencoded, is refused (415 raw_body_required). Identical files "
    "are stored once per company. Audited as document.upload.",
    responses={
        413: problem_response(
            413, "The file is over the size limit (file_too_large); nothing stored.", TOO_LARGE
        ),
        415: problem_response(
            415,
            "The content is of a type not accepted (unsupported_file_type), or the body was "
            "sent as a form, not as the raw file (raw_body_required); nothing stored.",
            UNSUPPORTED,
        ),
    },
    openapi_extra=UPLOAD_BODY,
)
async def upload_document(
    customer_id: CustomerId,
    kind: Kind,
    request: Request,
    ctx: Write,
    file_name: FileNameQuery = None,
    x_file_name: FileNameHeader = None,
    x_content_sha256: ChecksumHeader = None,
) -> Response:
    try:
        # A form (browser, curl -F) is refused before its body is read: not stored as the file.
        uploads.refuse_form(request.headers.get("content-type"))
        name = _file_name(x_file_name, file_name)
        content = await read_limited(request, ctx.settings.document_max_bytes)
        upload = uploads.Upload(
            kind=kind,
            file_name=name,
            content=content,
            declared_type=request.headers.get("content-type"),
            declared_sha256=x_content_sha256,
            checksum_field="X-Content-SHA256",
        )
        # The Idempotency-Key fingerprint: the same key with another file is a 422.
        fingerprint = DocumentIn.model_construct(
            kind=kind,
            file_name=name,
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
        )
        return await run_in_threadpool(
            run_post,
            ctx,
            f"/customers/{customer_id}/documents/upload",
            fingerprint,
            lambda s: uploads.upload_document(
                s,
                ctx.actor,
                customer_id,
                upload,
                ctx.clock,
                max_bytes=ctx.settings.document_max_bytes,
            ),
        )
    except (uploads.TooLarge, uploads.UnsupportedType) as error:
        return _refused(error, request)


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


@router.get(
    "/customers/{customer_id}/documents/{document_id}/content",
    response_class=Response,
    summary="Download a document",
    description="The stored file with its Content-Type, its name in Content-Disposition and "
    "its SHA-256 as ETag. The bytes are checked against the SHA-256 recorded at upload first: "
    "a mismatch (corruption) is a 500 naming both hashes, never the wrong bytes. A document "
    "registered with its metadata only has no content here (404).",
    responses={
        200: {
            "description": "The file.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        500: problem_response(500, "The stored file is corrupt; it is not served.", CORRUPT),
    },
)
def document_content(
    customer_id: CustomerId,
    document_id: Annotated[int, Path(gt=0, le=MAX_ID, description="Document id.")],
    request: Request,
    ctx: Read,
) -> Response:
    try:
        with ctx.db.read() as session:
            found = service.document_file(session, ctx.actor, document_id, customer_id=customer_id)
    except uploads.CorruptContent as error:
        return _refused(error, request)
    document = found.document
    return Response(
        found.content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.file_name),
            "ETag": f'"{document.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/customers/{customer_id}/rating",
    response_model=RatingsOut,
    summary="Rating and history",
    description="The rating that holds and every rating before it (who, when, policy version, "
    "score, grade, reasons, overrides).",
)
def ratings(customer_id: CustomerId, ctx: Read) -> RatingsOut:
    with ctx.db.read() as session:
        return service.ratings(session, ctx.actor, customer_id)


@router.post(
    "/customers/{customer_id}/rating",
    response_model=RatingOut,
    status_code=201,
    summary="Re-rate now",
    description="Rates the customer with the current scorecard policy (a trigger event: an "
    "alert, a large order, an overdue) and sets its next review date by grade.",
)
def rerate(customer_id: CustomerId, body: RerateIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/rating",
        body,
        lambda s: service.rate_customer(
            s, ctx.actor, customer_id, ctx.clock, as_of=body.as_of, trigger="api"
        ),
    )


@router.post(
    "/customers/{customer_id}/rating/override",
    response_model=RatingOut,
    status_code=201,
    summary="Override the grade",
    description="Holds another grade than the scorecard's, with a mandatory reason; the score "
    f"and reasons stay as scored. {CREDIT_ROLES}",
)
def override(customer_id: CustomerId, body: OverrideIn, ctx: Write) -> JSONResponse:
    return run_post(
        ctx,
        f"/customers/{customer_id}/rating/override",
        body,
        lambda s: service.override(s, ctx.actor, customer_id, body, ctx.clock),
    )


@router.get(
    "/rating/policy",
    response_model=PolicyOut,
    summary="Scorecard policy",
    description="The current expert scorecard (or an earlier version): dimension and factor "
    "weights, bins, neutral points, grade cut-offs and review cycles.",
)
def policy(
    ctx: Read,
    version: Annotated[int | None, Query(gt=0, le=MAX_ID, description="A past version.")] = None,
) -> PolicyOut:
    with ctx.db.write() as session:  # the first read saves the default policy as version 1
        return service.get_policy(session, ctx.actor, ctx.clock, version)


@router.put(
    "/rating/policy",
    response_model=PolicyOut,
    summary="Change the scorecard policy",
    description="Validates the policy (weights add up to 100, bins cover the range without gap "
    "or overlap, names in en and zh-CN) and saves it as a new version; earlier ratings keep "
    f"the version they used. {CREDIT_ROLES}",
)
def put_policy(body: PolicyIn, ctx: Write) -> PolicyOut:
    with ctx.db.write() as session:
        return service.put_policy(session, ctx.actor, body, ctx.clock)


@router.get(
    "/rating/blend",
    response_model=BlendRuleOut,
    summary="Blend rule",
    description="How the grade blends the expert score with a registered model's: "
    "(1 - w) x expert + w x 100 x (1 - PD). Never set: the expert score alone.",
)
def blend_rule(ctx: Read) -> BlendRuleOut:
    with ctx.db.read() as session:
        return blend.get_rule(session, ctx.actor)


@router.put(
    "/rating/blend",
    response_model=BlendRuleOut,
    summary="Change the blend rule",
    description="Saves a new version of the blend rule (weight 0-1, champion or challenger), "
    f"written to the audit log; later ratings use it. {CREDIT_ROLES}",
)
def put_blend_rule(body: BlendRuleIn, ctx: Write) -> BlendRuleOut:
    with ctx.db.write() as session:
        return blend.put_rule(session, ctx.actor, body, ctx.clock)


@router.post(
    "/rating/run",
    response_model=RunOut,
    summary="Re-rate every customer due",
    description="Rates every active customer whose review date is reached (or never rated) on "
    "the date; all=true rates every active customer.",
)
def run(
    ctx: Write,
    *,
    as_of: AsOf = None,
    everyone: Annotated[bool, Query(alias="all", description="Every active customer.")] = False,
) -> RunOut:
    with ctx.db.write() as session:
        day = as_of or service.today(session, ctx.actor, ctx.clock)
        return service.run_due(session, ctx.actor, day, ctx.clock, everyone=everyone)
