"""One customer's aging, answered before routing: the read an ERP or a collector's screen makes
for every customer it opens.

``GET /api/v1/reports/aging?customer_id=N`` is a FastAPI route (its documentation, its errors,
its other forms: CSV, XLSX, the whole portfolio), and on a 10M-invoice database its own work
is two indexed statements and a few sums, about as long as FastAPI's per-request machinery
around it (trying the routes in order, solving the dependencies, a hop through AnyIO's thread
pool). This middleware answers the plain case itself, with the route's own pieces:

1. the query is read strictly — only the route's parameters, each once, in the forms the route
   accepts without question (a positive customer id in digits, a date as YYYY-MM-DD, a known
   grouping and basis, JSON) — and the bucket edges by the route's :func:`parse_buckets`;
2. the credential through the app's credential cache (:func:`actor_of`, as the route's
   dependency) and the role's permission for ``ledger:read``;
3. the route's unit of work (:func:`creditguard.api.routes.reports.aging_report`) runs on a
   small executor of its own, and the answer is the route's (``AgingReport.json_body``).

Anything else goes to FastAPI untouched: another path or method, the portfolio (no
``customer_id``), CSV or XLSX, a parameter repeated, unknown or in another form, a missing or
refused credential, a role without the permission, and any error the report raises (an unknown
customer, another company's): the route then answers exactly what it always answers. Reading
writes nothing, so a second try costs time only. ``CREDITGUARD_AGING_FAST_PATH=false`` turns
the path off.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, get_args
from urllib.parse import parse_qsl

from starlette.responses import Response

from creditguard.api.deps import actor_of, credential_of
from creditguard.api.fastpath import Receive, Scope, Send, ThreadedPath, headers_of
from creditguard.api.routes import reports
from creditguard.core.aging import Buckets, parse_buckets
from creditguard.core.errors import DomainError
from creditguard.core.permissions import Actor

PATH = "/api/v1/reports/aging"
OPERATION = "ledger:read"
PARAMETERS = frozenset({"customer_id", "as_of", "by", "basis", "buckets", "format"})
GROUPINGS = frozenset(get_args(reports.Grouping))
DIGITS = re.compile(r"[1-9][0-9]{0,17}")  # a positive id, as FastAPI reads it, within BIGINT
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asked:
    """A plain request for one customer's aging, read as the route reads it."""

    customer_id: int
    as_of: date | None
    by: str
    buckets: Buckets


def plain_query(query: bytes) -> Asked | None:
    """The request when its query is plain, None when the route must read it."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= PARAMETERS:
        return None  # a parameter repeated or unknown
    customer = given.get("customer_id")
    if customer is None or DIGITS.fullmatch(customer) is None:
        return None
    if given.get("format", "json") != "json":
        return None
    by = given.get("by", "customer")
    basis = given.get("basis", "due")
    if by not in GROUPINGS or basis not in ("due", "invoice"):
        return None
    as_of = given.get("as_of")
    try:
        day = None if as_of is None else _iso_date(as_of)
        edges = parse_buckets(given.get("buckets"), basis)
    except (DomainError, ValueError):
        return None
    return Asked(int(customer), day, by, edges)


def _iso_date(text: str) -> date:
    if ISO_DATE.fullmatch(text) is None:
        raise ValueError(text)
    return date.fromisoformat(text)


class CustomerAgingPath(ThreadedPath):
    """ASGI middleware: one customer's plain aging answered here, everything else by ``app``."""

    name = "aging"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PATH:
            answer = await self._answer(scope)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        """The route's answer to a plain request, or None when the route must answer."""
        asked = plain_query(scope["query_string"])
        if asked is None:
            return None
        headers = headers_of(scope)
        state = scope["app"].state
        try:
            credential = credential_of(headers.get("authorization"), headers.get("x-api-key"))
            actor = await actor_of(state, credential)
        except DomainError:
            return None
        except Exception:  # the credential's look-up failed (the database): the route reports it
            log.warning(
                "credential look-up failed on the fast path; the route answers", exc_info=True
            )
            return None
        if not actor.may(OPERATION):
            return None
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(self.executor, _report, state, actor, asked)
        return None if body is None else Response(body, media_type="application/json")


def _report(state: Any, actor: Actor, asked: Asked) -> bytes | None:
    """The route's unit of work and its JSON; None when it raised: the route answers."""
    try:
        report = reports.aging_report(
            state.db,
            state.clock,
            actor,
            asked.as_of,
            by=asked.by,
            buckets=asked.buckets,
            customer_id=asked.customer_id,
        )
        return report.json_body()
    except DomainError:
        return None
    except Exception:  # a database error: the route's try reports it properly
        log.warning("aging fast path failed; the route answers", exc_info=True)
        return None
