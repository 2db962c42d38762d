"""The FastAPI application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from creditguard import __version__
from creditguard.analytics import snapshot as snapshots
from creditguard.api import errors, problems
from creditguard.api.agingpath import CustomerAgingPath
from creditguard.api.deps import CredentialCache
from creditguard.api.fastpath import CreditCheckPath
from creditguard.api.routes import (
    adjustments,
    alerts,
    audit,
    auth,
    changes,
    credit,
    customers,
    imports,
    ledger,
    limits,
    models,
    rating,
    reference,
    reports,
)
from creditguard.clock import Clock, SystemClock
from creditguard.config import Settings, get_settings
from creditguard.db import Database

DESCRIPTION = """
creditguard protects companies that sell on credit from bad debt (坏账).

Authenticate with `Authorization: Bearer <token>` (from `POST /api/v1/auth/token`) or with an
API key (`X-API-Key` or `Bearer`). Every POST accepts an `Idempotency-Key` header: a retry with
the same key and body replays the first response; the same key with another body is refused
(422); a key still being processed answers 409. Amounts are decimal strings in the currency's
units. Errors are `application/problem+json` naming the field, the value and the reason, in
English or Chinese (`Accept-Language: zh-CN`).
"""


class App(FastAPI):
    """FastAPI, with room for fast paths in front of its whole middleware stack.

    FastAPI puts middleware of its own before any the app adds (its error page, its exception
    telemetry, its body limit): every request passes them first. A fast path
    (:mod:`creditguard.api.fastpath`, :mod:`creditguard.api.agingpath`) answers only requests
    it can answer whole, catches its own errors and hands everything else on untouched, body
    replayed: it goes in front of them all, the first listed outermost."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fast_paths: list[Middleware] = []

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        for cls, args, kwargs in reversed(self.fast_paths):
            stack = cls(stack, *args, **kwargs)
        return stack


def create_app(
    database: Database | None = None, clock: Clock | None = None, settings: Settings | None = None
) -> App:
    settings = settings or get_settings()
    app = App(
        title="creditguard",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url)
    snapshots.keep_on_disk(Path(settings.snapshot_dir) if settings.snapshot_dir else None)
    app.state.clock = clock or SystemClock()
    app.state.credentials = CredentialCache(settings.auth_cache_seconds)
    errors.install(app)
    if settings.check_fast_path:  # plain checks answered before routing (api.fastpath)
        app.fast_paths.append(
            Middleware(CreditCheckPath, threads=settings.check_threads, batch=settings.check_batch)
        )
    if settings.aging_fast_path:  # one customer's aging, likewise (api.agingpath)
        app.fast_paths.append(Middleware(CustomerAgingPath, threads=settings.check_threads))
    # Routes are tried in order: the order credit check, the hottest call an ERP makes, first
    # (no two routers' paths overlap, so the order changes nothing else).
    app.include_router(credit.router, prefix="/api/v1")
    for module in (auth, customers, ledger, adjustments, imports, changes, reference, reports):
        app.include_router(module.router, prefix="/api/v1")
    for module in (rating, models, limits, alerts, audit):
        app.include_router(module.router, prefix="/api/v1")

    @app.get(
        "/healthz",
        tags=["operations"],
        summary="Liveness",
        description='Answers {"status": "ok"} while the process serves requests; '
        "needs no credentials and does not touch the database.",
    )
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.problem_json_only(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
