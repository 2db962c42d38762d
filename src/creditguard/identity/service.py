"""Companies, users, logins, API keys and idempotency: load -> decide -> persist (never commit)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    Problem,
    invalid,
    not_found,
)
from creditguard.core.money import check_currency
from creditguard.core.permissions import Actor
from creditguard.db import direct
from creditguard.identity import repository as repo
from creditguard.identity.schemas import ApiKeyIn, CompanyIn, UserIn
from creditguard.models import ApiKey, AuthToken, Company, IdempotencyRecord, User

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that timing does not tell which e-mails exist.
_DUMMY_HASH = _hasher.hash("creditguard-timing-equaliser")


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def create_company(session: Session, data: CompanyIn, clock: Clock) -> Company:
    check_currency(data.base_currency, "base_currency")
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(
            "timezone",
            data.timezone,
            "invalid",
            reason="unknown IANA time zone",
            reason_zh="未知的 IANA 时区",
        ) from None
    if repo.get_company_by_code(session, data.code) is not None:
        raise Conflict([Problem("code", data.code, "duplicate", {"kind": "company"})])
    company = Company(**data.model_dump(), created_at=clock.now())
    session.add(company)
    session.flush()
    return company


def add_user(session: Session, company_id: int, data: UserIn, clock: Clock) -> User:
    email = data.email.lower()
    if repo.get_user_by_email(session, company_id, email) is not None:
        raise Conflict([Problem("email", email, "duplicate", {"kind": "user"})])
    user = User(
        company_id=company_id,
        email=email,
        display_name=data.display_name,
        password_hash=_hasher.hash(data.password),
        role=data.role,
        is_active=True,
        failed_logins=0,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


@dataclass(frozen=True, slots=True)
class LoginRefused:
    """A refused login. Returned, not raised, so that the failure counter is committed."""

    code: str  # not_authenticated | account_locked

    def error(self) -> NotAuthenticated:
        return NotAuthenticated.of("credentials", None, self.code)


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    ttl: timedelta
    max_failures: int
    lockout: timedelta


def login(
    session: Session,
    *,
    company_code: str,
    email: str,
    password: str,
    clock: Clock,
    policy: LoginPolicy,
) -> IssuedToken | LoginRefused:
    """Check a password; after ``max_failures`` wrong ones the account is locked for a while."""
    now = clock.now()
    company = repo.get_company_by_code(session, company_code)
    user = None if company is None else repo.get_user_by_email(session, company.id, email.lower())
    if user is None or not user.is_active:
        _verify(_DUMMY_HASH, password)
        return LoginRefused("not_authenticated")
    if user.locked_until is not None and user.locked_until > now:
        return LoginRefused("account_locked")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + policy.lockout
            user.failed_logins = 0
        session.flush()
        return LoginRefused("not_authenticated")
    user.failed_logins = 0
    user.locked_until = None
    token = "cgt_" + secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            company_id=user.company_id,
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + policy.ttl,
        )
    )
    session.flush()
    return IssuedToken(token=token, expires_at=now + policy.ttl, user=user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, credential: str, clock: Clock) -> Actor:
    """Turn a bearer token or an API key into an :class:`Actor`, or refuse."""
    return authenticate_until(session, credential, clock)[0]


def authenticate_until(
    session: Session, credential: str, clock: Clock
) -> tuple[Actor, datetime | None]:
    """Like :func:`authenticate`, and say until when the credential stays valid (None: no end)."""
    hashed = digest(credential)
    if credential.startswith("cgk_"):
        key = repo.get_api_key(session, hashed)
        if key is None or key.revoked_at is not None:
            raise NotAuthenticated.of("credentials", None, "not_authenticated")
        return Actor(key.company_id, f"key:{key.id}", key.role), None
    found = repo.get_token(session, hashed)
    if found is None:
        raise NotAuthenticated.of("credentials", None, "not_authenticated")
    token, user = found
    if token.revoked_at is not None or token.expires_at <= clock.now() or not user.is_active:
        raise NotAuthenticated.of("credentials", None, "not_authenticated")
    return Actor(user.company_id, f"user:{user.id}", user.role), token.expires_at


def create_api_key(
    session: Session, company_id: int, data: ApiKeyIn, clock: Clock
) -> tuple[ApiKey, str]:
    secret = "cgk_" + secrets.token_urlsafe(32)
    if any(k.name == data.name for k in repo.list_api_keys(session, company_id)):
        raise Conflict([Problem("name", data.name, "duplicate", {"kind": "api key"})])
    key = ApiKey(
        company_id=company_id,
        name=data.name,
        prefix=secret[:12],
        key_hash=digest(secret),
        role=data.role,
        created_at=clock.now(),
    )
    session.add(key)
    session.flush()
    return key, secret


def require_company(session: Session, company_id: int) -> Company:
    company = repo.get_company(session, company_id)
    if company is None:
        raise not_found("company", company_id)
    return company


def company_by_code(session: Session, code: str) -> Company:
    company = repo.get_company_by_code(session, code)
    if company is None:
        raise not_found("company", code, "company")
    return company


# --- Idempotency-Key (Stripe / IETF draft): the first successful response is replayed. ---


@dataclass(frozen=True, slots=True)
class Claim:
    record_id: int
    lease: int


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: str


def request_fingerprint(method: str, path: str, body: bytes) -> bytes:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).digest()


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    actor: Actor
    key: str
    method: str
    path: str
    fingerprint: bytes


def claim(
    engine: Engine, request: IdempotentRequest, clock: Clock, stale: timedelta
) -> Claim | Replay:
    """Claim ``key`` in a transaction of its own; tell whether to run, replay or refuse."""
    lease = secrets.randbits(62)
    now = clock.now()
    try:
        with Session(engine) as session, session.begin():
            record_id = session.execute(
                insert(IdempotencyRecord)
                .values(_claim_row(request, lease, now))
                .returning(IdempotencyRecord.id)
            ).scalar_one()
        return Claim(record_id, lease)
    except IntegrityError:
        pass
    return _claim_existing(engine, request, lease, now, stale)


def _claim_row(request: IdempotentRequest, lease: int, now: datetime) -> dict[str, Any]:
    """The record that claims ``request``'s key: in flight, under ``lease``."""
    return {
        "company_id": request.actor.company_id,
        "principal": request.actor.principal,
        "key": request.key,
        "request_hash": request.fingerprint,
        "method": request.method,
        "path": request.path,
        "state": "in_flight",
        "created_at": now,
        "lease": lease,
    }


def _claim_existing(
    engine: Engine, request: IdempotentRequest, lease: int, now: datetime, stale: timedelta
) -> Claim | Replay:
    """The key is claimed already: replay its response, take it over (stale), or refuse."""
    actor = request.actor
    with Session(engine) as session, session.begin():
        record = repo.get_idempotency(session, actor.company_id, actor.principal, request.key)
        if record is None:  # released between our insert and this read: the caller may retry
            raise Conflict.of("Idempotency-Key", request.key, "idempotency_in_flight")
        return _existing(session, record, request, lease, now - stale, now)


def claim_many(
    engine: Engine, requests: Sequence[IdempotentRequest], clock: Clock, stale: timedelta
) -> list[Claim | Replay | DomainError]:
    """:func:`claim` of each request, the new keys in one transaction (one INSERT ... ON
    CONFLICT DO NOTHING for them all); a key already there (or twice among these) is then
    claimed as :func:`claim` claims a key it finds taken: replay, take over (stale), or the
    error it raises (422, 409)."""
    now = clock.now()
    leases = [secrets.randbits(62) for _ in requests]
    rows = [_claim_row(r, lease, now) for r, lease in zip(requests, leases, strict=True)]
    made: dict[tuple[int, str, str], tuple[int, int]] = {}
    if rows:  # PostgreSQL: BEGIN, the INSERT and COMMIT in one round trip
        with Session(engine) as session, session.begin():
            claimed = repo.claim_idempotency_many(session, rows, commit=True)
        for record_id, company_id, principal, key, lease in claimed:
            made[(company_id, principal, key)] = (record_id, lease)
    outcomes: list[Claim | Replay | DomainError] = []
    for request, lease in zip(requests, leases, strict=True):
        found = made.get((request.actor.company_id, request.actor.principal, request.key))
        if found is not None and found[1] == lease:  # this request's own row
            outcomes.append(Claim(found[0], lease))
            continue
        try:  # the key was there already: no second insert
            outcomes.append(_claim_existing(engine, request, lease, now, stale))
        except DomainError as error:
            outcomes.append(error)
    return outcomes


@dataclass(slots=True)
class UnitClaims:
    """Keys claimed inside a unit of work (:func:`claim_in`)."""

    requests: Sequence[IdempotentRequest | None]
    leases: Sequence[int]
    made: Callable[[], list[repo.Claimed] | None]
    found: list[Claim | None] | None = field(default=None, init=False)  # once sent

    def claims(self) -> list[Claim | None] | None:
        """Each request's claim, where the unit's transaction inserted its record (None: no
        request there, or its key there already); None when the claims were not sent yet."""
        if self.found is not None:
            return self.found
        made = self.made()
        if made is None:
            return None
        mine = {(c, p, k, lease): record_id for record_id, c, p, k, lease in made}
        found: list[Claim | None] = []
        for request, lease in zip(self.requests, self.leases, strict=True):
            record_id = None
            if request is not None:
                actor = request.actor
                record_id = mine.get((actor.company_id, actor.principal, request.key, lease))
            found.append(None if record_id is None else Claim(record_id, lease))
        self.found = found
        return found


def claim_in(
    session: Session, requests: Sequence[IdempotentRequest | None], clock: Clock
) -> UnitClaims:
    """Claim the keys of these requests (None: a request without one) in ``session``'s unit of
    work, with its first round trip (PostgreSQL): each key not there yet is this unit's, and
    commits with it, in flight until its response is stored (:func:`finish_step`). A key that
    another transaction is claiming waits for it to end. A key already there is not claimed
    here: the caller claims it afterwards with :func:`claim_many` (replay, 422, 409, take
    over), as it would alone. Call before the session's first statement."""
    now = clock.now()
    leases = [secrets.randbits(62) for _ in requests]
    rows = [
        _claim_row(request, lease, now)
        for request, lease in zip(requests, leases, strict=True)
        if request is not None
    ]
    return UnitClaims(requests, leases, repo.claim_idempotency_ahead(session, rows))


def _existing(
    session: Session,
    record: IdempotencyRecord,
    request: IdempotentRequest,
    lease: int,
    stale_before: datetime,
    now: datetime,
) -> Claim | Replay:
    if record.request_hash != request.fingerprint:
        raise invalid("Idempotency-Key", request.key, "idempotency_mismatch")
    if record.state == "done" and record.status_code is not None:
        return Replay(record.status_code, record.response_body or "")
    if record.created_at < stale_before and repo.take_over_idempotency(
        session, record.id, record.lease, lease, now
    ):
        return Claim(record.id, lease)
    raise Conflict.of("Idempotency-Key", request.key, "idempotency_in_flight")


def finish(session: Session, claim_: Claim, *, status_code: int, body: str, clock: Clock) -> None:
    """Record the response in the same transaction as the work it describes."""
    if not repo.finish_idempotency(
        session, claim_.record_id, claim_.lease, status_code=status_code, body=body, at=clock.now()
    ):
        raise Conflict.of("Idempotency-Key", claim_.record_id, "idempotency_in_flight")


def finish_many(
    session: Session, done: Sequence[tuple[Claim, str]], *, status_code: int, clock: Clock
) -> None:
    """:func:`finish` of each (claim, response body), with one status code: a claim whose
    lease no longer holds raises, as :func:`finish` does. Each record by its primary key
    (SQLite's fast path; on PostgreSQL the fast path sends :func:`finish_step` with its
    rows)."""
    for claim_, body in done:
        finish(session, claim_, status_code=status_code, body=body, clock=clock)


def finish_step(
    done: Sequence[tuple[IdempotentRequest, Claim, str]], *, status_code: int, clock: Clock
) -> direct.Step:
    """The responses (each its request, the claim :func:`claim_in` made of it in this unit of
    work, and the body) as a statement to send with the unit's last statements, before its
    COMMIT (PostgreSQL): it fails unless every lease still holds, and the COMMIT then does
    not run (the caller's round trip raises). Each record is found by its key's unique index
    (see :func:`repo.finish_idempotency_step`)."""
    now = clock.now()
    return repo.finish_idempotency_step(
        [(_claim_row(request, claim_.lease, now), body) for request, claim_, body in done],
        status_code=status_code,
        at=now,
    )


def release(engine: Engine, claim_: Claim) -> None:
    """Forget a claim whose request failed, so that a retry runs it again."""
    with Session(engine) as session, session.begin():
        repo.release_idempotency(session, claim_.record_id, claim_.lease)


def list_users(session: Session, company_id: int) -> list[User]:
    return repo.list_users(session, company_id)


def get_user(session: Session, company_id: int, user_id: int) -> User | None:
    return repo.get_user(session, company_id, user_id)


def list_api_keys(session: Session, company_id: int) -> list[ApiKey]:
    return repo.list_api_keys(session, company_id)


def list_companies(session: Session) -> list[Company]:
    return repo.list_companies(session)
