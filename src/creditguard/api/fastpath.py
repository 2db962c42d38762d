"""The order credit check's fast path: the hottest call an ERP makes, answered in few steps.

``POST /api/v1/credit-checks`` is declared as a FastAPI route (its documentation, its errors),
but a plain, successful check does not need FastAPI's per-request machinery: routing through
every router, solving the dependencies, a hop through AnyIO's thread pool. This middleware
answers such a request itself:

1. the body is read and validated with the route's own model (:class:`CheckIn`, the same
   Python-mode validation FastAPI applies to the parsed JSON);
2. the credential is checked through the app's credential cache (:func:`actor_of`, as the
   route's dependency does) and the role's permission for ``credit:check``;
3. the check waits in a queue; up to ``CREDITGUARD_CHECK_THREADS`` drains (2) on a small
   executor of the process's own each take what waits, up to ``CREDITGUARD_CHECK_BATCH``
   checks (32), and decide them in one unit of work
   (:func:`creditguard.credit.service.run_checks`: on PostgreSQL two round trips for them
   all, BEGIN with the locks, the facts and the exposures, then the rows with the COMMIT;
   with keyed checks too, their keys claimed in the first, their responses stored in the
   second, with the rows and the COMMIT); what that leaves
   (another transaction holds the customer, a second check of one group, a repeated order, an
   error) is decided alone
   (:func:`creditguard.credit.service.run_check`) once the unit has committed. A check that
   arrives alone is a unit of work of one;
4. a check sent with an ``Idempotency-Key`` joins a unit of work like any other, which claims
   its key with its first round trip (:func:`creditguard.identity.service.claim_in`) and
   stores its response under the key with its COMMIT. A key the unit does not claim (there
   already) is claimed afterwards as the route's :func:`creditguard.api.idempotency.run_post`
   claims it (a transaction of its own): a key already done is answered with its stored
   response (``Idempotent-Replayed: true``); otherwise the check is decided alone. A check
   not written releases its claim before the route's try;
5. the answer is rendered as the route renders it (``JSONResponse`` of the model's JSON dump).

Whatever is not that plain case goes to FastAPI untouched, with the body replayed: another
path or method, an ``Idempotency-Key`` the route would refuse (too long, used with another
body, still running) or whose claim fails, a body that is not JSON or does not validate, a
missing or refused credential (or its look-up failing), a role without the permission, and any
error the check itself raises (its unit of work rolled back, so nothing was written): the
route then answers exactly what it always answers, problem documents included. An error
therefore costs a second try; a check that succeeds costs the path below and nothing else.
The path sits in front of FastAPI's own middleware (``api.app.App``).
``CREDITGUARD_CHECK_FAST_PATH=false`` turns the path off (every check through the route).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from creditguard.api import idempotency
from creditguard.api.deps import actor_of, credential_of
from creditguard.core.errors import DomainError
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, CheckOut
from creditguard.credit.service import Asked
from creditguard.db import Database
from creditguard.db.direct import Step
from creditguard.identity import service as identity
from creditguard.identity.service import Claim, IdempotentRequest, Replay

PATH = "/api/v1/credit-checks"
ROUTE_PATH = "/credit-checks"  # as the route names itself to run_post (the key's fingerprint)
MAX_KEY = 255  # an Idempotency-Key's longest (the route's header parameter)
OPERATION = "credit:check"
MAX_BODY = 64 * 1024  # a check is ~150 bytes; a larger body is left to the route

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

Answer = CheckOut | Replay | None  # a check's answer, a stored one, or None: the route answers


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
    """ASGI middleware: plain credit checks answered here, everything else by ``app``.

    Checks are gathered: a request puts its check in a queue, and up to ``threads`` drains
    (on the executor) each take what waits, up to ``batch`` checks, and decide them in one
    unit of work (:func:`creditguard.credit.service.run_checks`): two round trips and one
    COMMIT for them all. Alone, a check is a unit of work of one; under load, the round trips
    and commits a check costs are shared by those waiting with it.
    """

    name = "credit-check"

    def __init__(self, app: ASGIApp, threads: int = 4, batch: int = 32) -> None:
        super().__init__(app, threads)
        self.batch = batch
        self._lock = threading.Lock()
        self._waiting: deque[Waiting] = deque()
        self._drains = 0  # drains running or submitted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        headers = headers_of(scope)
        key = headers.get("idempotency-key")
        too_long = key is not None and len(key) > MAX_KEY  # the route's 422
        if too_long or not _is_json(headers.get("content-type", "")):
            await self.app(scope, receive, send)
            return
        body, complete = await _read(receive)
        plain = complete and len(body) <= MAX_BODY
        answer = await self._answer(scope, headers, body, key) if plain else None
        if answer is None:
            await self.app(scope, _replay(body, receive, complete=complete), send)
            return
        await answer(scope, receive, send)

    async def _answer(
        self, scope: Scope, headers: dict[str, str], body: bytes, key: str | None
    ) -> JSONResponse | None:
        """The route's answer to a plain check, or None when the route must answer."""
        state = scope["app"].state
        try:
            credential = credential_of(headers.get("authorization"), headers.get("x-api-key"))
            data = CheckIn.model_validate(json.loads(body))
            actor = await actor_of(state, credential)
        except (DomainError, ValidationError, ValueError):
            return None
        except Exception:  # the credential's look-up failed (the database): the route reports it
            log.warning(
                "credential look-up failed on the fast path; the route answers", exc_info=True
            )
            return None
        if not actor.may(OPERATION):
            return None
        locale = "zh-CN" if headers.get("accept-language", "").lower().startswith("zh") else "en"
        out = await self._gathered(state, Asked(actor, data, locale), key)
        if isinstance(out, Replay):
            return idempotency.replay(out)
        return None if out is None else JSONResponse(out.model_dump(mode="json"))

    def _gathered(self, state: Any, asked: Asked, key: str | None) -> asyncio.Future[Answer]:
        """The check's answer, from the next unit of work a drain runs (see :class:`Waiting`)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        start = False
        with self._lock:
            self._waiting.append(Waiting(state, asked, key, loop, future))
            if self._drains < self.threads:
                self._drains += 1
                start = True
        if start:
            self.executor.submit(self._drain)
        return future

    def _drain(self) -> None:
        """Run what waits, in units of work of up to ``batch`` checks, until nothing does."""
        while True:
            with self._lock:
                if not self._waiting:
                    self._drains -= 1
                    return
                taken = [
                    self._waiting.popleft() for _ in range(min(self.batch, len(self._waiting)))
                ]
            try:
                answers = _checks(taken)
            except BaseException:  # never leave a request waiting
                answers = [None] * len(taken)
                log.exception("credit check fast path failed; the route answers")
            _settle(taken, answers)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A check waiting for a unit of work, and where its answer goes."""

    state: Any  # the app's state: its database, clock and settings
    asked: Asked
    key: str | None  # the request's Idempotency-Key
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Answer]


def _checks(taken: Sequence[Waiting]) -> list[Answer]:
    """Answers for ``taken``: together in one unit of work per app (``run_checks``), then
    alone (``run_check``) each that it left, after it committed. None: the route answers.

    A check with an Idempotency-Key claims its key in the unit of work, with its first round
    trip (``identity.claim_in``), and is decided there only if it did; its response is stored
    with the unit's COMMIT. A key the unit did not claim (there already, or twice among these)
    is claimed afterwards as the route claims it (a transaction of its own): a key already
    done answers its stored response; a key refused (another body, still running) or a claim
    that fails goes to the route, which answers the same."""
    answers: list[Answer] = [None] * len(taken)
    apps: dict[int, list[int]] = {}
    for index, one in enumerate(taken):
        apps.setdefault(id(one.state), []).append(index)
    for indices in apps.values():
        state = taken[indices[0]].state
        asked = [(taken[i].asked, _request(taken[i])) for i in indices]
        outs, claims = _together(state, asked)
        unclaimed: list[int] = []
        for index, (check, request), out, claim in zip(indices, asked, outs, claims, strict=True):
            if out is not None:
                answers[index] = out
            elif request is None or claim is not None:
                answers[index] = _check(state, check, claim)
            else:
                unclaimed.append(index)
        for index, outcome in zip(unclaimed, _claims([taken[i] for i in unclaimed]), strict=True):
            if isinstance(outcome, Claim):
                answers[index] = _check(state, taken[index].asked, outcome)
            else:  # a replay, or None: the route answers
                answers[index] = outcome
    return answers


def _request(one: Waiting) -> IdempotentRequest | None:
    """The check's request under its Idempotency-Key, as the route claims it (None: no key)."""
    if one.key is None:
        return None
    return idempotency.request_of(
        idempotency.Keyed(one.asked.actor, one.key, ROUTE_PATH, one.asked.data)
    )


def _claims(keyed: Sequence[Waiting]) -> list[Claim | Replay | None]:
    """The keys of these checks (one app's) claimed, in one transaction: each to run, its
    stored response (a replay), or None: the route answers (the key refused, or the claim
    failed)."""
    if not keyed:
        return []
    state = keyed[0].state
    asked = [
        idempotency.Keyed(one.asked.actor, str(one.key), ROUTE_PATH, one.asked.data)
        for one in keyed
    ]
    try:
        outcomes = idempotency.claim_many(state.db, state.clock, state.settings, asked)
    except Exception:
        log.warning("idempotency claims failed on the fast path; the route answers", exc_info=True)
        return [None] * len(keyed)
    return [None if isinstance(outcome, DomainError) else outcome for outcome in outcomes]


def _together(
    state: Any, asked: list[tuple[Asked, IdempotentRequest | None]]
) -> tuple[list[CheckOut | None], list[Claim | None]]:
    """One unit of work for these checks, the keys of those with one claimed in it first; the
    answers (None: left), and the claims the unit committed (of keyed checks decided, their
    responses stored with them, and of those it left, still to run). All None (nothing
    written, nothing claimed) when it failed. Its last statement commits it: the rows', with
    keys the responses' after them (committed only if every key's lease still holds). On
    PostgreSQL the responses go in the rows' round trip (the checks' ids drawn with the lock);
    on SQLite after them."""
    db: Database = state.db
    nothing: list[Any] = [None] * len(asked)
    requests = [request for _, request in asked]
    try:
        with db.write() as session:
            unit = identity.claim_in(session, requests, state.clock) if any(requests) else None

            def claims() -> list[Claim | None]:  # sent with the unit's first round trip
                found = unit.claims() if unit is not None else None
                return nothing if found is None else found

            def admit(index: int) -> bool:  # a keyed check only under a key claimed here
                return requests[index] is None or claims()[index] is not None

            def answered(outs: list[tuple[int, CheckOut]]) -> list[Step]:
                done = [
                    (request, claim, body)
                    for index, claim, body in _responses(outs, claims())
                    if (request := requests[index]) is not None
                ]
                if not done:
                    return []
                return [identity.finish_step(done, status_code=200, clock=state.clock)]

            checks = [one for one, _ in asked]
            if unit is None or db.dialect == "postgresql":
                outs = service.run_checks(
                    session,
                    checks,
                    state.clock,
                    commit=True,
                    admit=admit,
                    answered=answered if unit is not None else None,
                )
                return outs, claims()
            outs = service.run_checks(session, checks, state.clock, admit=admit)
            done = [(claim, body) for _, claim, body in _responses(_answered(outs), claims())]
            if done:  # SQLite: the responses under their keys after the rows
                identity.finish_many(session, done, status_code=200, clock=state.clock)
            return outs, claims()
    except Exception:  # a database error: rolled back; each is checked alone
        log.warning("credit checks together failed; each is checked alone", exc_info=True)
        return nothing, nothing


def _answered(outs: Sequence[CheckOut | None]) -> list[tuple[int, CheckOut]]:
    """The checks answered: (index, answer)."""
    return [(index, out) for index, out in enumerate(outs) if out is not None]


def _responses(
    outs: Sequence[tuple[int, CheckOut]], claims: Sequence[Claim | None]
) -> list[tuple[int, Claim, str]]:
    """The response body of each check answered (index, answer) under its claimed key."""
    found: list[tuple[int, Claim, str]] = []
    for index, out in outs:
        claim = claims[index]
        if claim is not None:
            found.append((index, claim, out.model_dump_json()))
    return found


def _check(state: Any, asked: Asked, claim: Claim | None) -> CheckOut | None:
    """The route's unit of work; None (nothing written, the key released) when it raised:
    the route answers."""
    db: Database = state.db
    try:
        with db.write() as session:
            out = service.run_check(session, asked.actor, asked.data, state.clock, asked.locale)
            if claim is not None:
                _store(session, state, claim, out)
            return out
    except DomainError:
        _release(state, claim)
        return None
    except Exception:  # a database error: rolled back; the route's try reports it properly
        log.warning("credit check fast path failed; the route answers", exc_info=True)
        _release(state, claim)
        return None


def _store(session: Session, state: Any, claim: Claim, out: CheckOut) -> None:
    """The check's response under its key, in the unit of work that wrote the check (as the
    route's ``run_post`` stores it)."""
    body = out.model_dump_json()
    identity.finish(session, claim, status_code=200, body=body, clock=state.clock)


def _release(state: Any, claim: Claim | None) -> None:
    """Forget the claim of a check not written, so that the route's try can claim the key."""
    if claim is None:
        return
    try:
        identity.release(state.db.engine, claim)
    except Exception:  # the key stays claimed until stale; the route then answers 409
        log.warning("idempotency release failed on the fast path", exc_info=True)


def _settle(taken: Sequence[Waiting], answers: Sequence[Answer]) -> None:
    """Hand each answer to its request's event loop: one wake-up per loop."""
    loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for one, out in zip(taken, answers, strict=True):
        loops.setdefault(one.loop, []).append((one.future, out))
    for loop, settled in loops.items():
        with suppress(RuntimeError):  # a loop already closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(settled: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, out in settled:
        if not future.done():  # a request cancelled meanwhile (client gone)
            future.set_result(out)


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
