"""Every query of the audit log."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditguard.models import AuditEntry, Company


def lock_chain(session: Session, company_id: int) -> None:
    """Hold the company's row until commit, so that one writer at a time extends its chain.

    SQLite serialises writers anyway; ``FOR UPDATE`` is left out there.
    """
    session.execute(select(Company.id).where(Company.id == company_id).with_for_update())


def last_entry(session: Session, company_id: int) -> tuple[int, str] | None:
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.company_id == company_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def entries(session: Session, company_id: int, batch: int = 5_000) -> Iterator[AuditEntry]:
    """The company's entries in ``seq`` order, read in batches (a long log never sits in memory)."""
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.company_id == company_id, AuditEntry.seq > after)
            .order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def companies_with_entries(session: Session) -> list[int]:
    return list(session.scalars(select(AuditEntry.company_id).distinct().order_by("company_id")))


def count(session: Session, company_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.company_id == company_id)
        )
        or 0
    )


def of_subject(
    session: Session, company_id: int, subject: str, action: str, limit: int
) -> list[AuditEntry]:
    """The subject's entries of one action, newest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.company_id == company_id,
                AuditEntry.subject == subject,
                AuditEntry.action == action,
            )
            .order_by(AuditEntry.seq.desc())
            .limit(limit)
        )
    )


def page(
    session: Session, company_id: int, *, subject: str | None, after_seq: int, limit: int
) -> list[AuditEntry]:
    """Entries after ``after_seq`` in order (of one subject if given), at most ``limit``."""
    stmt = select(AuditEntry).where(AuditEntry.company_id == company_id, AuditEntry.seq > after_seq)
    if subject is not None:
        stmt = stmt.where(AuditEntry.subject == subject)
    return list(session.scalars(stmt.order_by(AuditEntry.seq).limit(limit)))


def hash_at(session: Session, company_id: int, seq: int) -> str | None:
    return session.scalar(
        select(AuditEntry.hash).where(AuditEntry.company_id == company_id, AuditEntry.seq == seq)
    )
