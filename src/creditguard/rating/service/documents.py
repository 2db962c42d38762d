"""Uploaded documents of the credit file: the file itself, kept in the database.

An upload is checked before anything is written (the raw file, not a form around it; not
empty, within the size limit, the sender's SHA-256 if given, a type found by its magic bytes
among those a credit file keeps), then stored once per company and SHA-256 in the
transaction that registers the document and audits it. A download re-checks the bytes
against the SHA-256 recorded at upload.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from typing import get_args

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.clock import Clock
from creditguard.core.errors import DomainError, InvalidInput, NotFound, Problem, invalid, not_found
from creditguard.core.permissions import Actor, require
from creditguard.customers import service as customers
from creditguard.models import CreditDocument
from creditguard.rating import repository as repo
from creditguard.rating.schemas import DocumentKind, DocumentOut
from creditguard.rating.service.credit_file import document_out


class TooLarge(InvalidInput):
    """The file is larger than the configured limit (the API answers 413)."""


class UnsupportedType(InvalidInput):
    """The content is none of the types a credit file keeps, or the body is a form rather than
    the file (the API answers 415)."""


class CorruptContent(DomainError):
    """Stored bytes no longer match their SHA-256: they are never served (the API answers 500)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received: its bytes and what the sender says about them."""

    kind: str
    file_name: str
    content: bytes
    declared_type: str | None = None  # a form is refused; else only tells CSV from plain text
    declared_sha256: str | None = None  # the sender's checksum, checked against the bytes
    checksum_field: str = "sha256"  # where the sender put it (the API: the X-Content-SHA256 header)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A document with its bytes, checked against the SHA-256 recorded at upload."""

    document: DocumentOut
    content: bytes


PDF, PNG, JPEG, TIFF = "application/pdf", "image/png", "image/jpeg", "image/tiff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV, TEXT = "text/csv", "text/plain"
OCTET_STREAM = "application/octet-stream"
ALLOWED_TYPES = frozenset({PDF, PNG, JPEG, TIFF, XLSX, DOCX, CSV, TEXT})
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
# Binary types recognised only to name them when refused (after the text check, so that a
# text file that happens to begin with "MZ" stays text).
_REFUSED: tuple[tuple[bytes, str], ...] = (
    (b"GIF8", "image/gif"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\x1f\x8b", "application/gzip"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # old .doc / .xls
)
# Bytes no text file holds: C0 controls other than tab, line feed, form feed, carriage return.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f]")


def _zip_type(content: bytes) -> str:
    """XLSX and DOCX are zip containers; any other zip is refused. Only the directory is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return "application/zip"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    return "application/zip"


def _text_type(content: bytes, file_name: str, declared: str | None) -> str | None:
    """UTF-8 (with or without BOM) or GB18030 text without binary bytes: CSV or plain text."""
    if _BINARY.search(content):
        return None
    for charset in ("utf-8", "gb18030"):
        try:
            content.decode(charset)
        except UnicodeDecodeError:
            continue
        is_csv = file_name.lower().endswith(".csv") or (declared or "").lower().startswith(CSV)
        return f"{CSV if is_csv else TEXT}; charset={charset}"
    return None


def detect_type(content: bytes, file_name: str, declared: str | None = None) -> str:
    """The file's media type from its content (magic bytes), never from the sender's word."""
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    if content.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    text = _text_type(content, file_name, declared)
    if text is not None:
        return text
    return next((t for magic, t in _REFUSED if content.startswith(magic)), OCTET_STREAM)


def _shown(limit: int) -> str:
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def too_large(limit: int, size: int | None = None) -> TooLarge:
    """The refusal of a file over ``limit`` bytes (``size``: as much as is known of it)."""
    return TooLarge.of("content", size, "file_too_large", limit=limit, limit_shown=_shown(limit))


# Bodies that are a form wrapped around the file, not the file: a browser form or curl -F
# (multipart), or curl -d / --data-binary without a Content-Type (urlencoded). Stored as they
# are, a text file's multipart envelope would pass the type check and be kept as the file.
FORM_TYPES = ("multipart/", "application/x-www-form-urlencoded")


def refuse_form(declared_type: str | None) -> None:
    """Refuse a body sent as a form (``declared_type``, the sender's Content-Type): the
    document upload takes the file's raw bytes only."""
    media_type = (declared_type or "").split(";", 1)[0].strip().lower()
    if media_type.startswith(FORM_TYPES):
        raise UnsupportedType.of(
            "Content-Type", declared_type, "raw_body_required", media_type=media_type
        )


def _file_name(name: str) -> str:
    """The name without any folder a client put in front of it (C:\\fakepath\\x.pdf)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base in {".", ".."}:
        raise invalid("file_name", name or None, "required")
    if len(base) > 255 or _BAD_NAME.search(base):
        raise invalid(
            "file_name",
            name,
            "invalid",
            reason="at most 255 characters, without control characters",
            reason_zh="最多 255 个字符，且不能含控制字符",
        )
    return base


def _checked_digest(upload: Upload, max_bytes: int) -> str:
    """The SHA-256 of the bytes, after refusing an empty file, one too large, or one whose
    sender's checksum differs (a transfer gone wrong)."""
    if upload.kind not in get_args(DocumentKind):
        raise invalid(
            "kind",
            upload.kind,
            "invalid",
            reason="must be licence, contract, statement or other",
            reason_zh="须为 licence、contract、statement 或 other",
        )
    if not upload.content:
        raise invalid("content", 0, "invalid", reason="the file is empty", reason_zh="文件为空")
    if len(upload.content) > max_bytes:
        raise too_large(max_bytes, len(upload.content))
    digest = hashlib.sha256(upload.content).hexdigest()
    expected = upload.declared_sha256
    if expected is not None and expected.strip().lower() != digest:
        raise invalid(
            upload.checksum_field,
            expected,
            "invalid",
            reason=f"does not match the SHA-256 of the content received, {digest}",
            reason_zh=f"与收到内容的 SHA-256（{digest}）不一致",
        )
    return digest


def _allowed_type(upload: Upload) -> str:
    refuse_form(upload.declared_type)
    found = detect_type(upload.content, upload.file_name, upload.declared_type)
    if found.split(";")[0] not in ALLOWED_TYPES:
        raise UnsupportedType.of(
            "content",
            found,
            "unsupported_file_type",
            accepted="PDF, PNG, JPEG, TIFF, XLSX, DOCX, CSV or plain text",
            accepted_zh="PDF、PNG、JPEG、TIFF、XLSX、DOCX、CSV 或纯文本",
        )
    return found


def upload_document(
    session: Session,
    actor: Actor,
    customer_id: int,
    upload: Upload,
    clock: Clock,
    *,
    max_bytes: int,
) -> DocumentOut:
    """Keep the file and register it in the credit file, in the caller's transaction (file,
    document and audit entry land together or not at all). Identical bytes are stored once
    per company; each upload is a document of its own."""
    require(actor, "customers:write")
    customer = customers.get(session, actor, customer_id)
    name = _file_name(upload.file_name)
    digest = _checked_digest(upload, max_bytes)
    content_type = _allowed_type(upload)
    now = clock.now()
    row = CreditDocument(
        company_id=actor.company_id,
        customer_id=customer.id,
        kind=upload.kind,
        file_name=name,
        sha256=digest,
        size_bytes=len(upload.content),
        content_type=content_type,
        content_id=repo.store_content(session, actor.company_id, digest, upload.content, now),
        uploaded_at=now,
        uploaded_by=actor.principal,
    )
    session.add(row)
    session.flush()
    body = {"customer_id": customer.id, "customer": customer.code, "kind": upload.kind}
    body |= {"sha256": digest, "size_bytes": len(upload.content)}
    event = audit.Event("document.upload", f"credit_document:{row.id}", body)
    audit.record(session, actor.company_id, actor.principal, event, now)
    return document_out(row)


def verified(row: CreditDocument, content: bytes) -> bytes:
    """``content`` if it is the file recorded at upload (its SHA-256 and size), else refused."""
    actual = hashlib.sha256(content).hexdigest()
    if actual != row.sha256 or len(content) != row.size_bytes:
        raise CorruptContent(
            [
                Problem(
                    "document_id",
                    row.id,
                    "invalid",
                    {
                        "reason": f"the stored file of document {row.id} is corrupt: its "
                        f"SHA-256 is {actual}, recorded at upload {row.sha256}; "
                        "restore it from a backup",
                        "reason_zh": f"文档 {row.id} 的存储文件已损坏：SHA-256 为 {actual}，"
                        f"上传时记录为 {row.sha256}；请从备份恢复",
                    },
                )
            ]
        )
    return content


def _not_stored(document_id: int) -> NotFound:
    return NotFound(
        [
            Problem(
                "document_id",
                document_id,
                "invalid",
                {
                    "reason": f"document {document_id} was registered without its content "
                    "(metadata only): the file stays in the company's own document store",
                    "reason_zh": f"文档 {document_id} 登记时未上传文件内容（仅元数据）："
                    "文件保存在公司自己的文档库中",
                },
            )
        ]
    )


def document_file(
    session: Session, actor: Actor, document_id: int, *, customer_id: int | None = None
) -> StoredFile:
    """A stored document's bytes, checked against the SHA-256 recorded at upload: wrong bytes
    are refused, never served. Another company's document, or another customer's when
    ``customer_id`` is given, is not found."""
    require(actor, "rating:read")
    if customer_id is not None:
        customers.get(session, actor, customer_id)
    row = repo.document(session, actor.company_id, document_id)
    if row is None or (customer_id is not None and row.customer_id != customer_id):
        raise not_found("document", document_id, "document_id")
    if row.content_id is None:
        raise _not_stored(document_id)
    stored = repo.document_content(session, actor.company_id, row.content_id)
    return StoredFile(document_out(row), verified(row, b"" if stored is None else stored.content))
