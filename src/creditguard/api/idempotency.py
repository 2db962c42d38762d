"""Run a POST under its Idempotency-Key: claim, do the work and store the response in one commit."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from creditguard.api.deps import Context
from creditguard.clock import Clock
from creditguard.config import Settings
from creditguard.core.errors import DomainError
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.service import Claim, IdempotentRequest, Replay


def run_post(
    ctx: Context,
    path: str,
    body: BaseModel,
    work: Callable[[Session], BaseModel],
    status_code: int = 201,
) -> JSONResponse:
    """Do ``work`` in one unit of work; with an Idempotency-Key, replay the first response.

    Same key with another body -> 422; same key still running -> 409. A request that fails
    releases its key (nothing was written), so that a corrected retry can run.
    """
    if ctx.idempotency_key is None:
        with ctx.db.write() as session:
            result = work(session)
        return JSONResponse(result.model_dump(mode="json"), status_code=status_code)
    outcome = _claim(ctx, path, body)
    if isinstance(outcome, Replay):
        return replay(outcome)
    try:
        with ctx.db.write() as session:
            result = work(session)
            payload = result.model_dump(mode="json")
            text = result.model_dump_json()
            identity.finish(session, outcome, status_code=status_code, body=text, clock=ctx.clock)
    except BaseException:
        identity.release(ctx.db.engine, outcome)
        raise
    return JSONResponse(payload, status_code=status_code)


def replay(outcome: Replay) -> JSONResponse:
    """The stored response of a request already done under its key."""
    return JSONResponse(
        content=json.loads(outcome.body),
        status_code=outcome.status_code,
        headers={"Idempotent-Replayed": "true"},
    )


def _claim(ctx: Context, path: str, body: BaseModel) -> Claim | Replay:
    assert ctx.idempotency_key is not None
    return claim(ctx.db, ctx.clock, ctx.settings, Keyed(ctx.actor, ctx.idempotency_key, path, body))


@dataclass(frozen=True, slots=True)
class Keyed:
    """A POST under an Idempotency-Key: by whom, the key, the path (below /api/v1), the body."""

    actor: Actor
    key: str
    path: str
    body: BaseModel


def claim(db: Database, clock: Clock, settings: Settings, keyed: Keyed) -> Claim | Replay:
    """Claim the key for this request (a transaction of its own): run it, or replay the first
    response; the same key with another body, or still running, raises (422, 409)."""
    stale = timedelta(seconds=settings.idempotency_stale_seconds)
    return identity.claim(db.engine, request_of(keyed), clock, stale)


def claim_many(
    db: Database, clock: Clock, settings: Settings, keyed: Sequence[Keyed]
) -> list[Claim | Replay | DomainError]:
    """:func:`claim` of each request, the new keys in one transaction; where :func:`claim`
    would raise, the error."""
    stale = timedelta(seconds=settings.idempotency_stale_seconds)
    return identity.claim_many(db.engine, [request_of(one) for one in keyed], clock, stale)


def request_of(keyed: Keyed) -> IdempotentRequest:
    """The request under its key, as it is claimed: by whom, the key, its fingerprint."""
    body = keyed.body.model_dump_json().encode()
    return IdempotentRequest(
        actor=keyed.actor,
        key=keyed.key,
        method="POST",
        path=keyed.path,
        fingerprint=identity.request_fingerprint("POST", keyed.path, body),
    )


def run_batch(
    ctx: Context, path: str, body: BaseModel, work: Callable[[], tuple[int, BaseModel]]
) -> JSONResponse:
    """Like :func:`run_post` for work that owns its transaction (a batch import).

    The work is itself idempotent (a re-run reports "unchanged"), so its response is stored
    just after it commits; a crash in between leaves a key that a retry can take over.
    """
    outcome = None if ctx.idempotency_key is None else _claim(ctx, path, body)
    if isinstance(outcome, Replay):
        return replay(outcome)
    try:
        status_code, result = work()
    except BaseException:
        if outcome is not None:
            identity.release(ctx.db.engine, outcome)
        raise
    if outcome is not None and status_code < 400:
        with ctx.db.write() as session:
            text = result.model_dump_json()
            identity.finish(session, outcome, status_code=status_code, body=text, clock=ctx.clock)
    elif outcome is not None:
        identity.release(ctx.db.engine, outcome)
    return JSONResponse(result.model_dump(mode="json"), status_code=status_code)
