"""`creditguard limit request|list|show|approve|reject|withdraw|review`: limits by authority.

Who acts: ``--user EMAIL`` acts as that user of the company, with the user's role (principal
``user:<id>``), so that the ladder and segregation of duties apply as in the API; without it,
the CLI's local administrator (principal ``cli``), who may approve any amount but, like anyone,
never a request it made itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    JsonFlag,
    LangOption,
    checked,
    echo_json,
    grouped,
    opened,
    out,
    parse_date,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.errors import not_found
from creditguard.core.permissions import Actor
from creditguard.identity import service as identity
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn, LimitRequestIn, LimitRequestOut

limit_app = typer.Typer(
    help="Credit limits: requests, approval by authority, the nightly review.",
    no_args_is_help=True,
)
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Act as this user (e-mail) of the company, with its role."),
]
RequestId = Annotated[int, typer.Argument(help="Limit request id.", min=1)]
Note = Annotated[str | None, typer.Option("--note", help="A note for the record.")]


def _zh(lang: str) -> bool:
    return lang.startswith("zh")


def acting(session: Session, company: str, user: str | None) -> Actor:
    """The CLI's administrator for ``company``, or the user ``user`` with its own role."""
    admin = tenant(session, company).actor
    if user is None:
        return admin
    wanted = user.strip().lower()
    for row in identity.list_users(session, admin.company_id):
        if row.email == wanted and row.is_active:
            return Actor(admin.company_id, f"user:{row.id}", row.role)
    raise not_found("user", user, "user")


def print_request(row: LimitRequestOut, lang: str) -> None:
    zh = _zh(lang)
    table = Table(show_header=False, title=f"#{row.id}", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in (
        ("客户" if zh else "Customer", f"{row.customer_ref} ({row.scope})"),
        ("申请额度" if zh else "Amount", f"{grouped(row.amount)} {row.currency}"),
        ("原额度" if zh else "Previous", grouped(row.previous_amount or "0")),
        ("账期（天）" if zh else "Term days", "-" if row.term_days is None else str(row.term_days)),
        ("到期日" if zh else "Expires on", str(row.expires_on or "-")),
        ("审批角色" if zh else "Approver role", row.required_role),
        ("状态" if zh else "Status", row.status),
        ("申请人" if zh else "Requested by", row.requested_by),
        ("审批人" if zh else "Decided by", row.decided_by or "-"),
        ("原因" if zh else "Reason", row.reason),
        ("意见" if zh else "Note", row.decision_note or "-"),
    ):
        table.add_row(label, Text(value))
    console = out()
    console.print(table)
    for line in row.explanation:
        console.print(Text(f"  {line.zh if zh else line.en}"))


@limit_app.command("request")
def request(  # noqa: PLR0913 - one option per field of the request
    *,
    customer: Annotated[str, typer.Argument(help="Customer code (the parent for a group).")],
    amount: Annotated[str, typer.Option("--amount", help="Limit asked for, e.g. 1500000.00.")],
    currency: Annotated[str, typer.Option("--currency", help="The base currency.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    company: CompanyCode,
    scope: Annotated[
        Literal["customer", "group"], typer.Option("--scope", help="customer or group.")
    ] = "customer",
    term_days: Annotated[int | None, typer.Option("--term-days", help="Term in days.")] = None,
    expires_on: Annotated[
        str | None, typer.Option("--expires-on", help="Last day of a temporary limit.")
    ] = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Ask for a limit; it is routed by amount to the role that may approve it."""
    data = checked(
        LimitRequestIn,
        customer_ref=customer,
        scope=scope,
        amount=amount,
        currency=currency,
        term_days=term_days,
        expires_on=None if expires_on is None else parse_date("expires_on", expires_on),
        reason=reason,
    )
    with opened(database_url) as db, db.write() as session:
        made = service.create(session, acting(session, company, user), data, SystemClock())
    _show(made, lang, as_json=as_json)


def _show(row: LimitRequestOut, lang: str, *, as_json: bool) -> None:
    if as_json:
        echo_json(row.model_dump(mode="json"))
    else:
        print_request(row, lang)


@limit_app.command("list")
def list_requests(  # noqa: PLR0913 - one parameter per option
    *,
    company: CompanyCode,
    status: Annotated[
        Literal["pending", "applied", "rejected", "withdrawn"] | None,
        typer.Option("--status", help="Only requests in this status."),
    ] = None,
    for_me: Annotated[
        bool, typer.Option("--for-me", help="Only those my role may decide.")
    ] = False,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Limit requests, newest first."""
    with opened(database_url) as db, db.read() as session:
        actor = acting(session, company, user)
        rows = service.list_requests(session, actor, status=status, for_me=for_me)
    if as_json:
        echo_json([r.model_dump(mode="json") for r in rows])
        return
    zh = _zh(lang)
    table = Table()
    for header in (
        ("编号", "客户", "额度", "审批角色", "状态", "申请人", "来源")
        if zh
        else ("Id", "Customer", "Amount", "Approver role", "Status", "Requested by", "Origin")
    ):
        table.add_column(header)
    for r in rows:
        table.add_row(
            str(r.id), r.customer_ref, grouped(r.amount), r.required_role, r.status,
            r.requested_by, r.origin,
        )  # fmt: skip
    out().print(table)


@limit_app.command("show")
def show(
    *,
    request_id: RequestId,
    company: CompanyCode,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """One request: where it stands, who decided and why."""
    with opened(database_url) as db, db.read() as session:
        row = service.get(session, tenant(session, company).actor, request_id)
    _show(row, lang, as_json=as_json)


def _decide(action: str, request_id: int, note: str | None, who: tuple[str, str | None],
            url: str) -> LimitRequestOut:  # fmt: skip
    work = {"approve": service.approve, "reject": service.reject, "withdraw": service.withdraw}
    data = checked(DecisionIn, note=note)
    with opened(url) as db, db.write() as session:
        actor = acting(session, *who)
        return work[action](session, actor, request_id, data, SystemClock())


@limit_app.command("approve")
def approve(  # noqa: PLR0913 - one parameter per option
    *,
    request_id: RequestId,
    company: CompanyCode,
    note: Note = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Approve a pending request (within your authority, never your own) and apply it."""
    row = _decide("approve", request_id, note, (company, user), database_url)
    _show(row, lang, as_json=as_json)


@limit_app.command("reject")
def reject(  # noqa: PLR0913 - one parameter per option
    *,
    request_id: RequestId,
    company: CompanyCode,
    note: Note = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Reject a pending request (within your authority)."""
    row = _decide("reject", request_id, note, (company, user), database_url)
    _show(row, lang, as_json=as_json)


@limit_app.command("withdraw")
def withdraw(  # noqa: PLR0913 - one parameter per option
    *,
    request_id: RequestId,
    company: CompanyCode,
    note: Note = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Withdraw your own pending request."""
    row = _decide("withdraw", request_id, note, (company, user), database_url)
    _show(row, lang, as_json=as_json)


@limit_app.command("review")
def review(
    *,
    company: CompanyCode,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default: today).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would change; write nothing.")
    ] = False,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """The nightly limit review: increases and cuts inside policy applied, the rest asked.

    One review of a company at a time: on PostgreSQL a second one started while the first
    runs is refused at once (exit code 1, nothing written); on SQLite it waits for the first
    and then changes nothing the first changed."""
    with opened(database_url) as db, db.write() as session:
        owner = tenant(session, company)
        clock = SystemClock()
        day = parse_date("as_of", as_of) if as_of else business_today(clock, owner.timezone)
        result = service.run_review(session, owner.actor, day, clock, dry_run=dry_run)
    if as_json:
        echo_json(result.model_dump(mode="json"))
        return
    r = result
    if _zh(lang):
        dry = "（试运行）" if r.dry_run else ""
        text = (f"{r.as_of}{dry}：复评额度 {r.reviewed} 个（共 {r.customers} 个客户），"
                f"自动提额 {r.increased}，自动降额 {r.cut}，提交审批 {r.sent_for_approval}，"
                f"待审批跳过 {r.skipped_pending}")  # fmt: skip
        if r.skipped_moved:
            text += f"，额度已被他人变更跳过 {r.skipped_moved}"
    else:
        text = (f"{r.as_of}{' (dry run)' if r.dry_run else ''}: {r.reviewed} limits reviewed "
                f"({r.customers} customers), {r.increased} increased, {r.cut} cut, "
                f"{r.sent_for_approval} sent for approval, {r.skipped_pending} skipped "
                "(request pending)")  # fmt: skip
        if r.skipped_moved:
            text += f", {r.skipped_moved} left alone (the limit changed meanwhile)"
    out().print(Text(text))
