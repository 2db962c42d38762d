"""API keys of each role, and a customer C-1 (with a child C-2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from creditguard.api.app import create_app
from creditguard.config import Settings
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn
from tests import builders as b

Headers = dict[str, str]
# name -> role; two credit managers and two approvers, to tell requester from decider
PEOPLE = {
    "sales": "sales",
    "manager": "credit_manager",
    "manager2": "credit_manager",
    "cfo": "approver",
    "cfo2": "approver",
    "admin": "admin",
    "viewer": "viewer",
}


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock(), Settings())) as test_client:
        yield test_client


def login(db: Database, company_id: int, name: str, role: str) -> Headers:
    """An API key acting with ``role`` (principal ``key:<id>``): quicker than a password."""
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, company_id, ApiKeyIn(name=name, role=role), b.clock()
        )
    return {"X-API-Key": secret}


@pytest.fixture
def users(db: Database, client: TestClient) -> dict[str, Headers]:
    actor = b.company(db)
    b.customer(db, actor, code="C-1")
    b.customer(db, actor, code="C-2", parent="C-1")
    return {name: login(db, actor.company_id, name, role) for name, role in PEOPLE.items()}
