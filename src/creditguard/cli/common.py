"""What every command shares: options, opening the database, the admin actor, error rendering.

The CLI is a thin edge: it parses options, opens a unit of work (``Database.write()`` or
``read()``), calls services, and prints. It runs no query itself. Every error a service raises on
purpose (:class:`DomainError`) is printed on stderr as field, value and reason in the chosen
language, with exit code 1; usage errors keep Click's exit code 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from creditguard.analytics import snapshot as snapshots
from creditguard.config import get_settings
from creditguard.core.errors import DomainError, InvalidInput, Problem, invalid
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.db.engine import Database, sqlite_path
from creditguard.identity import service as identity

M = TypeVar("M", bound=BaseModel)
Lang = Literal["en", "zh-CN"]
LANG_KEY = "creditguard.lang"
CLI_PRINCIPAL = "cli"
APP_FACTORY = "creditguard.api.app:create_app"
DATABASE_URL_ENV = "CREDITGUARD_DATABASE_URL"


def _remember_lang(ctx: typer.Context, value: Lang) -> Lang:
    # ctx.meta is shared by every nested context, so the root group's error handler sees it.
    ctx.meta[LANG_KEY] = value
    return value


DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_ENV,
        show_envvar=True,
        help="SQLAlchemy URL of the ledger (SQLite file or postgresql+psycopg://...).",
    ),
]
LangOption = Annotated[
    Lang,
    typer.Option(
        "--lang",
        envvar="CREDITGUARD_LANG",
        show_envvar=True,
        callback=_remember_lang,
        help="Language of messages: en or zh-CN.",
    ),
]
CompanyCode = Annotated[str, typer.Option("--company", help="Company (tenant) code.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Limit = Annotated[int, typer.Option("--limit", min=1, max=1000, help="Rows per page.")]
Offset = Annotated[int, typer.Option("--offset", min=0, help="Rows to skip.")]

# The CLI's own words (service errors bring theirs from core.errors). key -> (English, 简体中文)
TEXTS: Mapping[str, tuple[str, str]] = {
    "error": ("Error", "错误"),
    "no_database": (
        "no database here: run `creditguard init` first",
        "这里没有数据库：请先运行 `creditguard init`",
    ),
    "database_error": ("database error: {detail}", "数据库错误：{detail}"),
    "no_schema": (
        "the database has no schema yet: run `creditguard init` first",
        "数据库尚未建立结构：请先运行 `creditguard init`",
    ),
    "bad_date": ("is not a date: use YYYY-MM-DD", "不是有效日期：请使用 YYYY-MM-DD 格式"),
    "migrated": ("Database schema is up to date.", "数据库结构已是最新。"),
    "migrating": ("Migrating the database schema...", "正在迁移数据库结构……"),
    "seeding": ("Loading ECB exchange rates...", "正在载入欧洲央行汇率……"),
    "rates_added": ("{count} exchange rates added.", "新增汇率 {count} 条。"),
    "company_added": ("Company {code} created (id {id}).", "已创建公司 {code}（id {id}）。"),
    "company_exists": ("Company {code} already exists.", "公司 {code} 已存在。"),
    "user_added": (
        "User {email} ({role}) added to {company}.",
        "已将用户 {email}（{role}）加入 {company}。",
    ),
    "key_added": (
        "API key '{name}' ({role}) created for {company}. Store the secret now: "
        "it is shown only this once.",
        "已为 {company} 创建 API 密钥 '{name}'（{role}）。请立即保存密钥：它只显示这一次。",
    ),
    "serving": ("Serving {url}", "服务地址 {url}"),
    "demo_generating": (
        "Generating the demo portfolio...",
        "正在生成演示组合……",
    ),
    "demo_api": ("API: {url}  ({database})", "API：{url}（{database}）"),
    "demo_login": (
        "Login: company {company}, e-mail {email}, password {password}",
        "登录：公司 {company}，邮箱 {email}，密码 {password}",
    ),
    "rows": ("rows {first}-{last} of {total}", "第 {first}-{last} 行，共 {total} 行"),
    "no_rows": ("no rows (total {total})", "没有数据（共 {total} 行）"),
}


def say(key: str, lang: str, **params: object) -> str:
    """The CLI text ``key`` in ``lang``, filled with ``params``."""
    english, chinese = TEXTS[key]
    return (chinese if lang.startswith("zh") else english).format(**params)


def out() -> Console:
    # A console per call: CliRunner swaps the streams and the environment between invocations.
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # piped into a file or a pager: room for every column
    return console


def err() -> Console:
    return Console(stderr=True, highlight=False)


def tell(key: str, lang: str, **params: object) -> None:
    """Print the CLI text ``key`` on stdout; user data in it is never read as Rich markup."""
    out().print(say(key, lang, **params), markup=False, soft_wrap=True)


def echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def money(minor: int, currency: str) -> str:
    """The amount as a decimal string, as the API writes it: ``"1234567.50"``."""
    return Money(minor, currency).decimal_string()


def grouped(amount: str) -> str:
    """A decimal string with thousands separators, for tables: ``"1,234,567.50"``."""
    return f"{Decimal(amount):,}"


def shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# --- database and tenant ---


def database_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for a server database); refuse what is not a URL."""
    try:
        return sqlite_path(url)
    except ArgumentError:
        raise invalid(
            "database_url",
            url,
            "invalid",
            reason="not a database URL",
            reason_zh="不是有效的数据库 URL",
        ) from None


@contextmanager
def opened(url: str, *, must_exist: bool = True) -> Iterator[Database]:
    """Open the database at ``url``; refuse a missing SQLite file unless we are to create it."""
    path = database_file(url)
    if must_exist and path is not None and not path.exists():
        raise invalid(
            "database_url",
            shown_url(url),
            "invalid",
            reason=say("no_database", "en"),
            reason_zh=say("no_database", "zh-CN"),
        )
    db = Database(url)
    folder = get_settings().snapshot_dir
    snapshots.keep_on_disk(Path(folder) if folder else None)
    try:
        yield db
    finally:
        db.dispose()


@dataclass(frozen=True, slots=True)
class Tenant:
    """The company a command works on, and the local administrator acting for it."""

    actor: Actor
    code: str
    timezone: str


def tenant(session: Session, code: str) -> Tenant:
    """Resolve ``--company CODE``; the CLI acts as a local administrator of that company."""
    company = identity.company_by_code(session, code)
    return Tenant(Actor(company.id, CLI_PRINCIPAL, "admin"), company.code, company.timezone)


def parse_date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(
            field, text, "invalid", reason=say("bad_date", "en"), reason_zh=say("bad_date", "zh-CN")
        ) from None


def run_server(database_url: str, host: str, port: int) -> None:
    """Serve the API with uvicorn; the app factory reads the URL from the environment."""
    os.environ[DATABASE_URL_ENV] = database_url
    get_settings.cache_clear()
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port)


# --- errors ---

_SECRET_FIELDS = frozenset({"password", "secret", "token"})

# Chinese reasons for the pydantic checks our input schemas use; others fall back to English.
_PYDANTIC_ZH: Mapping[str, str] = {
    "missing": "为必填项",
    "string_too_short": "至少需要 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "须为 {expected} 之一",
    "extra_forbidden": "不是该资源的字段",
    "int_parsing": "不是整数",
    "date_from_datetime_parsing": "不是有效日期",
}


def checked(model: type[M], **fields: Any) -> M:
    """Build an input schema from options; a refusal becomes a domain error (field, value)."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise from_validation(error) from None


def from_validation(error: ValidationError) -> InvalidInput:
    """A pydantic error as a domain error: one problem per field, secrets never echoed."""
    problems: list[Problem] = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "input"
        value = "***" if field in _SECRET_FIELDS else item.get("input")
        context = {k: str(v) for k, v in (item.get("ctx") or {}).items()}
        zh = _PYDANTIC_ZH.get(item["type"], item["msg"])
        problems.append(
            Problem(
                field,
                value,
                "invalid",
                {"reason": item["msg"], "reason_zh": zh.format_map(_Default(context))},
            )
        )
    return InvalidInput(problems)


class _Default(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def print_error(error: DomainError, lang: str) -> None:
    """Field, value and reason of every problem, on stderr, in ``lang``."""
    console = err()
    console.print(f"[bold red]{say('error', lang)}[/bold red]", soft_wrap=True)
    for problem in error.problems:
        shown = "***" if problem.field in _SECRET_FIELDS else problem.value
        value = "" if shown is None else f" = {shown!r}"
        console.print(
            f"  [bold]{escape(problem.field)}[/bold]{escape(value)}: "
            f"{escape(problem.message(lang))}",
            soft_wrap=True,
        )


def current_lang(meta: Mapping[str, Any] | None = None) -> str:
    """The language chosen with ``--lang`` (kept in the context's meta), else the environment."""
    chosen = None if meta is None else meta.get(LANG_KEY)
    return chosen if isinstance(chosen, str) else os.environ.get("CREDITGUARD_LANG", "en")


def fail(error: DomainError, lang: str) -> NoReturn:
    print_error(error, lang)
    raise typer.Exit(1)


class CliGroup(TyperGroup):
    """The root group: a domain error becomes a message on stderr and exit code 1."""

    # Only errors raised on purpose are rendered; anything else is a bug and keeps its traceback.
    # ``ctx`` is typer's vendored Click context, whose class lives in a private module.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as error:
            fail(error, current_lang(ctx.meta))
        except DBAPIError as error:
            problem = database_problem(error)
            if problem is None:
                raise
            fail(problem, current_lang(ctx.meta))


def database_problem(error: DBAPIError) -> InvalidInput | None:
    """The database errors a user can act on: no schema yet, unreachable, locked, ..."""
    detail = str(error.orig).splitlines()[0] if error.orig is not None else str(error)
    if detail.startswith("no such table") or getattr(error.orig, "sqlstate", None) == "42P01":
        key, params = "no_schema", {}
    elif isinstance(error, OperationalError):
        key, params = "database_error", {"detail": detail}
    else:
        return None
    return invalid(
        "database_url",
        None,
        "invalid",
        reason=say(key, "en", **params),
        reason_zh=say(key, "zh-CN", **params),
    )
