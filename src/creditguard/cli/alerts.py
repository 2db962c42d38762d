"""`creditguard alert add|list|close`: risk alerts (风险预警信号) on the company's customers.

Who acts: ``--user EMAIL`` acts as that user of the company, with the user's role; without it,
the CLI's local administrator (principal ``cli``). A recorded alert is read by the nightly
limit review (``creditguard limit review``): see docs/alerts.md.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from creditguard.alerts import service
from creditguard.alerts.schemas import AlertIn, AlertOut, CloseIn, Severity, Status
from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    JsonFlag,
    LangOption,
    checked,
    echo_json,
    opened,
    out,
    parse_date,
)
from creditguard.cli.limits import UserOption, acting
from creditguard.clock import SystemClock
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.core.alerts import KINDS
from creditguard.customers import service as customers

alert_app = typer.Typer(
    help="Risk alerts: litigation, enforcement, bankruptcy filings, ... (read by the review).",
    no_args_is_help=True,
)
AlertId = Annotated[int, typer.Argument(help="Alert id.", min=1)]


def _zh(lang: str) -> bool:
    return lang.startswith("zh")


def print_alerts(rows: list[AlertOut], lang: str) -> None:
    zh = _zh(lang)
    table = Table()
    for header in (
        ("编号", "客户", "类型", "严重程度", "发生日", "来源", "状态", "说明")
        if zh
        else ("Id", "Customer", "Kind", "Severity", "Observed", "Source", "Status", "Note")
    ):
        table.add_column(header)
    for r in rows:
        kind = r.kind_label.zh if zh else r.kind_label.en
        severity = r.severity_label.zh if zh else r.severity_label.en
        note = r.close_note if r.status == "closed" else r.note
        table.add_row(
            str(r.id), r.customer_ref, kind, severity, str(r.observed_on), r.source, r.status,
            Text(note or "-"),
        )  # fmt: skip
    out().print(table)


def _show(rows: list[AlertOut], lang: str, *, as_json: bool) -> None:
    if as_json:
        echo_json([r.model_dump(mode="json") for r in rows])
    else:
        print_alerts(rows, lang)


@alert_app.command("add")
def add(  # noqa: PLR0913 - one option per field of the alert
    *,
    customer: Annotated[str, typer.Argument(help="Customer code.")],
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {', '.join(KINDS)}.")],
    observed_on: Annotated[str, typer.Option("--observed-on", help="Day of the event.")],
    company: CompanyCode,
    severity: Annotated[
        str | None,
        typer.Option("--severity", help="low, medium, high or critical (default: the kind's)."),
    ] = None,
    source: Annotated[str, typer.Option("--source", help="Who says so.")] = "manual",
    ref: Annotated[
        str | None, typer.Option("--ref", help="The source's own id of the signal.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="What the signal says.")] = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Record a risk alert on a customer (the same --source and --ref again: the same alert)."""
    data = checked(
        AlertIn,
        kind=kind,
        severity=severity,
        observed_on=parse_date("observed_on", observed_on),
        source=source,
        external_ref=ref,
        note=note,
    )
    with opened(database_url) as db, db.write() as session:
        actor = acting(session, company, user)
        target = customers.get_by_code(session, actor, customer, field="customer")
        made = service.record(session, actor, target.id, data, SystemClock())
    _show([made], lang, as_json=as_json)


@alert_app.command("list")
def list_alerts(  # noqa: PLR0913 - one parameter per option
    *,
    company: CompanyCode,
    status: Annotated[Status | None, typer.Option("--status", help="open or closed.")] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's (code).")
    ] = None,
    severity: Annotated[
        Severity | None, typer.Option("--severity", help="Only this severity.")
    ] = None,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Risk alerts, newest first."""
    with opened(database_url) as db, db.read() as session:
        actor = acting(session, company, user)
        customer_id = None
        if customer is not None:
            customer_id = customers.get_by_code(session, actor, customer, field="customer").id
        rows = service.list_alerts(
            session, actor, status=status, customer_id=customer_id, severity=severity
        )
    _show(rows, lang, as_json=as_json)


@alert_app.command("close")
def close(  # noqa: PLR0913 - one parameter per option
    *,
    alert_id: AlertId,
    note: Annotated[str, typer.Option("--note", help="Why it is closed (required).")],
    company: CompanyCode,
    user: UserOption = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Close an open alert, with a note: the review no longer reads it."""
    data = checked(CloseIn, note=note)
    with opened(database_url) as db, db.write() as session:
        closed = service.close(session, acting(session, company, user), alert_id, data,
                               SystemClock())  # fmt: skip
    _show([closed], lang, as_json=as_json)
