"""Risk alerts (风险预警信号): record, list, close — each write audited.

Anyone with ``alerts:write`` records an alert on a customer of the company: a credit manager
(source ``manual``) or a feed — a data provider, the ERP — under its own source name and
``external_ref``. A feed sending the same signal again gets the alert it made the first time
and nothing is written (not even an audit entry); the same reference with other content is a
conflict naming ``external_ref``. The nightly limit review reads the open alerts
(:mod:`creditguard.core.review`); closing one, with a note, takes it out of the review.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from creditguard.alerts import repository as repo
from creditguard.alerts.schemas import AlertIn, AlertOut, CloseIn, LabelOut
from creditguard.audit import service as audit
from creditguard.clock import Clock, business_today
from creditguard.core.alerts import default_severity, kind_label, severity_label
from creditguard.core.errors import Conflict, NotFound, Problem, invalid
from creditguard.core.permissions import Actor, require
from creditguard.customers import service as customers
from creditguard.identity import service as identity
from creditguard.models import Customer, RiskAlert

LIMIT = 1000  # a list answers at most this many alerts


def alert_out(row: RiskAlert, code: str) -> AlertOut:
    kind_zh, kind_en = kind_label(row.kind)
    severity_zh, severity_en = severity_label(row.severity)
    return AlertOut(
        id=row.id,
        customer_id=row.customer_id,
        customer_ref=code,
        kind=row.kind,
        kind_label=LabelOut(zh=kind_zh, en=kind_en),
        severity=row.severity,
        severity_label=LabelOut(zh=severity_zh, en=severity_en),
        observed_on=row.observed_on,
        recorded_on=row.recorded_on,
        source=row.source,
        external_ref=row.external_ref,
        note=row.note,
        status=row.status,
        created_at=row.created_at,
        created_by=row.created_by,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        close_note=row.close_note,
    )


def _today(session: Session, actor: Actor, clock: Clock) -> date:
    return business_today(clock, identity.require_company(session, actor.company_id).timezone)


def _content(row: RiskAlert) -> dict[str, Any]:
    """What a feed's signal says: compared when the same reference comes again."""
    return {"customer_id": row.customer_id, "kind": row.kind, "severity": row.severity,
            "observed_on": row.observed_on, "note": row.note}  # fmt: skip


def _same(found: RiskAlert, wanted: RiskAlert, code: str) -> AlertOut:
    """The alert a signal sent again made the first time; other content: a conflict."""
    before, now = _content(found), _content(wanted)
    differ = [name for name in before if before[name] != now[name]]
    if differ:
        names = ", ".join(differ)
        raise Conflict.of(
            "external_ref",
            found.external_ref,
            "state",
            reason=f"alert {found.id} of source {found.source} has this reference with "
            f"another {names}; a signal is never edited: close it and send a new reference",
            reason_zh=f"来源 {found.source} 的预警 {found.id} 已使用该编号，但 {names} 不同；"
            "预警不可修改：请关闭后以新编号发送",
        )
    return alert_out(found, code)  # the same customer: it is part of the content


def _create_event(row: RiskAlert) -> audit.Event:
    body = {"alert_id": row.id, "kind": row.kind, "severity": row.severity,
            "observed_on": row.observed_on, "source": row.source,
            "external_ref": row.external_ref, "note": row.note}  # fmt: skip
    return audit.Event("alert.create", f"customer:{row.customer_id}", body)


def _new_row(actor: Actor, customer: Customer, data: AlertIn, today: date) -> RiskAlert:
    return RiskAlert(
        company_id=actor.company_id,
        customer_id=customer.id,
        kind=data.kind,
        severity=data.severity or default_severity(data.kind),
        observed_on=data.observed_on,
        recorded_on=today,
        source=data.source,
        external_ref=data.external_ref,
        note=data.note,
        status="open",
        created_by=actor.principal,
    )


def record(
    session: Session, actor: Actor, customer_id: int, data: AlertIn, clock: Clock
) -> AlertOut:
    """Record an alert on a customer (audited); a signal sent again: the alert it made."""
    require(actor, "alerts:write")
    customer = customers.get(session, actor, customer_id)
    today = _today(session, actor, clock)
    if data.observed_on > today:
        raise invalid(
            "observed_on",
            data.observed_on.isoformat(),
            "invalid",
            reason=f"an event cannot be observed after today ({today})",
            reason_zh=f"事件发生日不能晚于今天（{today}）",
        )
    row = _new_row(actor, customer, data, today)
    row.created_at = clock.now()
    if data.external_ref is not None:
        found = repo.by_external_ref(session, actor.company_id, data.source, data.external_ref)
        if found is not None:
            return _same(found, row, customer.code)
    if not repo.add(session, row):  # a concurrent feed sent it first
        found = repo.by_external_ref(session, actor.company_id, data.source, str(row.external_ref))
        if found is None:  # pragma: no cover - the unique index said it exists
            raise RuntimeError("external_ref taken but not found")
        return _same(found, row, customer.code)
    audit.record(session, actor.company_id, actor.principal, _create_event(row), row.created_at)
    return alert_out(row, customer.code)


def list_alerts(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    severity: str | None = None,
    limit: int = 100,
) -> list[AlertOut]:
    """Alerts newest first, filtered; a customer of another company: not found."""
    require(actor, "alerts:read")
    if customer_id is not None:
        customers.get(session, actor, customer_id)
    filters = {"status": status, "customer_id": customer_id, "severity": severity}
    rows = repo.list_alerts(session, actor.company_id, filters=filters, limit=min(limit, LIMIT))
    codes = repo.customer_codes(session, actor.company_id, [r.customer_id for r in rows])
    return [alert_out(r, codes[r.customer_id]) for r in rows]


def _found(session: Session, actor: Actor, alert_id: int) -> RiskAlert:
    row = repo.get(session, actor.company_id, alert_id)
    if row is None:
        kind = {"kind": "risk alert", "kind_zh": "风险预警"}
        raise NotFound([Problem("id", alert_id, "not_found", kind)])
    return row


def _already_closed(row: RiskAlert) -> Conflict:
    return Conflict.of(
        "status",
        row.status,
        "state",
        reason=f"alert {row.id} is already closed",
        reason_zh=f"预警 {row.id} 已关闭",
    )


def get(session: Session, actor: Actor, alert_id: int) -> AlertOut:
    require(actor, "alerts:read")
    row = _found(session, actor, alert_id)
    codes = repo.customer_codes(session, actor.company_id, [row.customer_id])
    return alert_out(row, codes[row.customer_id])


def close(session: Session, actor: Actor, alert_id: int, data: CloseIn, clock: Clock) -> AlertOut:
    """Close an open alert with a note (audited); a closed one: a conflict."""
    require(actor, "alerts:write")
    row = _found(session, actor, alert_id)
    if row.status != "open":
        raise _already_closed(row)
    at = clock.now()
    values = {"closed_at": at, "closed_by": actor.principal, "close_note": data.note}
    if not repo.close(session, actor.company_id, alert_id, values):
        session.refresh(row)
        raise _already_closed(row)  # closed meanwhile by someone else
    session.refresh(row)
    body = {"alert_id": row.id, "note": data.note}
    event = audit.Event("alert.close", f"customer:{row.customer_id}", body)
    audit.record(session, actor.company_id, actor.principal, event, at)
    return get(session, actor, alert_id)
