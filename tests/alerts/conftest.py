"""API keys of each role in ACME (customers C-1, C-2) and a second company OTHER (customer X-1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from creditguard.api.app import create_app
from creditguard.config import Settings
from creditguard.db import Database
from creditguard.models import AuditEntry, RiskAlert
from tests import builders as b
from tests.limits.conftest import Headers, login

ROLES = ("credit_manager", "erp_client", "collector", "approver", "sales", "viewer")


@dataclass(frozen=True, slots=True)
class World:
    """Who calls (by role, in ACME; ``other``: OTHER's credit manager) and the customer ids."""

    keys: dict[str, Headers]
    other: Headers
    customers: dict[str, int]


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock(), Settings())) as test_client:
        yield test_client


@pytest.fixture
def world(db: Database, client: TestClient) -> World:
    acme = b.company(db)
    ids = {code: b.customer(db, acme, code=code) for code in ("C-1", "C-2")}
    other = b.company(db, code="OTHER")
    ids["X-1"] = b.customer(db, other, code="X-1")
    keys = {role: login(db, acme.company_id, role, role) for role in ROLES}
    return World(keys, login(db, other.company_id, "other", "credit_manager"), ids)


def counts(db: Database) -> tuple[int, int]:
    """Alerts and audit entries, every company."""
    with db.read() as session:
        alerts = session.scalar(select(func.count()).select_from(RiskAlert))
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    return int(alerts or 0), int(entries or 0)
