"""`creditguard rating show|rate|run|policy|import-statements`: the expert scorecard."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    JsonFlag,
    LangOption,
    echo_json,
    from_validation,
    opened,
    out,
    parse_date,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.errors import invalid
from creditguard.customers import service as customers
from creditguard.rating import service
from creditguard.rating.schemas import PolicyIn, PolicyOut, RatingOut
from creditguard.rating.service import blend

rating_app = typer.Typer(help="Credit ratings: the expert scorecard.", no_args_is_help=True)
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default: today).")
]
Code = Annotated[str, typer.Argument(help="Customer code.")]


def _zh(lang: str) -> bool:
    return lang.startswith("zh")


def print_rating(rating: RatingOut, lang: str) -> None:
    zh = _zh(lang)
    table = Table(show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in (
        ("评级" if zh else "Grade", rating.grade),
        ("评分" if zh else "Score", rating.score),
        ("评分卡评级" if zh else "Scorecard grade", rating.scored_grade),
        ("政策版本" if zh else "Policy version", str(rating.policy_version)),
        ("缺失权重 %" if zh else "Missing weight %", rating.missing_weight),
        ("评级日期" if zh else "As of", rating.as_of.isoformat()),
        ("下次复评" if zh else "Next review", rating.next_review_on.isoformat()),
        ("覆盖原因" if zh else "Override reason", rating.override_reason or "-"),
        ("评级人" if zh else "Rated by", rating.rated_by),
    ):
        table.add_row(label, Text(value))
    console = out()
    console.print(table)
    for reason in rating.reasons:
        console.print(Text(f"  {reason.message['zh-CN' if zh else 'en']}"))
    if rating.missing:
        console.print(Text(("  缺失数据：" if zh else "  Missing: ") + ", ".join(rating.missing)))


@rating_app.command("show")
def show(
    *,
    code: Code,
    company: CompanyCode,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """The customer's rating that holds, with its reasons (--json: the whole history)."""
    with opened(database_url) as db, db.read() as session:
        actor = tenant(session, company).actor
        customer = customers.get_by_code(session, actor, code, field="customer")
        ratings = service.ratings(session, actor, customer.id)
    if as_json:
        echo_json(ratings.model_dump(mode="json"))
    elif ratings.latest is None:
        out().print("尚未评级" if _zh(lang) else "not rated yet")
    else:
        print_rating(ratings.latest, lang)


@rating_app.command("rate")
def rate(
    *,
    code: Code,
    company: CompanyCode,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Rate one customer now, with the current policy."""
    on = None if as_of is None else parse_date("as_of", as_of)
    with opened(database_url) as db, db.write() as session:
        actor = tenant(session, company).actor
        customer = customers.get_by_code(session, actor, code, field="customer")
        rated = service.rate_customer(
            session, actor, customer.id, SystemClock(), as_of=on, trigger="on_demand"
        )
    if as_json:
        echo_json(rated.model_dump(mode="json"))
    else:
        print_rating(rated, lang)


@rating_app.command("run")
def run(
    *,
    company: CompanyCode,
    as_of: AsOf = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="Every active customer, not only those due.")
    ] = False,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Re-rate every customer due on the date (never rated, or review date reached)."""
    with opened(database_url) as db, db.write() as session:
        owner = tenant(session, company)
        clock = SystemClock()
        day = parse_date("as_of", as_of) if as_of else business_today(clock, owner.timezone)
        result = service.run_due(session, owner.actor, day, clock, everyone=everyone)
    if as_json:
        echo_json(result.model_dump(mode="json"))
        return
    grades = "  ".join(f"{g}: {n}" for g, n in result.grades.items())
    text = f"{result.as_of} 已评级 {result.rated} 个客户（{grades}）"
    out().print(Text(text if _zh(lang) else f"{result.as_of}: {result.rated} rated ({grades})"))


def _read_policy(path: Path) -> PolicyIn:
    try:
        return PolicyIn.model_validate_json(path.read_bytes())
    except OSError as error:
        raise invalid(
            "file", str(path), "invalid", reason=str(error), reason_zh="无法读取文件"
        ) from None
    except ValidationError as error:
        raise from_validation(error) from None


def print_policy(policy: PolicyOut, lang: str) -> None:
    zh = _zh(lang)
    table = Table(
        title=f"{'评分卡政策 版本' if zh else 'Scorecard policy version'} {policy.version}",
        title_justify="left",
    )
    for header in (
        ("因子", "维度", "权重 %", "中性分", "分箱")
        if zh
        else ("Factor", "Dimension", "Weight %", "Neutral", "Bins")
    ):
        table.add_column(header)
    for factor in policy.factors:
        bins = "; ".join(
            f"{b.category}={b.points}" if b.category else f"[{b.low}, {b.high}) {b.points}"
            for b in factor.bins
        )
        name = factor.name.get("zh-CN" if zh else "en", factor.key)
        table.add_row(name, factor.dimension, str(factor.weight), str(factor.neutral), bins)
    console = out()
    console.print(table)
    cutoffs = ", ".join(f"{g} ≥ {v}" for g, v in policy.cutoffs.items())
    months = ", ".join(f"{g}: {m}" for g, m in policy.review_months.items())
    console.print(Text(f"{'分数线' if zh else 'Cut-offs'}: {cutoffs}"))
    console.print(Text(f"{'复评周期（月）' if zh else 'Review months'}: {months}"))


@rating_app.command("policy")
def policy(
    *,
    company: CompanyCode,
    set_file: Annotated[
        Path | None,
        typer.Option("--set", help="Save the policy in this JSON file as a new version."),
    ] = None,
    version: Annotated[int | None, typer.Option("--version", min=1, help="A past version.")] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Show the scorecard policy (--json prints a file --set accepts), or save a new version."""
    body = None if set_file is None else _read_policy(set_file)
    with opened(database_url) as db, db.write() as session:
        actor = tenant(session, company).actor
        clock = SystemClock()
        if body is None:
            shown = service.get_policy(session, actor, clock, version)
        else:
            shown = service.put_policy(session, actor, body, clock)
    if as_json:
        echo_json(shown.model_dump(mode="json"))
    else:
        print_policy(shown, lang)


@rating_app.command("import-statements")
def import_statements(
    *,
    file: Annotated[Path, typer.Argument(help="CSV: customer, period_end, currency, amounts.")],
    company: CompanyCode,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Import financial statements from CSV, all rows or none (every problem reported)."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise invalid(
            "file", str(file), "invalid", reason=str(error), reason_zh="无法读取文件"
        ) from None
    with opened(database_url) as db, db.write() as session:
        actor = tenant(session, company).actor
        made = service.import_statements(session, actor, rows, SystemClock())
    text = f"已导入 {len(made)} 份财务报表" if _zh(lang) else f"{len(made)} statements imported"
    out().print(Text(text))


@rating_app.command("blend")
def blend_setting(
    *,
    company: CompanyCode,
    weight: Annotated[
        str | None,
        typer.Option("--weight", help="Model weight 0-1 (saves a new version; 0: expert only)."),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", help="Which registered model: champion or challenger.")
    ] = "champion",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Show the blend rule, or save a new version: grade from (1-w)·expert + w·model score."""
    with opened(database_url) as db, db.write() as session:
        actor = tenant(session, company).actor
        if weight is None:
            shown = blend.current_setting(session, actor)
        else:
            try:
                value = Decimal(weight)
            except InvalidOperation:
                raise invalid(
                    "weight", weight, "invalid", reason="not a number", reason_zh="不是数字"
                ) from None
            shown = blend.put_setting(session, actor, value, model, SystemClock())
    if shown is None:
        echo_json({"version": None, "model_weight": "0", "model": None})
    else:
        echo_json(
            {"version": shown.version, "model_weight": str(shown.model_weight), "model": shown.role}
        )
