"""Credit-file documents stored in the database: upload, list, download, on both engines.

Each refusal (checksum, size, type) is shown to store nothing; the download re-checks the
bytes, and a variant without that check is kept to show it would serve corrupted bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, update
from starlette.requests import Request
from typer.testing import CliRunner

from creditguard.api.app import create_app
from creditguard.api.routes.rating import content_disposition, read_limited
from creditguard.cli.main import app as cli
from creditguard.config import Settings
from creditguard.core.errors import InvalidInput
from creditguard.db import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import UserIn
from creditguard.models import AuditEntry, CreditDocument, DocumentContent
from creditguard.rating import service
from creditguard.rating.schemas import DocumentIn
from creditguard.rating.service import documents
from tests import builders as b
from tests.migrating import downgrade, empty_database

PASSWORD = "correct horse battery"
Headers = dict[str, str]
# A PDF-like file with every byte value in it (a text-mode or encoding slip would show).
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PDF_SHA = hashlib.sha256(PDF).hexdigest()
NAME = "营业执照 2026.pdf"
UPLOAD = "/api/v1/customers/1/documents/upload"


def _login(db: Database, client: TestClient, company_id: int, role: str) -> Headers:
    email = f"{role}@acme.cn"
    with db.write() as session:
        identity.add_user(
            session,
            company_id,
            UserIn(email=email, display_name=role, password=PASSWORD, role=role),
            b.clock(),
        )
    response = client.post(
        "/api/v1/auth/token", json={"company": "ACME", "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


MakeClient = Callable[[int], TestClient]


@pytest.fixture
def make_client(db: Database) -> Iterator[MakeClient]:
    made: list[TestClient] = []

    def make(max_bytes: int = 20 * 1024 * 1024) -> TestClient:
        test_client = TestClient(create_app(db, b.clock(), Settings(document_max_bytes=max_bytes)))
        made.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in made:
        test_client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client(20 * 1024 * 1024)


@pytest.fixture
def users(db: Database, client: TestClient) -> dict[str, Headers]:
    actor = b.company(db)
    b.customer(db, actor, code="C-1")
    return {
        role: _login(db, client, actor.company_id, role) for role in ("credit_manager", "viewer")
    }


def _upload(
    client: TestClient,
    headers: Headers,
    content: bytes,
    *,
    name: str = NAME,
    kind: str = "licence",
    extra: Headers | None = None,
) -> Any:
    return client.post(
        f"{UPLOAD}?kind={kind}",
        content=content,
        headers=headers
        | {"Content-Type": "application/pdf", "X-File-Name": quote(name)}
        | (extra or {}),
    )


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(CreditDocument)) or 0,
            session.scalar(select(func.count()).select_from(DocumentContent)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_upload_list_and_download_byte_identical(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    manager, viewer = users["credit_manager"], users["viewer"]
    made = _upload(client, manager, PDF)
    assert made.status_code == 201, made.text
    by = made.json()["uploaded_by"]
    assert by.startswith("user:")
    assert made.json() == {
        "id": 1,
        "kind": "licence",
        "file_name": NAME,
        "sha256": PDF_SHA,
        "size_bytes": len(PDF),
        "content_type": "application/pdf",
        "stored": True,
        "uploaded_at": "2026-11-22T01:30:00Z",
        "uploaded_by": by,
    }
    listed = client.get("/api/v1/customers/1/documents", headers=viewer)
    assert listed.json() == [made.json()]
    got = client.get("/api/v1/customers/1/documents/1/content", headers=viewer)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["etag"] == f'"{PDF_SHA}"'
    assert got.headers["content-disposition"] == (
        'attachment; filename="____ 2026.pdf"; '
        "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%202026.pdf"
    )
    with db.read() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.subject, entry.actor) == (
        "document.upload",
        "credit_document:1",
        by,
    )
    assert json.loads(entry.body) == {
        "customer": "C-1",
        "customer_id": 1,
        "kind": "licence",
        "sha256": PDF_SHA,
        "size_bytes": len(PDF),
    }
    assert _upload(client, viewer, PDF).status_code == 403  # uploading is customers:write


def test_a_csv_named_by_query_and_a_matching_checksum(
    client: TestClient, users: dict[str, Headers]
) -> None:
    csv = "期间,收入\n2025-12-31,1200.00\n".encode()
    made = client.post(
        f"{UPLOAD}?kind=statement&file_name=利润表.csv",
        content=csv,
        headers=users["credit_manager"]
        | {"Content-Type": "text/csv", "X-Content-SHA256": hashlib.sha256(csv).hexdigest()},
    )
    assert made.status_code == 201, made.text
    assert (made.json()["file_name"], made.json()["content_type"]) == (
        "利润表.csv",
        "text/csv; charset=utf-8",
    )
    got = client.get("/api/v1/customers/1/documents/1/content", headers=users["viewer"])
    assert (got.content, got.headers["content-type"]) == (csv, "text/csv; charset=utf-8")


def test_the_same_file_twice_is_two_documents_and_one_stored_file(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    manager = users["credit_manager"]
    first = _upload(client, manager, PDF)
    second = _upload(client, manager, PDF, name="licence-copy.pdf", kind="other")
    assert (first.status_code, second.status_code) == (201, 201)
    assert _counts(db) == (2, 1, 2)
    for document_id in (1, 2):
        got = client.get(f"/api/v1/customers/1/documents/{document_id}/content", headers=manager)
        assert got.content == PDF


def test_an_idempotency_key_replays_the_upload(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    key = {"Idempotency-Key": "upload-1"}
    first = _upload(client, users["credit_manager"], PDF, extra=key)
    again = _upload(client, users["credit_manager"], PDF, extra=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = _upload(client, users["credit_manager"], PDF + b"more", extra=key)
    assert (other.status_code, other.json()["errors"][0]["code"]) == (422, "idempotency_mismatch")
    assert _counts(db) == (1, 1, 1)


def test_a_wrong_checksum_is_refused_and_stores_nothing(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    wrong = "0" * 64
    refused = _upload(client, users["credit_manager"], PDF, extra={"X-Content-SHA256": wrong})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "X-Content-SHA256",
            "value": wrong,
            "code": "invalid",
            "message": f"does not match the SHA-256 of the content received, {PDF_SHA}",
        }
    ]
    assert _counts(db) == (0, 0, 0)


def test_too_large_is_413_and_stores_nothing(
    make_client: MakeClient, db: Database, users: dict[str, Headers]
) -> None:
    small = make_client(64)
    manager = users["credit_manager"]
    over = _upload(small, manager, b"%PDF-" + b"x" * 60)  # 65 bytes: one over
    assert over.status_code == 413
    assert over.json()["errors"] == [
        {
            "field": "content",
            "value": 65,
            "code": "file_too_large",
            "message": "the file is larger than the limit of 64 bytes (64 bytes)",
        }
    ]
    assert (over.json()["type"], over.json()["title"]) == (
        "https://creditguard.dev/problems/file_too_large",
        "Content too large",
    )
    # Without a Content-Length (chunked), the stream is cut at the limit.
    chunks = small.post(
        f"{UPLOAD}?kind=licence",
        content=iter([b"%PDF-" + b"x" * 40, b"x" * 40]),
        headers=manager | {"X-File-Name": "a.pdf"},
    )
    assert (chunks.status_code, chunks.json()["errors"][0]["value"]) == (413, None)
    assert _counts(db) == (0, 0, 0)
    exactly = _upload(small, manager, b"%PDF-" + b"x" * 59)  # 64 bytes: at the limit
    assert exactly.status_code == 201, exactly.text


def _receiver(chunks: int, size: int, sent: list[int]) -> Any:
    async def receive() -> dict[str, Any]:
        sent.append(1)
        return {"type": "http.request", "body": b"x" * size, "more_body": len(sent) < chunks}

    return receive


async def _buffered_then_checked(request: Request, limit: int) -> bytes:
    """The broken variant: reads the whole body, then looks at its size."""
    body = await request.body()
    if len(body) > limit:
        raise documents.too_large(limit)
    return body


@pytest.mark.parametrize(
    ("reader", "stops_early"), [(read_limited, True), (_buffered_then_checked, False)]
)
def test_the_body_is_read_in_chunks_and_given_up_at_the_limit(
    reader: Callable[[Request, int], Any], stops_early: bool
) -> None:
    sent: list[int] = []
    scope = {"type": "http", "method": "POST", "headers": [], "path": "/"}
    request = Request(scope, _receiver(1000, 1024, sent))

    async def run() -> None:
        with pytest.raises(documents.TooLarge):
            await reader(request, 4096)

    anyio.run(run)
    # 4 KiB of a 1000 KiB body: the fifth chunk crosses the limit and nothing more is read.
    assert len(sent) == (5 if stops_early else 1000)


def test_types_are_told_by_their_bytes(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    manager = users["credit_manager"]
    gif = _upload(client, manager, b"GIF89a\x01\x00\x01\x00\x80\x00\x00", name="scan.pdf")
    assert gif.status_code == 415
    assert gif.json()["errors"] == [
        {
            "field": "content",
            "value": "image/gif",
            "code": "unsupported_file_type",
            "message": "the content is image/gif; accepted: PDF, PNG, JPEG, TIFF, XLSX, DOCX, "
            "CSV or plain text",
        }
    ]
    assert gif.json()["title"] == "Unsupported media type"
    gif_zh = _upload(client, manager, b"GIF89a\x01\x00", extra={"Accept-Language": "zh-CN"})
    assert gif_zh.json()["errors"][0]["message"] == (
        "文件内容为 image/gif；仅接受 PDF、PNG、JPEG、TIFF、XLSX、DOCX、CSV 或纯文本"
    )
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("payload.bin", b"\x00\x01")
    refused = _upload(client, manager, plain_zip.getvalue(), name="book.xlsx")
    assert (refused.status_code, refused.json()["errors"][0]["value"]) == (415, "application/zip")
    exe = _upload(client, manager, b"MZ\x90\x00\x03\x00\x00\x00", name="a.txt")
    assert exe.json()["errors"][0]["value"] == "application/x-msdownload"
    empty = _upload(client, manager, b"")
    assert (empty.status_code, empty.json()["errors"][0]["message"]) == (422, "the file is empty")
    assert _counts(db) == (0, 0, 0)
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    made = _upload(client, manager, book.getvalue(), name="报表.xlsx", kind="statement")
    assert made.json()["content_type"] == documents.XLSX
    png = _upload(client, manager, b"\x89PNG\r\n\x1a\n\x00\x00", name="a.png")
    tiff = _upload(client, manager, b"II*\x00\x08\x00", name="a.tif")
    jpeg = _upload(client, manager, b"\xff\xd8\xff\xe0\x00\x10JFIF", name="a.jpg")
    assert [r.json()["content_type"] for r in (png, tiff, jpeg)] == [
        "image/png",
        "image/tiff",
        "image/jpeg",
    ]


CSV = "期间,收入\n2025-12-31,1200.00\n".encode()
BOUNDARY = "cg-boundary-1"
# What a browser form or curl -F sends: the file wrapped in a multipart envelope (text, so the
# type check alone would take the envelope for a CSV file).
FORM = (
    (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="利润表.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    + CSV
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)
RAW_BODY_EN = (
    "'{}' is a form encoding, not a file: send the file itself as the raw request body with "
    "its own Content-Type, e.g. curl --data-binary @file -H 'Content-Type: application/pdf' "
    "(not curl -F); nothing was stored"
)
RAW_BODY_ZH = (
    "'{}' 是表单编码而不是文件：请将文件本身作为原始请求体发送，并注明其 Content-Type，"
    "例如 curl --data-binary @文件 -H 'Content-Type: application/pdf'（不要用 curl -F）；"
    "未保存任何内容"
)
STATEMENT = f"{UPLOAD}?kind=statement&file_name=利润表.csv"


@pytest.mark.parametrize(
    ("content_type", "media_type", "body"),
    [
        (f"multipart/form-data; boundary={BOUNDARY}", "multipart/form-data", FORM),
        (f"Multipart/Mixed; boundary={BOUNDARY}", "multipart/mixed", FORM),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded", CSV),
    ],
)
def test_a_form_is_refused_with_415_and_nothing_is_written(
    client: TestClient,
    users: dict[str, Headers],
    db: Database,
    content_type: str,
    media_type: str,
    body: bytes,
) -> None:
    manager = users["credit_manager"]
    assert _upload(client, manager, PDF).status_code == 201
    assert _counts(db) == (1, 1, 1)
    key = {"Idempotency-Key": "statement-1"}
    sent = manager | key | {"Content-Type": content_type}
    refused = client.post(STATEMENT, content=body, headers=sent)
    message = RAW_BODY_EN.format(media_type)
    assert refused.status_code == 415
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "https://creditguard.dev/problems/raw_body_required",
        "title": "Unsupported media type",
        "status": 415,
        "detail": f"Content-Type: {message}",
        "errors": [
            {"field": "Content-Type", "value": content_type, "code": "raw_body_required",
             "message": message}
        ],
    }  # fmt: skip
    zh = client.post(STATEMENT, content=body, headers=sent | {"Accept-Language": "zh-CN"})
    assert (zh.status_code, zh.json()["title"], zh.json()["errors"][0]["message"]) == (
        415,
        "不支持的媒体类型",
        RAW_BODY_ZH.format(media_type),
    )
    assert _counts(db) == (1, 1, 1)
    # The same file sent as its raw bytes, with the same key: stored (the refusal kept nothing,
    # not even the key), and what is stored is the file, not an envelope.
    raw = client.post(STATEMENT, content=CSV, headers=manager | key | {"Content-Type": "text/csv"})
    assert raw.status_code == 201, raw.text
    assert _counts(db) == (2, 2, 2)
    got = client.get(f"/api/v1/customers/1/documents/{raw.json()['id']}/content", headers=manager)
    assert got.content == CSV


def test_a_real_form_upload_is_refused(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    """What the HTTP client builds for a form (its own boundary), as curl -F or a browser."""
    refused = client.post(
        STATEMENT, files={"file": ("利润表.csv", CSV, "text/csv")}, headers=users["credit_manager"]
    )
    assert refused.status_code == 415
    item = refused.json()["errors"][0]
    assert (item["field"], item["code"], item["message"]) == (
        "Content-Type",
        "raw_body_required",
        RAW_BODY_EN.format("multipart/form-data"),
    )
    assert item["value"].startswith("multipart/form-data; boundary=")
    assert _counts(db) == (0, 0, 0)


def test_the_bytes_alone_would_take_the_envelope_for_the_file(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    """Why the refusal goes by the Content-Type: the multipart envelope of a CSV file is itself
    valid text, so the type check by content accepts it and would keep the envelope as the
    file (here sent as text/csv on purpose; the refusal above is what prevents it)."""
    made = client.post(
        STATEMENT, content=FORM, headers=users["credit_manager"] | {"Content-Type": "text/csv"}
    )
    assert (made.status_code, made.json()["content_type"]) == (201, "text/csv; charset=utf-8")
    assert made.json()["size_bytes"] == len(FORM) != len(CSV)
    assert _counts(db) == (1, 1, 1)


@pytest.mark.parametrize(
    "declared", ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]
)
def test_the_service_refuses_a_form_too(db: Database, declared: str) -> None:
    """Any caller of the service, not only the route: a body declared as a form is refused."""
    actor = b.company(db)
    customer_id = b.customer(db, actor, code="C-1")
    upload = documents.Upload(kind="statement", file_name="a.csv", content=FORM,
                              declared_type=declared)  # fmt: skip
    with db.write() as session, pytest.raises(documents.UnsupportedType) as refused:
        service.upload_document(session, actor, customer_id, upload, b.clock(), max_bytes=1 << 20)
    assert [(p.field, p.value, p.code) for p in refused.value.problems] == [
        ("Content-Type", declared, "raw_body_required")
    ]
    assert _counts(db) == (0, 0, 0)


def test_another_companys_document_is_not_found(
    client: TestClient, users: dict[str, Headers], db: Database
) -> None:
    other = b.company(db, code="OTHER")
    foreign = b.customer(db, other, code="X-1")
    with db.write() as session:
        theirs = service.upload_document(
            session,
            other,
            foreign,
            documents.Upload(kind="licence", file_name="x.pdf", content=PDF),
            b.clock(),
            max_bytes=1 << 20,
        )
    viewer = users["viewer"]
    for path in (
        f"/api/v1/customers/1/documents/{theirs.id}/content",
        f"/api/v1/customers/{foreign}/documents/{theirs.id}/content",
        f"/api/v1/customers/{foreign}/documents",
    ):
        response = client.get(path, headers=viewer)
        assert response.status_code == 404, path
        assert PDF not in response.content
    mine = _upload(client, users["credit_manager"], PDF)
    assert mine.status_code == 201  # same bytes, own company: stored again, its own row
    assert _counts(db)[1] == 2
    assert (
        client.get(
            f"/api/v1/customers/{foreign}/documents/{mine.json()['id']}/content", headers=viewer
        ).status_code
        == 404
    )


def test_a_metadata_only_document_has_no_content(
    client: TestClient, users: dict[str, Headers]
) -> None:
    manager = users["credit_manager"]
    document = {"kind": "contract", "file_name": "合同.pdf", "sha256": PDF_SHA, "size_bytes": 9}
    made = client.post("/api/v1/customers/1/documents", json=document, headers=manager)
    assert (made.json()["stored"], made.json()["content_type"]) == (False, None)
    got = client.get("/api/v1/customers/1/documents/1/content", headers=manager)
    assert got.status_code == 404
    assert got.json()["errors"][0]["message"] == (
        "document 1 was registered without its content (metadata only): the file stays in "
        "the company's own document store"
    )
    missing = client.get("/api/v1/customers/1/documents/99/content", headers=manager)
    assert missing.json()["errors"][0]["message"] == "document '99' was not found"


def test_corruption_is_refused_not_served(
    client: TestClient, users: dict[str, Headers], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = users["credit_manager"]
    assert _upload(client, manager, PDF).status_code == 201
    tampered = PDF[:-2] + b"X\n"  # same size, one byte changed
    with db.write() as session:
        session.execute(update(DocumentContent).values(content=tampered))
    path = "/api/v1/customers/1/documents/1/content"
    refused = client.get(path, headers=manager)
    assert refused.status_code == 500
    assert refused.headers["content-type"] == "application/problem+json"
    assert tampered not in refused.content
    actual = hashlib.sha256(tampered).hexdigest()
    assert refused.json()["errors"] == [
        {
            "field": "document_id",
            "value": 1,
            "code": "invalid",
            "message": f"the stored file of document 1 is corrupt: its SHA-256 is {actual}, "
            f"recorded at upload {PDF_SHA}; restore it from a backup",
        }
    ]
    # The broken variant, without the check, serves the corrupted bytes as if they were good.
    monkeypatch.setattr(documents, "verified", lambda row, content: content)
    served = client.get(path, headers=manager)
    assert (served.status_code, served.content) == (200, tampered)


def test_file_names_and_the_content_disposition() -> None:
    assert content_disposition('a "b"\\c.pdf') == (
        "attachment; filename=\"a _b__c.pdf\"; filename*=UTF-8''a%20%22b%22%5Cc.pdf"
    )
    upload = documents.Upload(kind="licence", file_name="C:\\fakepath\\执照.pdf", content=PDF)
    assert documents._file_name(upload.file_name) == "执照.pdf"
    with pytest.raises(InvalidInput, match="file_name"):
        documents._file_name("a\nb.pdf")
    with pytest.raises(InvalidInput, match="kind"):
        documents._checked_digest(
            documents.Upload(kind="photo", file_name="a.pdf", content=PDF), 1 << 20
        )


# --- the CLI, on both engines ---


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _cli(runner: CliRunner, db: Database, *args: str) -> str:
    result = runner.invoke(cli, [*args, "--company", "ACME", "--database-url", _url(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_add_list_get_round_trip(runner: CliRunner, db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    source = tmp_path / "营业执照.pdf"
    source.write_bytes(PDF)
    added = json.loads(
        _cli(
            runner,
            db,
            "rating",
            "document",
            "add",
            str(source),
            "--customer",
            "C1",
            "--kind",
            "licence",
            "--json",
        )
    )
    assert {k: added[k] for k in ("id", "file_name", "sha256", "stored", "uploaded_by")} == {
        "id": 1,
        "file_name": "营业执照.pdf",
        "sha256": PDF_SHA,
        "stored": True,
        "uploaded_by": "cli",
    }
    listed = json.loads(
        _cli(runner, db, "rating", "document", "list", "--customer", "C1", "--json")
    )
    assert [row["id"] for row in listed] == [1]
    table = _cli(runner, db, "rating", "document", "list", "--customer", "C1", "--lang", "zh-CN")
    assert "营业执照.pdf" in table
    assert "已存储" in table
    target = tmp_path / "copy.pdf"
    said = _cli(runner, db, "rating", "document", "get", "--id", "1", "--out", str(target))
    assert target.read_bytes() == PDF
    assert said.strip() == f"Wrote {target}: {len(PDF)} bytes, SHA-256 {PDF_SHA} verified"
    target.write_bytes(b"keep me")
    again = runner.invoke(
        cli,
        [
            "rating",
            "document",
            "get",
            "--id",
            "1",
            "--out",
            str(target),
            "--company",
            "ACME",
            "--database-url",
            _url(db),
            "--lang",
            "zh-CN",
        ],
    )
    assert again.exit_code == 1
    assert "文件已存在：如需覆盖请加 --force" in again.output
    assert target.read_bytes() == b"keep me"
    _cli(runner, db, "rating", "document", "get", "--id", "1", "--out", str(target), "--force")
    assert target.read_bytes() == PDF


def test_cli_refuses_a_type_and_a_viewer(runner: CliRunner, db: Database, tmp_path: Path) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    with db.write() as session:
        identity.add_user(
            session,
            actor.company_id,
            UserIn(email="viewer@acme.cn", display_name="v", password=PASSWORD, role="viewer"),
            b.clock(),
        )
    source = tmp_path / "photo.gif"
    source.write_bytes(b"GIF89a\x01\x00")
    args = ["rating", "document", "add", str(source), "--customer", "C1", "--kind", "other"]
    base = ["--company", "ACME", "--database-url", _url(db)]
    refused = runner.invoke(cli, [*args, *base])
    assert refused.exit_code == 1
    assert "the content is image/gif" in refused.output
    source.write_bytes(PDF)
    viewer = runner.invoke(cli, [*args, "--user", "viewer@acme.cn", *base])
    assert viewer.exit_code == 1
    assert "role 'viewer' may not customers:write" in viewer.output
    assert _counts(db) == (0, 0, 0)


# --- the migration, up and down, on both engines ---


@pytest.fixture
def fresh(database: Database, tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test, for migrating up and down."""
    with empty_database(database, tmp_path, "docs") as url:
        yield url


def test_migration_0008_up_and_down(fresh: str) -> None:
    database = Database(fresh)
    try:
        upgrade(database.engine)
        actor = b.company(database)
        customer = b.customer(database, actor, code="C1")
        with database.write() as session:
            service.add_document(
                session,
                actor,
                customer,
                DocumentIn(kind="other", file_name="old.pdf", sha256=PDF_SHA, size_bytes=9),
                b.clock(),
            )
            service.upload_document(
                session,
                actor,
                customer,
                documents.Upload(kind="licence", file_name="new.pdf", content=PDF),
                b.clock(),
                max_bytes=1 << 20,
            )
        downgrade(database, "0007")
        inspector = inspect(database.engine)
        assert "document_contents" not in inspector.get_table_names()
        columns = {c["name"] for c in inspector.get_columns("credit_documents")}
        assert {"content_type", "content_id"} & columns == set()
        upgrade(database.engine)
        with database.read() as session:
            rows = service.list_documents(session, actor, customer)
        # Down and up again: the metadata stays, the stored file went with its table.
        assert [(r.file_name, r.stored, r.content_type) for r in rows] == [
            ("new.pdf", False, None),
            ("old.pdf", False, None),
        ]
        with database.write() as session:
            again = service.upload_document(
                session,
                actor,
                customer,
                documents.Upload(kind="licence", file_name="new.pdf", content=PDF),
                b.clock(),
                max_bytes=1 << 20,
            )
        assert (again.id, again.stored) == (3, True)
    finally:
        database.dispose()
