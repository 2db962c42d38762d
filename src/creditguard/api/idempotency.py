"""Run a POST under its Idempotency-Key: claim, do the work and store the response in one commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from creditguard.api.deps import Context
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
    request = IdempotentRequest(
        actor=ctx.actor,
        key=ctx.idempotency_key,
        method="POST",
        path=path,
        fingerprint=identity.request_fingerprint("POST", path, body.model_dump_json().encode()),
    )
    stale = timedelta(seconds=ctx.settings.idempotency_stale_seconds)
    outcome = identity.claim(ctx.db.engine, request, ctx.clock, stale)
    if isinstance(outcome, Replay):
        return _replay(outcome)
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


def _replay(outcome: Replay) -> JSONResponse:
    return JSONResponse(
        content=json.loads(outcome.body),
        status_code=outcome.status_code,
        headers={"Idempotent-Replayed": "true"},
    )


def _claim(ctx: Context, path: str, body: BaseModel) -> Claim | Replay:
    assert ctx.idempotency_key is not None
    request = IdempotentRequest(
        actor=ctx.actor,
        key=ctx.idempotency_key,
        method="POST",
        path=path,
        fingerprint=identity.request_fingerprint("POST", path, body.model_dump_json().encode()),
    )
    stale = timedelta(seconds=ctx.settings.idempotency_stale_seconds)
    return identity.claim(ctx.db.engine, request, ctx.clock, stale)


def run_batch(
    ctx: Context, path: str, body: BaseModel, work: Callable[[], tuple[int, BaseModel]]
) -> JSONResponse:
    """Like :func:`run_post` for work that owns its transaction (a batch import).

    The work is itself idempotent (a re-run reports "unchanged"), so its response is stored
    just after it commits; a crash in between leaves a key that a retry can take over.
    """
    outcome = None if ctx.idempotency_key is None else _claim(ctx, path, body)
    if isinstance(outcome, Replay):
        return _replay(outcome)
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
