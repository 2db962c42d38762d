"""`creditguard rating show|rate|run|policy|import-statements|document`: the expert scorecard
and the credit file's documents."""

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
from creditguard.cli.limits import UserOption, acting
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL, get_settings
from creditguard.core.errors import invalid
from creditguard.customers import service as customers
from creditguard.rating import service
from creditguard.rating.schemas import DocumentOut, PolicyIn, PolicyOut, RatingOut
from creditguard.rating.service import blend
from creditguard.rating.service import documents as uploads

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


# --- documents of the credit file ---

document_app = typer.Typer(
    help="Documents of the credit file: upload, list, download.", no_args_is_help=True
)
rating_app.add_typer(document_app, name="document")
CustomerCode = Annotated[str, typer.Option("--customer", help="Customer code.")]


def _unreadable(path: Path, error: OSError) -> Exception:
    return invalid("file", str(path), "invalid", reason=str(error), reason_zh="无法读取文件")


def _read_file(path: Path, limit: int) -> bytes:
    """The file's bytes; past ``limit`` it is refused without reading it all."""
    try:
        with path.open("rb") as handle:
            content = handle.read(limit + 1)
    except OSError as error:
        raise _unreadable(path, error) from None
    if len(content) > limit:
        raise uploads.too_large(limit, path.stat().st_size)
    return content


def _document_line(row: DocumentOut, lang: str) -> str:
    if _zh(lang):
        return (
            f"文档 {row.id} 已保存：{row.file_name}（{row.size_bytes} 字节，SHA-256 {row.sha256}）"
        )
    return (
        f"Document {row.id} stored: {row.file_name} ({row.size_bytes} bytes, SHA-256 {row.sha256})"
    )


@document_app.command("add")
def document_add(  # noqa: PLR0913 - one option per part of the upload
    *,
    file: Annotated[Path, typer.Argument(help="The file to upload.")],
    company: CompanyCode,
    customer: CustomerCode,
    kind: Annotated[str, typer.Option("--kind", help="licence, contract, statement or other.")],
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Upload a file into the customer's credit file (kept in the database, checked by type)."""
    limit = get_settings().document_max_bytes
    content = _read_file(file, limit)
    upload = uploads.Upload(kind=kind, file_name=file.name, content=content)
    with opened(database_url) as db, db.write() as session:
        actor = acting(session, company, user)
        found = customers.get_by_code(session, actor, customer, field="customer")
        made = service.upload_document(
            session, actor, found.id, upload, SystemClock(), max_bytes=limit
        )
    if as_json:
        echo_json(made.model_dump(mode="json"))
    else:
        out().print(Text(_document_line(made, lang)))


def print_documents(rows: list[DocumentOut], lang: str) -> None:
    zh = _zh(lang)
    table = Table(title_justify="left")
    for header in (
        ("编号", "类型", "文件名", "字节", "已存储", "上传时间", "上传人")
        if zh
        else ("Id", "Kind", "File name", "Bytes", "Stored", "Uploaded at", "By")
    ):
        table.add_column(header)
    for row in rows:
        stored = ("是" if zh else "yes") if row.stored else ("否" if zh else "no")
        table.add_row(
            str(row.id),
            row.kind,
            Text(row.file_name),
            str(row.size_bytes),
            stored,
            row.uploaded_at.isoformat(),
            Text(row.uploaded_by),
        )
    out().print(table)


@document_app.command("list")
def document_list(
    *,
    company: CompanyCode,
    customer: CustomerCode,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """The customer's documents, newest first."""
    with opened(database_url) as db, db.read() as session:
        actor = acting(session, company, user)
        found = customers.get_by_code(session, actor, customer, field="customer")
        rows = service.list_documents(session, actor, found.id)
    if as_json:
        echo_json([row.model_dump(mode="json") for row in rows])
    elif not rows:
        out().print("没有文档" if _zh(lang) else "no documents")
    else:
        print_documents(rows, lang)


def _write_new(path: Path, content: bytes, *, force: bool) -> None:
    """Write ``content`` to ``path``; an existing file only with ``force`` (``x`` mode: no
    window between the check and the write)."""
    try:
        with path.open("wb" if force else "xb") as handle:
            handle.write(content)
    except FileExistsError:
        raise invalid(
            "out",
            str(path),
            "invalid",
            reason="the file exists: use --force to overwrite it",
            reason_zh="文件已存在：如需覆盖请加 --force",
        ) from None
    except OSError as error:
        raise invalid(
            "out", str(path), "invalid", reason=str(error), reason_zh="无法写入文件"
        ) from None


@document_app.command("get")
def document_get(  # noqa: PLR0913 - one option per part of the download
    *,
    company: CompanyCode,
    document_id: Annotated[int, typer.Option("--id", min=1, help="Document id.")],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the file.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --out file if it exists.")
    ] = False,
    user: UserOption = None,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Save a stored document to a file, after checking it against its SHA-256."""
    with opened(database_url) as db, db.read() as session:
        actor = acting(session, company, user)
        found = service.document_file(session, actor, document_id)
    _write_new(out_file, found.content, force=force)
    size, digest = len(found.content), found.document.sha256
    text = (
        f"已写入 {out_file}：{size} 字节，SHA-256 {digest} 已校验"
        if _zh(lang)
        else f"Wrote {out_file}: {size} bytes, SHA-256 {digest} verified"
    )
    out().print(Text(text))
