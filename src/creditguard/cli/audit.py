"""`creditguard audit verify|log`: the audit log's hash chain, checked; its entries, read.

``verify`` exits 0 when every company's chain is intact and 1 when any break is found. It
prints each company's entry count and last hash: keep them as an anchor and pass them back
(``--expect-count``, ``--expect-hash``) to catch entries removed from the end of the log.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from creditguard.cli.common import DatabaseUrl, JsonFlag, LangOption, echo_json, opened, out
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.errors import invalid
from creditguard.core.permissions import Actor
from creditguard.identity import service as identity
from creditguard.limits import service
from creditguard.limits.schemas import VerificationOut

audit_app = typer.Typer(help="The audit log: verify its hash chain, read it.", no_args_is_help=True)
CompanyOption = Annotated[
    str | None, typer.Option("--company", help="Company (tenant) code; default: every company.")
]
CLI_AUDITOR = "cli"


def _print(code: str, result: VerificationOut, *, zh: bool) -> None:
    console = out()
    state = (
        ("完好" if result.intact else "已损坏") if zh else ("intact" if result.intact else "BROKEN")
    )
    head = (
        f"{code}：已校验 {result.entries} 条，{state}；最后哈希 {result.last_hash}"
        if zh
        else f"{code}: {result.entries} entries checked, {state}; last hash {result.last_hash}"
    )
    console.print(Text(head))
    for b in result.breaks:
        message = b.message["zh-CN" if zh else "en"]
        console.print(Text(f"  seq {b.seq} [{b.code}] {message}"))
        console.print(Text(f"    expected {b.expected}\n    found    {b.found}"))


@audit_app.command("verify")
def verify(
    *,
    company: CompanyOption = None,
    expect_hash: Annotated[
        str | None, typer.Option("--expect-hash", help="The anchor's hash (from a verify).")
    ] = None,
    expect_count: Annotated[
        int | None,
        typer.Option("--expect-count", min=1, help="The anchor's entry count (from a verify)."),
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Walk each company's chain; exit 0 when intact, 1 on any break (each one printed)."""
    if (expect_hash or expect_count) and company is None:
        raise invalid(
            "company", None, "invalid",
            reason="an anchor belongs to one company: name it with --company",
            reason_zh="锚点属于某一家公司：请用 --company 指明",
        )  # fmt: skip
    results: list[tuple[str, VerificationOut]] = []
    with opened(database_url) as db, db.read() as session:
        for row in identity.list_companies(session):
            if company is not None and row.code != company:
                continue
            auditor = Actor(row.id, CLI_AUDITOR, "admin")
            found = service.verify(
                session, auditor, expect_count=expect_count, expect_hash=expect_hash
            )
            results.append((row.code, found))
        if company is not None and not results:
            identity.company_by_code(session, company)  # raises: no such company
    if as_json:
        echo_json({code: r.model_dump(mode="json") for code, r in results})
    else:
        for code, result in results:
            _print(code, result, zh=lang.startswith("zh"))
    if not all(r.intact for _, r in results):
        raise typer.Exit(1)


@audit_app.command("log")
def log(
    *,
    company: Annotated[str, typer.Option("--company", help="Company (tenant) code.")],
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only this subject, e.g. customer:42.")
    ] = None,
    after_seq: Annotated[int, typer.Option("--after-seq", min=0, help="After this entry.")] = 0,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many.")
    ] = 100,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Entries in order: seq, instant, actor, action, subject and the facts recorded."""
    with opened(database_url) as db, db.read() as session:
        owner = identity.company_by_code(session, company)
        auditor = Actor(owner.id, CLI_AUDITOR, "admin")
        rows = service.log(session, auditor, subject=subject, after_seq=after_seq, limit=limit)
    if as_json:
        echo_json([r.model_dump(mode="json") for r in rows])
        return
    console = out()
    for r in rows:
        body = json.dumps(r.body, ensure_ascii=False, sort_keys=True)
        console.print(
            Text(f"{r.seq:>6} {r.at.isoformat()} {r.actor} {r.action} {r.subject} {body}")
        )
