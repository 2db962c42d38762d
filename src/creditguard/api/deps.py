"""Request-scoped dependencies: the database, the clock, the authenticated actor."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from creditguard.clock import Clock
from creditguard.config import Settings
from creditguard.core.errors import Forbidden, NotAuthenticated
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity

MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds: a larger one is refused (422)


@dataclass(frozen=True, slots=True)
class Context:
    db: Database
    clock: Clock
    settings: Settings
    actor: Actor
    idempotency_key: str | None


def app_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def app_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def credential_of(authorization: str | None, api_key: str | None) -> str:
    if api_key:
        return api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    raise NotAuthenticated.of("Authorization", None, "not_authenticated")


class CredentialCache:
    """Credentials checked recently, so that a busy client costs one look-up per interval.

    An entry lives ``ttl`` seconds at most and never past the token's own expiry; a revoked
    key or a deactivated user is therefore refused at the latest ``ttl`` seconds later
    (CREDITGUARD_AUTH_CACHE_SECONDS, 0 turns the cache off). Bounded in size.
    """

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[bytes, tuple[datetime, Actor]] = OrderedDict()

    def get(self, key: bytes, now: datetime) -> Actor | None:
        item = self._items.get(key)
        if item is None or item[0] <= now:
            self._items.pop(key, None)
            return None
        return item[1]

    def put(self, key: bytes, actor: Actor, now: datetime, valid_until: datetime | None) -> None:
        if self.ttl <= 0:
            return
        until = now + timedelta(seconds=self.ttl)
        self._items[key] = (until if valid_until is None else min(until, valid_until), actor)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


async def _actor(request: Request, credential: str) -> Actor:
    return await actor_of(request.app.state, credential)


async def actor_of(state: Any, credential: str) -> Actor:
    """The actor a credential stands for: from the app's credential cache, or looked up (in a
    worker thread) and remembered. ``state`` is the application's ``app.state``."""
    cache: CredentialCache = state.credentials
    clock: Clock = state.clock
    key = identity.digest(credential)
    now = clock.now()
    cached = cache.get(key, now)
    if cached is not None:
        return cached
    db: Database = state.db

    def look_up() -> tuple[Actor, datetime | None]:
        with db.lookup() as session:
            return identity.authenticate_until(session, credential, clock)

    actor, valid_until = await run_in_threadpool(look_up)
    cache.put(key, actor, now, valid_until)
    return actor


def require(operation: str) -> Callable[..., Awaitable[Context]]:
    """A dependency that authenticates the caller and checks ``operation`` in the policy table."""

    async def dependency(
        request: Request,
        authorization: Annotated[
            str | None, Header(description="Bearer <token or API key>")
        ] = None,
        x_api_key: Annotated[str | None, Header(description="API key for ERP clients")] = None,
        idempotency_key: Annotated[
            str | None,
            Header(
                max_length=255,
                description="Makes a POST safe to retry: the first response is replayed.",
            ),
        ] = None,
    ) -> Context:
        db = app_db(request)
        clock = app_clock(request)
        actor = await _actor(request, credential_of(authorization, x_api_key))
        if not actor.may(operation):
            raise Forbidden.of(
                "role", actor.role, "forbidden", role=actor.role, operation=operation
            )
        return Context(db, clock, request.app.state.settings, actor, idempotency_key)

    dependency.__name__ = f"require_{operation.replace(':', '_')}"
    return dependency


def ctx(operation: str) -> object:
    return Depends(require(operation))
