"""Reading the audit log (审计日志) and verifying its hash chain, against a kept anchor too.

The chain shows any entry changed, removed or reordered; it cannot show its own last entries
removed. For that an operator keeps an anchor — the entry count and last hash printed by a
verify — and passes it back (``expect_count``, ``expect_hash``): fewer entries than the anchor,
or another hash at the anchor's entry, is a break.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.core.permissions import Actor, require
from creditguard.limits.schemas import AuditEntryOut, BreakOut, VerificationOut

_TEXTS = {
    "gap": (
        "entry {seq}: expected sequence number {expected}, found {found} (an entry is missing)",
        "第 {seq} 条：应为序号 {expected}，实为 {found}（有条目缺失）",
    ),
    "prev_hash": (
        "entry {seq}: it follows a hash that is not the previous entry's",
        "第 {seq} 条：其前序哈希与上一条不符",
    ),
    "hash": (
        "entry {seq}: its content no longer matches its hash",
        "第 {seq} 条：内容与其哈希不符",
    ),
    "count": (
        "the log holds {found} entries, fewer than the {expected} of the anchor "
        "(entries removed from the end)",
        "日志只有 {found} 条，少于锚点记录的 {expected} 条（末尾条目被删除）",
    ),
    "anchor": (
        "entry {seq}: its hash differs from the anchor's",
        "第 {seq} 条：哈希与锚点不符",
    ),
}


def _break(seq: int, code: str, expected: str, found: str) -> BreakOut:
    en, zh = _TEXTS[code]
    values = {"seq": seq, "expected": expected, "found": found}
    return BreakOut(
        seq=seq,
        code=code,
        expected=expected,
        found=found,
        message={"en": en.format(**values), "zh-CN": zh.format(**values)},
    )


def verify(
    session: Session,
    actor: Actor,
    *,
    expect_count: int | None = None,
    expect_hash: str | None = None,
) -> VerificationOut:
    """Walk the company's chain; with an anchor, also catch entries removed from its end."""
    require(actor, "audit:read")
    found = audit.verify(session, actor.company_id)
    breaks = [_break(b.seq, b.code, b.expected, b.found) for b in found.breaks]
    if expect_count is not None and found.entries < expect_count:
        breaks.append(_break(found.entries + 1, "count", str(expect_count), str(found.entries)))
    if expect_hash is not None:
        seq = found.entries if expect_count is None else expect_count
        held = audit.hash_at(session, actor.company_id, seq)
        if held is not None and held != expect_hash.lower():
            breaks.append(_break(seq, "anchor", expect_hash.lower(), held))
    return VerificationOut(
        company_id=actor.company_id,
        entries=found.entries,
        last_hash=found.last_hash,
        intact=not breaks,
        breaks=breaks,
    )


def log(
    session: Session,
    actor: Actor,
    *,
    subject: str | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[AuditEntryOut]:
    """Entries in order after ``after_seq``, of one subject (``customer:42``) if given."""
    require(actor, "audit:read")
    rows = audit.page(session, actor.company_id, subject=subject, after_seq=after_seq, limit=limit)
    return [
        AuditEntryOut(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            action=r.action,
            subject=r.subject,
            body=json.loads(r.body),
            hash=r.hash,
        )
        for r in rows
    ]
