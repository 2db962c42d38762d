"""Held-order decisions tell the requester: an e-mail (SMTP) and a signed webhook (HTTP)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from creditguard.config import Settings
from creditguard.core.permissions import Actor
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, WebhookIn
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import UserIn
from creditguard.models import Notification
from tests import builders as b
from tests.credit import helpers as h

SECRET = "whsec_0123456789abcdef0123456789"


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every message lands in ``server.messages``."""

    def _say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._say("220 sink")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self._say("250 sink")
            elif command == "DATA":
                self._say("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.messages.append(data)  # type: ignore[attr-defined]
                self._say("250 queued")
            elif command == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


class _Hooks(BaseHTTPRequestHandler):
    """An ERP's receiver: verifies the signature over the raw body, 401 when it fails."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(expected, self.headers["X-Creditguard-Signature"])
        self.server.seen.append((good, dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(204 if good else 401)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def sinks() -> Iterator[tuple[Any, Any]]:
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    smtp.messages = []  # type: ignore[attr-defined]
    http = HTTPServer(("127.0.0.1", 0), _Hooks)
    http.seen = []  # type: ignore[attr-defined]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (smtp, http)]
    for thread in threads:
        thread.start()
    yield smtp, http
    for server in (smtp, http):
        server.shutdown()
        server.server_close()


def _held(db: Database) -> tuple[Actor, Actor, int]:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    with db.write() as session:
        sales = identity.add_user(
            session,
            actor.company_id,
            UserIn(
                email="li.na@acme.cn",
                display_name="李娜",
                password="correct horse battery",
                role="sales",
            ),
            b.clock(),
        )
    requester = Actor(actor.company_id, f"user:{sales.id}", "sales")
    data = CheckIn(customer_ref="C1", amount="99.00", currency="CNY", order_ref="SO-7")
    with db.write() as session:
        out = service.run_check(session, requester, data, b.clock())
    assert out.decision == "held"
    return actor, requester, out.check_id


def test_release_emails_the_requester_and_posts_a_signed_webhook(
    db: Database, sinks: tuple[Any, Any]
) -> None:
    smtp, http = sinks
    manager, _, check_id = _held(db)
    url = f"http://127.0.0.1:{http.server_address[1]}/hook"
    with db.write() as session:
        service.add_webhook(
            session,
            manager,
            WebhookIn(url=url, secret=SECRET, events=["credit_check.released"]),
            b.clock(),
        )
        service.add_webhook(
            session,
            manager,
            WebhookIn(url=url + "/other", secret=SECRET, events=["credit_check.rejected"]),
            b.clock(),
        )
        service.decide_held(
            session, manager, check_id, verdict="release", note="ok", clock=b.clock()
        )
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp.server_address[1])
    report = service.send_pending(db, settings, b.clock())
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    assert len(smtp.messages) == 1
    mail = message_from_bytes(smtp.messages[0], policy=policy.default)
    assert (mail["To"], mail["Subject"]) == (
        "li.na@acme.cn",
        "订单 SO-7 信用审核已放行 / Order SO-7 released",
    )
    ((good, headers, body),) = http.seen
    assert good
    assert headers["X-Creditguard-Event"] == "credit_check.released"
    assert json.loads(body) == {
        "event": "credit_check.released",
        "occurred_at": "2026-11-22T01:30:00+00:00",
        "check_id": check_id,
        "order_ref": "SO-7",
        "customer_ref": "C1",
        "amount": "99.00",
        "currency": "CNY",
        "status": "released",
        "requested_by": "user:1",
        "decided_by": "user:test",
        "note": "ok",
    }
    with db.read() as session:
        rows = session.execute(
            select(Notification.channel, Notification.status, Notification.attempts)
        ).all()
    assert sorted(tuple(r) for r in rows) == [("email", "sent", 1), ("webhook", "sent", 1)]


def test_a_tampered_body_fails_the_receivers_check(sinks: tuple[Any, Any]) -> None:
    _, http = sinks
    body = b'{"event":"credit_check.released","amount":"99.00"}'
    signature = service.sign(SECRET, body)
    assert signature == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    import httpx

    url = f"http://127.0.0.1:{http.server_address[1]}/hook"
    tampered = body.replace(b"99.00", b"9900.00")
    headers = {"X-Creditguard-Signature": signature}
    assert httpx.post(url, content=body, headers=headers).status_code == 204
    assert httpx.post(url, content=tampered, headers=headers).status_code == 401


def test_failed_deliveries_retry_then_fail_with_the_error(db: Database) -> None:
    manager, _, check_id = _held(db)
    with db.write() as session:
        service.add_webhook(
            session,
            manager,
            WebhookIn(
                url="http://127.0.0.1:9/closed", secret=SECRET, events=["credit_check.rejected"]
            ),
            b.clock(),
        )
        service.decide_held(
            session, manager, check_id, verdict="reject", note="no", clock=b.clock()
        )
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=9, notify_max_attempts=2, notify_timeout_seconds=1
    )
    first = service.send_pending(db, settings, b.clock())
    assert (first.sent, first.retrying, first.failed) == (0, 2, 0)
    second = service.send_pending(db, settings, b.clock())
    assert (second.sent, second.retrying, second.failed) == (0, 0, 2)
    with db.read() as session:
        rows = session.execute(
            select(Notification.status, Notification.attempts, Notification.last_error)
        ).all()
    assert [(r[0], r[1]) for r in rows] == [("failed", 2), ("failed", 2)]
    assert all("ConnectionRefused" in str(r[2]) or "ConnectError" in str(r[2]) for r in rows)
    assert service.send_pending(db, settings, b.clock()).failed == 0
