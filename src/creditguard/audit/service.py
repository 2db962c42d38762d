"""Write to the audit log and verify its hash chain.

Each entry's ``hash`` is the SHA-256 of its canonical content (company, seq, instant, actor,
action, subject, body) joined to the previous entry's hash; the first entry of a company follows
:data:`GENESIS`. Changing, removing or reordering any entry breaks every hash after it, and
:func:`verify` names the first entry where the chain no longer holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from creditguard.audit import repository as repo
from creditguard.db.bulk import insert_rows
from creditguard.models import AuditEntry

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to the audit log")


def canonical(body: Mapping[str, Any]) -> str:
    """The body as canonical JSON: sorted keys, no spaces, Decimals and dates as strings."""
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), default=_plain, ensure_ascii=False
    )


_HASHED = ("company_id", "seq", "at", "actor", "action", "subject", "body")


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry: of its content, following its ``prev_hash``."""
    return _hash({name: getattr(entry, name) for name in (*_HASHED, "prev_hash")})


def _hash(row: Mapping[str, Any]) -> str:
    """The hash of a row's content (``_HASHED``, the instant in UTC) after its ``prev_hash``."""
    content = canonical(
        {**{k: row[k] for k in _HASHED}, "at": row["at"].astimezone(UTC).isoformat()}
    )
    return hashlib.sha256(f"{row['prev_hash']}\n{content}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Event:
    """What happened (``limit.set``), to what (``customer:42``), with which facts."""

    action: str
    subject: str
    body: Mapping[str, Any]


def record(session: Session, company_id: int, actor: str, event: Event, at: datetime) -> AuditEntry:
    """Append one entry in the caller's transaction (it lands or vanishes with the change)."""
    repo.lock_chain(session, company_id)
    last = repo.last_entry(session, company_id)
    seq, prev_hash = (1, GENESIS) if last is None else (last[0] + 1, last[1])
    entry = AuditEntry(
        company_id=company_id,
        seq=seq,
        at=at,
        actor=actor,
        action=event.action,
        subject=event.subject,
        body=canonical(event.body),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session, company_id: int, actor: str, events: Sequence[Event], at: datetime
) -> int:
    """Append many entries at once (a nightly job): one lock, one read of the chain's end, one
    bulk insert. They chain exactly as :func:`record` called once per event would chain them."""
    if not events:
        return 0
    repo.lock_chain(session, company_id)
    last = repo.last_entry(session, company_id)
    seq, prev_hash = (0, GENESIS) if last is None else last
    rows: list[dict[str, Any]] = []
    # The content _hash hashes, written out: canonical JSON of the seven fields in sorted key
    # order (action, actor, at, body, company_id, seq, subject), each string quoted by the
    # very encoder json.dumps uses with ensure_ascii=False; the same bytes, a fraction of the
    # work (the chain it writes passes verify: tests/limits, bench/limit_review.py).
    quoted_actor, quoted_at = encode_basestring(actor), encode_basestring(_utc(at))
    sha256 = hashlib.sha256
    for event in events:
        seq += 1
        body = canonical(event.body)
        content = (
            f'{{"action":{encode_basestring(event.action)},"actor":{quoted_actor},'
            f'"at":{quoted_at},"body":{encode_basestring(body)},"company_id":{company_id:d},'
            f'"seq":{seq:d},"subject":{encode_basestring(event.subject)}}}'
        )
        row = {"company_id": company_id, "seq": seq, "at": at, "actor": actor,
               "action": event.action, "subject": event.subject, "body": body,
               "prev_hash": prev_hash}  # fmt: skip
        prev_hash = row["hash"] = sha256(f"{prev_hash}\n{content}".encode()).hexdigest()
        rows.append(row)
    insert_rows(session, cast(Table, AuditEntry.__table__), rows)
    return len(rows)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain fails: ``seq`` and why (``gap``, ``prev_hash``, ``hash``)."""

    seq: int
    code: str
    expected: str
    found: str


@dataclass(frozen=True, slots=True)
class Verification:
    company_id: int
    entries: int
    last_hash: str
    breaks: tuple[Break, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(session: Session, company_id: int, limit: int = 20) -> Verification:
    """Walk the company's chain from the start; report up to ``limit`` breaks, in order."""
    breaks: list[Break] = []
    prev_hash, expected_seq, seen = GENESIS, 1, 0
    for entry in repo.entries(session, company_id):
        seen += 1
        if entry.seq != expected_seq:
            breaks.append(Break(entry.seq, "gap", str(expected_seq), str(entry.seq)))
        if entry.prev_hash != prev_hash:
            breaks.append(Break(entry.seq, "prev_hash", prev_hash, entry.prev_hash))
        computed = entry_hash(entry)
        if computed != entry.hash:
            breaks.append(Break(entry.seq, "hash", computed, entry.hash))
        prev_hash, expected_seq = entry.hash, entry.seq + 1
        if len(breaks) >= limit:
            break
    return Verification(company_id, seen, prev_hash, tuple(breaks[:limit]))


# --- reading ---


def of_subject(
    session: Session, company_id: int, subject: str, action: str, limit: int = 200
) -> list[AuditEntry]:
    """``subject``'s entries of one ``action`` (``limit.set``), newest first, at most ``limit``."""
    return repo.of_subject(session, company_id, subject, action, limit)


def page(
    session: Session, company_id: int, *, subject: str | None, after_seq: int, limit: int
) -> list[AuditEntry]:
    """Entries after ``after_seq`` in order (of one subject if given), at most ``limit``."""
    return repo.page(session, company_id, subject=subject, after_seq=after_seq, limit=limit)


def hash_at(session: Session, company_id: int, seq: int) -> str | None:
    """The hash of entry ``seq``, or None if there is no such entry."""
    return repo.hash_at(session, company_id, seq)
