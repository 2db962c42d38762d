"""Logins, the current user, users and API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from creditguard.api import presenters
from creditguard.api.deps import MAX_ID, Context, app_clock, app_db, require
from creditguard.api.idempotency import run_post
from creditguard.api.problems import LOGIN_REFUSED, problem_response, problem_responses
from creditguard.core.errors import not_found
from creditguard.identity import service as identity
from creditguard.identity.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    CompanyOut,
    LoginIn,
    TokenOut,
    UserIn,
    UserOut,
)

router = APIRouter(tags=["auth & users"], responses=problem_responses(401, 422))
# Every route but the login also answers 403, 404 and 409.
ERRORS = problem_responses(403, 404, 409)
UserId = Annotated[int, Path(gt=0, le=MAX_ID, description="User id.")]


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Log in: password -> bearer token",
    description="Exchanges the company code, e-mail and password for a bearer token; repeated "
    "failures lock the account for a while.",
    responses={
        401: problem_response(
            401,
            "Login refused: unknown company or e-mail, wrong password, or the account is locked "
            "after too many failures ('account_locked').",
            LOGIN_REFUSED,
        )
    },
)
def login(body: LoginIn, request: Request) -> TokenOut:
    settings = request.app.state.settings
    policy = identity.LoginPolicy(
        ttl=timedelta(hours=settings.token_ttl_hours),
        max_failures=settings.max_failed_logins,
        lockout=timedelta(minutes=settings.lockout_minutes),
    )
    with app_db(request).write() as session:
        outcome = identity.login(
            session,
            company_code=body.company,
            email=body.email,
            password=body.password,
            clock=app_clock(request),
            policy=policy,
        )
        if isinstance(outcome, identity.IssuedToken):
            return TokenOut(
                access_token=outcome.token, expires_at=outcome.expires_at, role=outcome.user.role
            )
    # Refused: the failure counter above has been committed; now say no.
    raise outcome.error()


@router.get(
    "/company",
    response_model=CompanyOut,
    summary="The caller's company",
    description="The company (tenant) the credentials belong to: base currency, time zone, "
    "language and business calendar.",
    responses=ERRORS,
)
def company(ctx: Annotated[Context, Depends(require("customers:read"))]) -> CompanyOut:
    with ctx.db.read() as session:
        found = identity.require_company(session, ctx.actor.company_id)
        return CompanyOut.model_validate(found, from_attributes=True)


@router.get(
    "/users",
    response_model=list[UserOut],
    summary="Users of the company",
    description="All users of the caller's company, active or not (admins only).",
    responses=ERRORS,
)
def list_users(ctx: Annotated[Context, Depends(require("users:manage"))]) -> list[UserOut]:
    with ctx.db.read() as session:
        return [presenters.user(u) for u in identity.list_users(session, ctx.actor.company_id)]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=201,
    summary="Add a user",
    description="Adds a user with a role to the caller's company (admins only); the e-mail must "
    "be new in the company.",
    responses=ERRORS,
)
def add_user(
    body: UserIn, ctx: Annotated[Context, Depends(require("users:manage"))]
) -> JSONResponse:
    return run_post(
        ctx,
        "/users",
        body,
        lambda s: presenters.user(identity.add_user(s, ctx.actor.company_id, body, ctx.clock)),
    )


@router.get(
    "/users/{user_id}",
    response_model=UserOut,
    summary="One user",
    description="One user of the caller's company (admins only).",
    responses=ERRORS,
)
def get_user(user_id: UserId, ctx: Annotated[Context, Depends(require("users:manage"))]) -> UserOut:
    with ctx.db.read() as session:
        found = identity.get_user(session, ctx.actor.company_id, user_id)
        if found is None:
            raise not_found("user", user_id)
        return presenters.user(found)


@router.post(
    "/api-keys",
    response_model=ApiKeyOut,
    status_code=201,
    summary="Issue an API key (ERP clients)",
    description="Issues an API key acting with a role (admins only); the secret `key` is in this "
    "response only.",
    responses=ERRORS,
)
def add_api_key(
    body: ApiKeyIn, ctx: Annotated[Context, Depends(require("api_keys:manage"))]
) -> JSONResponse:
    def work(session: Session) -> ApiKeyOut:
        key, secret = identity.create_api_key(session, ctx.actor.company_id, body, ctx.clock)
        out = ApiKeyOut.model_validate(key, from_attributes=True)
        return out.model_copy(update={"key": secret})

    return run_post(ctx, "/api-keys", body, work)


@router.get(
    "/api-keys",
    response_model=list[ApiKeyOut],
    summary="API keys (secrets never shown again)",
    description="The company's API keys with their prefixes and roles (admins only).",
    responses=ERRORS,
)
def list_api_keys(ctx: Annotated[Context, Depends(require("api_keys:manage"))]) -> list[ApiKeyOut]:
    with ctx.db.read() as session:
        return [
            ApiKeyOut.model_validate(k, from_attributes=True)
            for k in identity.list_api_keys(session, ctx.actor.company_id)
        ]
