"""The in-process credential cache: bounded, never past a token's expiry, off with 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from creditguard.api.app import create_app
from creditguard.api.deps import CredentialCache
from creditguard.config import Settings
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import ApiKeyIn
from creditguard.models import ApiKey
from tests import builders as b

T0 = datetime(2026, 11, 22, tzinfo=UTC)
ACTOR = Actor(1, "user:1", "viewer")


def test_entry_lives_ttl_at_most_and_never_past_the_token() -> None:
    cache = CredentialCache(ttl=10)
    cache.put(b"a", ACTOR, T0, None)
    cache.put(b"b", ACTOR, T0, T0 + timedelta(seconds=3))
    at = T0 + timedelta(seconds=3)
    assert (cache.get(b"a", at), cache.get(b"b", at)) == (ACTOR, None)
    assert cache.get(b"a", T0 + timedelta(seconds=10)) is None


def test_size_is_bounded_and_zero_ttl_caches_nothing() -> None:
    cache = CredentialCache(ttl=10, size=2)
    for key in (b"1", b"2", b"3"):
        cache.put(key, ACTOR, T0, None)
    assert [cache.get(k, T0) for k in (b"1", b"2", b"3")] == [None, ACTOR, ACTOR]
    off = CredentialCache(ttl=0)
    off.put(b"x", ACTOR, T0, None)
    assert off.get(b"x", T0) is None


def _revoke_all(db: Database) -> None:
    with db.write() as session:
        session.execute(update(ApiKey).values(revoked_at=b.NOW))


def test_revoked_key_is_refused_once_the_cache_interval_has_passed(db: Database) -> None:
    actor = b.company(db)
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, actor.company_id, ApiKeyIn(name="ERP"), b.clock()
        )
    clock = b.clock()
    headers = {"X-API-Key": secret}
    with TestClient(create_app(db, clock, Settings(auth_cache_seconds=10))) as client:
        assert client.get("/api/v1/customers", headers=headers).status_code == 200
        _revoke_all(db)
        assert client.get("/api/v1/customers", headers=headers).status_code == 200  # cached
        clock.advance(timedelta(seconds=10))
        assert client.get("/api/v1/customers", headers=headers).status_code == 401


def test_without_cache_a_revoked_key_is_refused_at_once(db: Database) -> None:
    actor = b.company(db)
    with db.write() as session:
        _, secret = identity.create_api_key(
            session, actor.company_id, ApiKeyIn(name="ERP"), b.clock()
        )
    headers = {"X-API-Key": secret}
    with TestClient(create_app(db, b.clock(), Settings(auth_cache_seconds=0))) as client:
        assert client.get("/api/v1/customers", headers=headers).status_code == 200
        _revoke_all(db)
        assert client.get("/api/v1/customers", headers=headers).status_code == 401
