"""Every query about companies, users, tokens, API keys and idempotency records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import ARRAY, BigInteger, Text, bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from creditguard.models import ApiKey, AuthToken, Company, IdempotencyRecord, User


def get_company(session: Session, company_id: int) -> Company | None:
    return session.get(Company, company_id)


def get_company_by_code(session: Session, code: str) -> Company | None:
    return session.scalar(select(Company).where(Company.code == code))


def list_companies(session: Session) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.id)))


def get_user(session: Session, company_id: int, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.company_id == company_id, User.id == user_id))


def get_user_by_email(session: Session, company_id: int, email: str) -> User | None:
    return session.scalar(select(User).where(User.company_id == company_id, User.email == email))


def list_users(session: Session, company_id: int) -> list[User]:
    return list(
        session.scalars(select(User).where(User.company_id == company_id).order_by(User.id))
    )


def get_token(session: Session, token_hash: bytes) -> tuple[AuthToken, User] | None:
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def get_api_key(session: Session, key_hash: bytes) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


def list_api_keys(session: Session, company_id: int) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.id))
    )


def get_idempotency(
    session: Session, company_id: int, principal: str, key: str
) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.company_id == company_id,
            IdempotencyRecord.principal == principal,
            IdempotencyRecord.key == key,
        )
    )


def finish_idempotency(
    session: Session, record_id: int, lease: int, *, status_code: int, body: str, at: datetime
) -> bool:
    """Store the response, only if our lease still holds the record."""
    result = session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id, IdempotencyRecord.lease == lease)
        .values(state="done", status_code=status_code, response_body=body, finished_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_idempotency_many(
    session: Session, done: Sequence[tuple[int, int, str]], *, status_code: int, at: datetime
) -> set[int]:
    """:func:`finish_idempotency` of each (record, lease, body) with one status code; the
    records whose lease still held (their responses stored). PostgreSQL: one statement."""
    if session.get_bind().dialect.name != "postgresql":
        return {
            record_id
            for record_id, lease, body in done
            if finish_idempotency(
                session, record_id, lease, status_code=status_code, body=body, at=at
            )
        }
    params = {
        "ids": [record_id for record_id, _, _ in done],
        "leases": [lease for _, lease, _ in done],
        "bodies": [body for _, _, body in done],
        "status_code": status_code,
        "at": at,
    }
    return {int(row[0]) for row in session.execute(_finish_many(), params)}


@cache
def _finish_many() -> ReturningUpdate[int]:
    given = (
        func.unnest(
            bindparam("ids", type_=ARRAY(BigInteger)),
            bindparam("leases", type_=ARRAY(BigInteger)),
            bindparam("bodies", type_=ARRAY(Text)),
        )
        .table_valued("id", "lease", "body")
        .render_derived("given")
    )
    return (
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == given.c.id, IdempotencyRecord.lease == given.c.lease)
        .values(
            state="done",
            status_code=bindparam("status_code"),
            response_body=given.c.body,
            finished_at=bindparam("at", type_=IdempotencyRecord.__table__.c.finished_at.type),
        )
        .returning(IdempotencyRecord.id)
    )


def release_idempotency(session: Session, record_id: int, lease: int) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id,
            IdempotencyRecord.lease == lease,
            IdempotencyRecord.state == "in_flight",
        )
    )


def take_over_idempotency(
    session: Session, record_id: int, old_lease: int, new_lease: int, at: datetime
) -> bool:
    result = session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == record_id,
            IdempotencyRecord.lease == old_lease,
            IdempotencyRecord.state == "in_flight",
        )
        .values(lease=new_lease, created_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
