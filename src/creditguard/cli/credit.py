"""`creditguard credit check|exposure|policy|held|release|reject` and `notify send`."""

from __future__ import annotations

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
from creditguard.clock import SystemClock
from creditguard.config import DEFAULT_DATABASE_URL, get_settings
from creditguard.core.errors import invalid
from creditguard.core.permissions import Actor
from creditguard.credit import service
from creditguard.credit.schemas import (
    CheckIn,
    CustomerCreditOut,
    HeldOut,
    LimitPolicyIn,
    LimitPolicyOut,
)

credit_app = typer.Typer(help="Credit limits and order credit checks.", no_args_is_help=True)
policy_app = typer.Typer(help="The limit policy matrix and approval ladder.", no_args_is_help=True)
credit_app.add_typer(policy_app, name="policy")
notify_app = typer.Typer(help="Notifications of credit decisions.", no_args_is_help=True)
By = Annotated[
    str | None,
    typer.Option("--by", help="Who decides, e.g. user:8 (default: the local CLI principal)."),
]
Note = Annotated[str, typer.Option("--note", help="Why (mandatory).")]
CheckId = Annotated[int, typer.Argument(help="Credit check id (see `credit held`).")]


def _zh(lang: str) -> bool:
    return lang.startswith("zh")


def _locale(lang: str) -> str:
    return "zh-CN" if _zh(lang) else "en"


@credit_app.command("check")
def check(  # noqa: PLR0913 - keyword-only command options
    *,
    company: CompanyCode,
    customer: Annotated[str, typer.Option("--customer", help="Customer code.")],
    amount: Annotated[str, typer.Option("--amount", help="Order amount, e.g. 1234.56.")],
    currency: Annotated[str, typer.Option("--currency", help="Order currency.")],
    order: Annotated[str, typer.Option("--order", help="Order reference.")],
    reserve: Annotated[bool, typer.Option("--reserve", help="Reserve the limit if approved.")] = (
        False
    ),
    prepaid: Annotated[bool, typer.Option("--prepaid", help="The order is prepaid.")] = False,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Check an order's credit: approved, or held with every reason."""
    try:
        data = CheckIn(
            customer_ref=customer,
            amount=amount,
            currency=currency,
            order_ref=order,
            reserve=reserve,
            prepaid=prepaid,
        )
    except ValidationError as error:
        raise from_validation(error) from None
    with opened(database_url) as db, db.write() as session:
        actor = tenant(session, company).actor
        result = service.run_check(session, actor, data, SystemClock(), _locale(lang))
    if as_json:
        echo_json(result.model_dump(mode="json"))
        return
    zh = _zh(lang)
    word = {"approved": "通过", "held": "暂停"}[result.decision] if zh else result.decision
    label = "可用额度" if zh else "available"
    console = out()
    console.print(
        Text(f"{word} — {label} {result.available} {result.currency} (check {result.check_id})")
    )
    for reason in result.reasons:
        console.print(Text(f"  [{reason.code}] {reason.message}"))


def _print_credit(view: CustomerCreditOut, lang: str) -> None:
    zh = _zh(lang)
    table = Table(title=f"{view.customer_ref} {view.as_of} ({view.currency})", title_justify="left")
    table.add_column("阶段" if zh else "Stage")
    table.add_column("金额" if zh else "Amount", justify="right")
    names = {
        "open_receivables": "已逾期应收",
        "invoiced_not_due": "已开票未到期",
        "shipped_not_invoiced": "已发货未开票",
        "confirmed_not_shipped": "已确认未发货",
        "reserved": "已预占额度",
        "insured": "已投保部分",
        "total": "合计",
    }
    for key, value in view.exposure.model_dump().items():
        table.add_row(names[key] if zh else key, value)
    console = out()
    console.print(table)
    limit = "-" if view.limit is None else view.limit.amount
    console.print(
        Text(
            f"{'评级' if zh else 'grade'}: {view.grade or '-'}  "
            f"{'额度' if zh else 'limit'}: {limit}  "
            f"{'可用' if zh else 'available'}: {view.available}"
        )
    )
    if view.suggestion is not None:
        console.print(Text(f"{'建议额度' if zh else 'suggested limit'}: {view.suggestion.limit}"))
        for line in view.suggestion.explanation:
            console.print(Text(f"  {line.message}"))


@credit_app.command("exposure")
def exposure(
    *,
    company: CompanyCode,
    customer: Annotated[str, typer.Option("--customer", help="Customer code.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today).")] = (
        None
    ),
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """A customer's exposure by stage, limits, suggested limit and what is available."""
    day = None if as_of is None else parse_date("as_of", as_of)
    with opened(database_url) as db, db.read() as session:
        actor = tenant(session, company).actor
        view = service.customer_credit(
            session, actor, customer, SystemClock(), as_of=day, locale=_locale(lang)
        )
    if as_json:
        echo_json(view.model_dump(mode="json"))
    else:
        _print_credit(view, lang)


def _print_policy(policy: LimitPolicyOut, lang: str) -> None:
    zh = _zh(lang)
    title = "授信政策 版本" if zh else "Limit policy version"
    table = Table(
        title=f"{title} {policy.version}{' (default)' if policy.default else ''}",
        title_justify="left",
    )
    headers = (
        ("等级", "固定上限", "营收 %", "净资产 %", "账期", "预付 %", "复评（月）", "N")
        if zh
        else ("Grade", "Fixed max", "Revenue %", "Equity %", "Term", "Prepay %", "Review", "N")
    )
    for header in headers:
        table.add_column(header)
    for grade, row in policy.grades.items():
        table.add_row(
            grade,
            row.limit.fixed_max,
            str(row.limit.revenue_percent or "-"),
            str(row.limit.equity_percent or "-"),
            str(row.term_days),
            str(row.prepayment_percent),
            str(row.review_months),
            str(row.max_days_overdue),
        )
    console = out()
    console.print(table)
    ladder = ", ".join(f"{r.role} ≤ {r.up_to or '∞'}" for r in policy.ladder)
    console.print(Text(f"{'审批权限' if zh else 'Approval ladder'}: {ladder}"))


@policy_app.command("show")
def policy_show(
    *,
    company: CompanyCode,
    version: Annotated[int | None, typer.Option("--version", min=0, help="A past version.")] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """The limit policy that holds (--json prints a file `policy set` accepts)."""
    with opened(database_url) as db, db.read() as session:
        shown = service.get_policy(session, tenant(session, company).actor, version)
    if as_json:
        echo_json(shown.model_dump(mode="json", include=set(LimitPolicyIn.model_fields)))
    else:
        _print_policy(shown, lang)


@policy_app.command("set")
def policy_set(
    *,
    company: CompanyCode,
    file: Annotated[Path, typer.Option("--file", help="The policy as JSON.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Save the policy in FILE as the next version (every problem named by field)."""
    try:
        body = LimitPolicyIn.model_validate_json(file.read_bytes())
    except OSError as error:
        raise invalid(
            "file", str(file), "invalid", reason=str(error), reason_zh="无法读取文件"
        ) from None
    except ValidationError as error:
        raise from_validation(error) from None
    with opened(database_url) as db, db.write() as session:
        saved = service.put_policy(session, tenant(session, company).actor, body, SystemClock())
    if as_json:
        echo_json(saved.model_dump(mode="json"))
    else:
        _print_policy(saved, lang)


def _print_checks(rows: list[HeldOut], lang: str) -> None:
    zh = _zh(lang)
    table = Table()
    for header in (
        ("编号", "客户", "订单", "金额", "状态", "申请人", "原因")
        if zh
        else ("Id", "Customer", "Order", "Amount", "Status", "Requested by", "Reasons")
    ):
        table.add_column(header)
    for row in rows:
        reasons = "; ".join(r.message for r in row.reasons)
        table.add_row(
            str(row.id),
            row.customer_ref,
            row.order_ref or "-",
            f"{row.amount} {row.currency}",
            row.status,
            row.requested_by,
            reasons,
        )
    out().print(table)


@credit_app.command("held")
def held(
    *,
    company: CompanyCode,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Orders held, waiting for someone with authority to release or reject them."""
    with opened(database_url) as db, db.read() as session:
        rows = service.list_checks(session, tenant(session, company).actor, "held", _locale(lang))
    if as_json:
        echo_json([row.model_dump(mode="json") for row in rows])
    else:
        _print_checks(rows, lang)


def _decide(  # noqa: PLR0913 - keyword-only beyond the first two
    company: str,
    check_id: int,
    *,
    verdict: str,
    note: str,
    by: str | None,
    database_url: str,
    lang: str,
) -> HeldOut:
    with opened(database_url) as db, db.write() as session:
        local = tenant(session, company).actor
        actor = local if by is None else Actor(local.company_id, by, local.role)
        return service.decide_held(
            session,
            actor,
            check_id,
            verdict=verdict,
            note=note,
            clock=SystemClock(),
            locale=_locale(lang),
        )


@credit_app.command("release")
def release(  # noqa: PLR0913 - keyword-only command options
    *,
    check_id: CheckId,
    company: CompanyCode,
    note: Note,
    by: By = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Release a held order (never by its requester); audited, the requester told."""
    row = _decide(
        company,
        check_id,
        verdict="release",
        note=note,
        by=by,
        database_url=database_url,
        lang=lang,
    )
    if as_json:
        echo_json(row.model_dump(mode="json"))
    else:
        _print_checks([row], lang)


@credit_app.command("reject")
def reject(  # noqa: PLR0913 - keyword-only command options
    *,
    check_id: CheckId,
    company: CompanyCode,
    note: Note,
    by: By = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Reject a held order (never by its requester); audited, the requester told."""
    row = _decide(
        company,
        check_id,
        verdict="reject",
        note=note,
        by=by,
        database_url=database_url,
        lang=lang,
    )
    if as_json:
        echo_json(row.model_dump(mode="json"))
    else:
        _print_checks([row], lang)


@notify_app.command("send")
def send(
    *,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Deliver pending notifications: e-mail by SMTP, signed webhooks by HTTP POST."""
    with opened(database_url) as db:
        report = service.send_pending(db, get_settings(), SystemClock())
    text = (
        f"已发送 {report.sent}，待重试 {report.retrying}，失败 {report.failed}"
        if _zh(lang)
        else f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed"
    )
    out().print(Text(text))
