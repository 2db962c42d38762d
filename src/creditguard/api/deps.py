"""Request-scoped dependencies: the database, the clock, the authenticated actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from creditguard.clock import Clock
from creditguard.config import Settings
from creditguard.core.errors import Forbidden, NotAuthenticated
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity


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


def _credential(authorization: str | None, api_key: str | None) -> str:
    if api_key:
        return api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    raise NotAuthenticated.of("Authorization", None, "not_authenticated")


def require(operation: str) -> Callable[..., Context]:
    """A dependency that authenticates the caller and checks ``operation`` in the policy table."""

    def dependency(
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
        with db.read() as session:
            actor = identity.authenticate(session, _credential(authorization, x_api_key), clock)
        if not actor.may(operation):
            raise Forbidden.of(
                "role", actor.role, "forbidden", role=actor.role, operation=operation
            )
        return Context(db, clock, request.app.state.settings, actor, idempotency_key)

    dependency.__name__ = f"require_{operation.replace(':', '_')}"
    return dependency


def ctx(operation: str) -> object:
    return Depends(require(operation))
