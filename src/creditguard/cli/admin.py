"""Setting up: schema and exchange rates, companies, users, API keys, and serving the API."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table

from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    JsonFlag,
    LangOption,
    Tenant,
    checked,
    echo_json,
    opened,
    out,
    run_server,
    say,
    tell,
    tenant,
)
from creditguard.clock import SystemClock
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.errors import NotFound
from creditguard.db.engine import Database
from creditguard.db.migrate import upgrade
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn, CompanyIn, CompanyOut, Role, UserIn
from creditguard.reference import service as reference

company_app = typer.Typer(help="Companies (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Users who log in to the API and the dashboard.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for ERP connectors.", no_args_is_help=True)

BaseCurrency = Annotated[str, typer.Option("--base-currency", help="ISO 4217 currency of totals.")]
Country = Annotated[str, typer.Option("--country", help="ISO 3166 country: business calendar.")]
TimeZone = Annotated[str, typer.Option("--timezone", help="IANA time zone of business dates.")]
Locale = Literal["zh-CN", "en"]


def prepare(db: Database, lang: str) -> int:
    """Migrate the schema (idempotent) and add the ECB rates not yet stored; return how many."""
    with out().status(say("migrating", lang)):
        upgrade(db.engine)
    tell("migrated", lang)
    with out().status(say("seeding", lang)), db.write() as session:
        added = reference.seed_ecb_rates(session)
    tell("rates_added", lang, count=added)
    return added


def ensure_company(db: Database, data: CompanyIn, lang: str) -> Tenant:
    """Create the company unless it exists; either way, return it."""
    with db.write() as session:
        try:
            found = tenant(session, data.code)
        except NotFound:
            company = identity.create_company(session, data, SystemClock())
            tell("company_added", lang, code=company.code, id=company.id)
            return tenant(session, company.code)
    tell("company_exists", lang, code=data.code)
    return found


def init(  # noqa: PLR0913 - the company's fields are the interface
    *,
    company: Annotated[
        str | None, typer.Option("--company", help="Also create this company if absent.")
    ] = None,
    company_name: Annotated[
        str | None, typer.Option("--company-name", help="Its legal name (default: the code).")
    ] = None,
    base_currency: BaseCurrency = "CNY",
    country: Country = "CN",
    timezone: TimeZone = "Asia/Shanghai",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Create or upgrade the schema, load the ECB exchange rates, optionally add a company."""
    data = None
    if company is not None:  # checked before anything is written
        data = checked(
            CompanyIn,
            code=company,
            name=company_name or company,
            base_currency=base_currency,
            country=country,
            timezone=timezone,
        )
    with opened(database_url, must_exist=False) as db:
        prepare(db, lang)
        if data is not None:
            ensure_company(db, data, lang)


@company_app.command("add")
def company_add(  # noqa: PLR0913 - the company's fields are the interface
    *,
    code: Annotated[str, typer.Argument(help="Short unique code, e.g. ACME.")],
    name: Annotated[str, typer.Argument(help="Legal name.")],
    base_currency: BaseCurrency = "CNY",
    country: Country = "CN",
    timezone: TimeZone = "Asia/Shanghai",
    locale: Annotated[Locale, typer.Option("--locale", help="Language of letters.")] = "zh-CN",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Add a company (tenant)."""
    data = checked(
        CompanyIn,
        code=code,
        name=name,
        base_currency=base_currency,
        country=country,
        timezone=timezone,
        locale=locale,
    )
    with opened(database_url) as db, db.write() as session:
        company = identity.create_company(session, data, SystemClock())
        tell("company_added", lang, code=company.code, id=company.id)


@company_app.command("list")
def company_list(
    *,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """List the companies (tenants) in the database."""
    with opened(database_url) as db, db.read() as session:
        rows = [
            CompanyOut.model_validate(c, from_attributes=True)
            for c in identity.list_companies(session)
        ]
    if as_json:
        echo_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "code", "name", "base", "time zone", "locale", "country")
    for r in rows:
        table.add_row(str(r.id), r.code, r.name, r.base_currency, r.timezone, r.locale, r.country)
    out().print(table)


@user_app.command("add")
def user_add(  # noqa: PLR0913 - the user's fields are the interface
    *,
    company: CompanyCode,
    email: Annotated[str, typer.Option("--email", help="Login e-mail.")],
    name: Annotated[str, typer.Option("--name", help="Name shown on screens.")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 10 characters; asked for (hidden) when not given.",
        ),
    ],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Add a user to a company. The password is never printed."""
    data = checked(UserIn, email=email, display_name=name, password=password, role=role)
    with opened(database_url) as db, db.write() as session:
        owner = tenant(session, company)
        user = identity.add_user(session, owner.actor.company_id, data, SystemClock())
        tell("user_added", lang, email=user.email, role=user.role, company=owner.code)


@apikey_app.command("add")
def apikey_add(
    *,
    company: CompanyCode,
    name: Annotated[str, typer.Option("--name", help="What the key is for, e.g. 'SAP sync'.")],
    role: Annotated[Role, typer.Option("--role", help="Role the key acts with.")] = "erp_client",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Issue an API key and print its secret, once."""
    data = checked(ApiKeyIn, name=name, role=role)
    with opened(database_url) as db, db.write() as session:
        owner = tenant(session, company)
        key, secret = identity.create_api_key(session, owner.actor.company_id, data, SystemClock())
        key_name, key_role = key.name, key.role
    # Printed only after the commit: a secret for a key that was rolled back would be a lie.
    tell("key_added", lang, name=key_name, role=key_role, company=owner.code)
    typer.echo(secret)


def serve(
    *,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Serve the REST API (and its docs at /docs) with uvicorn."""
    tell("serving", lang, url=f"http://{host}:{port}/docs")
    run_server(database_url, host, port)
