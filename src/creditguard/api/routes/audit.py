"""The audit log (审计日志): read it, and verify its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.problems import ERRORS
from creditguard.limits import service
from creditguard.limits.schemas import AuditEntryOut, VerificationOut

router = APIRouter(tags=["audit"], responses=ERRORS)
Auditor = Annotated[Context, Depends(require("audit:read"))]


@router.get(
    "/audit",
    response_model=list[AuditEntryOut],
    summary="Audit log",
    description="Entries in sequence order after after_seq (of one subject, e.g. customer:42, "
    "if given): who did what, when, with which facts, and each entry's hash.",
)
def entries(
    ctx: Auditor,
    subject: Annotated[
        str | None, Query(max_length=64, description="Only this subject, e.g. customer:42.")
    ] = None,
    after_seq: Annotated[int, Query(ge=0, le=MAX_ID, description="Entries after this number.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> list[AuditEntryOut]:
    with ctx.db.read() as session:
        return service.log(session, ctx.actor, subject=subject, after_seq=after_seq, limit=limit)


@router.get(
    "/audit/verify",
    response_model=VerificationOut,
    summary="Verify the audit chain",
    description="Walks the company's chain from the first entry and names every break (seq, "
    "code, expected, found). Entries removed from the end can only be caught against a kept "
    "anchor: pass expect_count and expect_hash as printed by an earlier verify.",
)
def verify(
    ctx: Auditor,
    expect_count: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Entries the log held at the anchor.")
    ] = None,
    expect_hash: Annotated[
        str | None,
        Query(pattern="^[0-9a-fA-F]{64}$", description="The hash of the anchor's entry."),
    ] = None,
) -> VerificationOut:
    with ctx.db.read() as session:
        return service.verify(
            session, ctx.actor, expect_count=expect_count, expect_hash=expect_hash
        )
