"""The order credit check's fast path: the hottest call an ERP makes, answered in few steps.

``POST /api/v1/credit-checks`` is declared as a FastAPI route (its documentation, its errors),
but a plain, successful check does not need FastAPI's per-request machinery: routing through
every router, solving the dependencies, a hop through AnyIO's thread pool. This middleware
answers such a request itself:

1. the body is read and validated with the route's own model (:class:`CheckIn`, the same
   Python-mode validation FastAPI applies to the parsed JSON);
2. the credential is checked through the app's credential cache (:func:`actor_of`, as the
   route's dependency does) and the role's permission for ``credit:check``;
3. the unit of work (:func:`creditguard.credit.service.run_check`) runs on a small executor of
   its own (``CREDITGUARD_CHECK_THREADS`` threads per process): few threads, little contention
   for the interpreter, and every one of them keeps its pooled connection busy;
4. the answer is rendered as the route renders it (``JSONResponse`` of the model's JSON dump).

Whatever is not that plain case goes to FastAPI untouched, with the body replayed: another
path or method, an ``Idempotency-Key`` (stored replies live in the route), a body that is not
JSON or does not validate, a missing or refused credential, a role without the permission, and
any error the check itself raises (its unit of work rolled back, so nothing was written): the
route then answers exactly what it always answers, problem documents included. An error
therefore costs a second try; a check that succeeds costs the path below and nothing else.
``CREDITGUARD_CHECK_FAST_PATH=false`` turns the path off (every check through the route).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse

from creditguard.api.deps import actor_of, credential_of
from creditguard.core.errors import DomainError
from creditguard.core.permissions import Actor
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, CheckOut
from creditguard.db import Database

PATH = "/api/v1/credit-checks"
OPERATION = "credit:check"
MAX_BODY = 64 * 1024  # a check is ~150 bytes; a larger body is left to the route

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)


class ThreadedPath:
    """An ASGI middleware in front of ``app`` with a small executor of its own for the units
    of work it answers (``threads`` threads, named ``name``)."""

    name = "fast-path"

    def __init__(self, app: ASGIApp, threads: int = 4) -> None:
        self.app = app
        self.threads = threads
        self._executor: ThreadPoolExecutor | None = None

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:  # threads start on first use, not for every app built
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
        return self._executor


class CreditCheckPath(ThreadedPath):
    """ASGI middleware: plain credit checks answered here, everything else by ``app``."""

    name = "credit-check"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        headers = headers_of(scope)
        if "idempotency-key" in headers or not _is_json(headers.get("content-type", "")):
            await self.app(scope, receive, send)
            return
        body, complete = await _read(receive)
        plain = complete and len(body) <= MAX_BODY
        answer = await self._answer(scope, headers, body) if plain else None
        if answer is None:
            await self.app(scope, _replay(body, receive, complete=complete), send)
            return
        await answer(scope, receive, send)

    async def _answer(
        self, scope: Scope, headers: dict[str, str], body: bytes
    ) -> JSONResponse | None:
        """The route's answer to a plain check, or None when the route must answer."""
        state = scope["app"].state
        try:
            credential = credential_of(headers.get("authorization"), headers.get("x-api-key"))
            data = CheckIn.model_validate(json.loads(body))
            actor = await actor_of(state, credential)
        except (DomainError, ValidationError, ValueError):
            return None
        if not actor.may(OPERATION):
            return None
        locale = "zh-CN" if headers.get("accept-language", "").lower().startswith("zh") else "en"
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(self.executor, _check, state, actor, data, locale)
        return None if out is None else JSONResponse(out.model_dump(mode="json"))


def _check(state: Any, actor: Actor, data: CheckIn, locale: str) -> CheckOut | None:
    """The route's unit of work; None (nothing written) when it raised: the route answers."""
    db: Database = state.db
    try:
        with db.write() as session:
            return service.run_check(session, actor, data, state.clock, locale)
    except DomainError:
        return None
    except Exception:  # a database error: rolled back; the route's try reports it properly
        log.warning("credit check fast path failed; the route answers", exc_info=True)
        return None


def headers_of(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope["headers"]:  # the first of a repeated header, as Starlette's get
        found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def _is_json(content_type: str) -> bool:
    kind = content_type.partition(";")[0].strip().lower()
    return kind == "application/json"


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether it is whole (False: larger than MAX_BODY, or the client
    went away): a body not whole is replayed to the route as far as it was read."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive, *, complete: bool) -> Receive:
    """``receive`` for the route: what was read first, then the rest from the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replayed
