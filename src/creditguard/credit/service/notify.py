"""Telling the requester about held-order decisions: an e-mail and signed webhooks (outbox).

A decision writes ``notifications`` rows in its own transaction: an e-mail to the requesting
user's address (when a user asked), and one webhook delivery per active webhook subscribed to
the event. :func:`send_pending` delivers them later (``creditguard notify send``, or the daily
cycle): SMTP for e-mail, an HTTP POST for webhooks, with a short timeout and bounded retries;
each row ends ``sent`` or, after ``max_attempts``, ``failed`` with ``last_error``.

Webhook signature: ``X-Creditguard-Signature: sha256=<hex>`` where ``<hex>`` is the
HMAC-SHA256 of the raw request body with the webhook's secret. ``X-Creditguard-Timestamp``
(Unix seconds of the send) and ``X-Creditguard-Delivery`` (the notification id, stable across
retries: deduplicate on it) come with it; the body carries ``occurred_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import httpx
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.config import Settings
from creditguard.core.errors import invalid
from creditguard.core.money import Money
from creditguard.core.permissions import Actor, require
from creditguard.credit import repository as repo
from creditguard.credit.schemas import WebhookIn, WebhookOut
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.models import CreditCheck, Notification, Webhook

SIGNATURE = "X-Creditguard-Signature"
TIMESTAMP = "X-Creditguard-Timestamp"
DELIVERY = "X-Creditguard-Delivery"
EVENT = "X-Creditguard-Event"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + HMAC-SHA256(secret, raw body) in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute the signature over the raw body, compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header)


# --- writing the outbox (in the deciding transaction) ---

_VERDICT = {"released": ("released", "已放行"), "rejected": ("rejected", "已拒绝")}


def tell_requester(session: Session, row: CreditCheck, customer_code: str, now: datetime) -> None:
    """Queue an e-mail to the requesting user and a delivery per subscribed webhook."""
    event = f"credit_check.{row.status}"
    en, zh = _VERDICT[row.status]
    amount = Money(row.amount_minor, row.currency)
    payload = {
        "event": event,
        "occurred_at": now.isoformat(),
        "check_id": row.id,
        "order_ref": row.order_ref,
        "customer_ref": customer_code,
        "amount": amount.decimal_string(),
        "currency": row.currency,
        "status": row.status,
        "requested_by": row.requested_by,
        "decided_by": row.decided_by,
        "note": row.decision_note,
    }
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    subject = f"订单 {row.order_ref} 信用审核{zh} / Order {row.order_ref} {en}"
    principal, _, user_id = row.requested_by.partition(":")
    if principal == "user" and user_id.isdigit():
        user = identity.get_user(session, row.company_id, int(user_id))
        if user is not None:
            text = (
                f"订单 {row.order_ref}（客户 {customer_code}，{amount}）的信用审核{zh}，"
                f"处理人 {row.decided_by}，备注：{row.decision_note}\n\n"
                f"Order {row.order_ref} (customer {customer_code}, {amount}) was {en} by "
                f"{row.decided_by}. Note: {row.decision_note}\n"
            )
            session.add(
                _row(
                    row.company_id,
                    "email",
                    user.email,
                    event=event,
                    subject=subject,
                    body=text,
                    webhook_id=None,
                    now=now,
                )
            )
    for hook in repo.webhooks(session, row.company_id):
        if hook.active and event in hook.events.split(","):
            session.add(
                _row(
                    row.company_id,
                    "webhook",
                    hook.url,
                    event=event,
                    subject=None,
                    body=body,
                    webhook_id=hook.id,
                    now=now,
                )
            )
    session.flush()


def _row(  # noqa: PLR0913 - keyword-only beyond the first three
    company_id: int,
    channel: str,
    target: str,
    *,
    event: str,
    subject: str | None,
    body: str,
    webhook_id: int | None,
    now: datetime,
) -> Notification:
    return Notification(
        company_id=company_id,
        channel=channel,
        target=target,
        event=event,
        subject=subject,
        body=body,
        webhook_id=webhook_id,
        status="pending",
        attempts=0,
        created_at=now,
    )


# --- webhooks ---


def _webhook_out(row: Webhook) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        url=row.url,
        events=row.events.split(","),
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def add_webhook(session: Session, actor: Actor, data: WebhookIn, clock: Clock) -> WebhookOut:
    """Register where the ERP is told of decisions; the secret signs every delivery."""
    require(actor, "credit:policy")
    if repo.webhook_by_url(session, actor.company_id, data.url) is not None:
        raise invalid(
            "url",
            data.url,
            "duplicate",
            kind="webhook",
        )
    row = Webhook(
        company_id=actor.company_id,
        url=data.url,
        secret=data.secret,
        events=",".join(sorted(set(data.events))),
        active=True,
        created_at=clock.now(),
        created_by=actor.principal,
    )
    session.add(row)
    session.flush()
    return _webhook_out(row)


def list_webhooks(session: Session, actor: Actor) -> list[WebhookOut]:
    require(actor, "credit:policy")
    return [_webhook_out(row) for row in repo.webhooks(session, actor.company_id)]


# --- sending ---


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    channel: str
    target: str
    event: str
    subject: str | None
    body: str
    secret: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int
    retrying: int
    failed: int


def _email(settings: Settings, item: Delivery) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = item.target
    message["Subject"] = item.subject or item.event
    message.set_content(item.body)
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_seconds
    ) as smtp:
        smtp.send_message(message)


def _post(client: httpx.Client, item: Delivery, clock: Clock) -> None:
    body = item.body.encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE: sign(item.secret or "", body),
        TIMESTAMP: str(int(clock.now().timestamp())),
        DELIVERY: str(item.id),
        EVENT: item.event,
    }
    response = client.post(item.target, content=body, headers=headers)
    if response.status_code >= 300:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")


def send_pending(db: Database, settings: Settings, clock: Clock, limit: int = 500) -> SendReport:
    """Deliver pending notifications; no transaction is held while talking to the network."""
    with db.write() as session:
        items = []
        for row in repo.pending_notifications(session, limit):
            hook = None if row.webhook_id is None else repo.webhook(session, row.webhook_id)
            secret = None if hook is None else hook.secret
            items.append(
                Delivery(
                    row.id,
                    row.channel,
                    row.target,
                    row.event,
                    row.subject,
                    row.body,
                    secret,
                    row.attempts,
                )
            )
    outcomes: dict[int, str | None] = {}
    with httpx.Client(timeout=settings.notify_timeout_seconds) as client:
        for item in items:
            try:
                if item.channel == "email":
                    _email(settings, item)
                else:
                    _post(client, item, clock)
                outcomes[item.id] = None
            except (OSError, httpx.HTTPError, smtplib.SMTPException, RuntimeError) as error:
                outcomes[item.id] = f"{type(error).__name__}: {error}"[:1000]
    sent = retrying = failed = 0
    with db.write() as session:
        for item in items:
            stored = session.get(Notification, item.id)
            if stored is None or stored.status != "pending":
                continue
            stored.attempts += 1
            problem = outcomes[item.id]
            if problem is None:
                stored.status, stored.sent_at, stored.last_error = "sent", clock.now(), None
                sent += 1
            else:
                stored.last_error = problem
                if stored.attempts >= settings.notify_max_attempts:
                    stored.status = "failed"
                    failed += 1
                else:
                    retrying += 1
    return SendReport(sent, retrying, failed)
