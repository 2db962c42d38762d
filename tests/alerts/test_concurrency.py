"""Two feeds sending the same signal at the same time: one alert, one audit entry."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditguard.alerts import repository, service
from creditguard.alerts.schemas import AlertIn
from creditguard.db import Database
from creditguard.models import RiskAlert
from tests import builders as b
from tests.alerts.conftest import counts

SIGNAL = AlertIn(kind="litigation", observed_on=date(2026, 11, 20), source="qichacha",
                 external_ref="QCC-7")  # fmt: skip


def _race(db: Database) -> tuple[int, Any]:
    """A records the signal and holds its transaction open while B sends the same signal;
    then A commits. A's alert id, and B's answer (or the error B met)."""
    actor = b.company(db)
    customer = b.customer(db, actor, code="C1")
    found: dict[str, Any] = {}

    def second() -> None:
        try:
            with db.write() as session:
                found["b"] = service.record(session, actor, customer, SIGNAL, b.clock()).id
        except IntegrityError as error:
            found["b"] = error

    with db.write() as session:
        first = service.record(session, actor, customer, SIGNAL, b.clock()).id
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # B reaches the insert (PostgreSQL) or BEGIN IMMEDIATE (SQLite) and waits
    racer.join(timeout=30)
    assert not racer.is_alive()
    return first, found["b"]


def test_the_same_signal_at_once_is_one_alert(db: Database) -> None:
    first, second = _race(db)
    assert second == first
    assert counts(db) == (1, 1)


def _naive_add(session: Session, row: RiskAlert) -> bool:
    session.add(row)
    session.flush()
    return True


def test_broken_without_the_savepoint_the_second_feed_fails(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: the second feed never meets the first's insert")
    monkeypatch.setattr(repository, "add", _naive_add)
    first, second = _race(db)
    assert isinstance(second, IntegrityError)
    assert counts(db) == (1, 1)
    assert first == 1
