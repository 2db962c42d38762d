"""Idempotency keys claimed together (identity.claim_many, the credit check fast path's): each
outcome is the one identity.claim gives alone, and only new keys are claimed in one go."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from creditguard.core.errors import Conflict, InvalidInput
from creditguard.core.permissions import Actor
from creditguard.db import Database, direct
from creditguard.identity import repository as identity_repo
from creditguard.identity import service as identity
from creditguard.identity.service import Claim, IdempotentRequest, Replay
from creditguard.models import IdempotencyRecord
from tests import builders as b
from tests.credit.test_round_trips import _round_trips

STALE = timedelta(minutes=5)


def asked(actor: Actor, key: str, body: bytes = b"{}") -> IdempotentRequest:
    fingerprint = identity.request_fingerprint("POST", "/credit-checks", body)
    return IdempotentRequest(actor, key, "POST", "/credit-checks", fingerprint)


def records(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


def test_new_keys_are_claimed_together_and_old_ones_as_alone(db: Database) -> None:
    actor = b.company(db)
    done = identity.claim(db.engine, asked(actor, "k-done"), b.clock(), STALE)
    assert isinstance(done, Claim)
    with db.write() as session:
        identity.finish(session, done, status_code=200, body='{"ok": 1}', clock=b.clock())
    running = identity.claim(db.engine, asked(actor, "k-running"), b.clock(), STALE)
    assert isinstance(running, Claim)
    outcomes = identity.claim_many(
        db.engine,
        [
            asked(actor, "k-1"),
            asked(actor, "k-done"),  # done: its response
            asked(actor, "k-done", b'{"other": 1}'),  # another body: 422
            asked(actor, "k-running"),  # still running: 409
            asked(actor, "k-2"),
            asked(actor, "k-1"),  # twice among these: the first runs, this one waits (409)
        ],
        b.clock(),
        STALE,
    )
    kinds = [type(outcome).__name__ for outcome in outcomes]
    assert kinds == ["Claim", "Replay", "InvalidInput", "Conflict", "Claim", "Conflict"]
    assert outcomes[1] == Replay(200, '{"ok": 1}')
    assert isinstance(outcomes[2], InvalidInput)
    assert outcomes[2].problems[0].code == "idempotency_mismatch"
    assert isinstance(outcomes[3], Conflict)
    assert records(db) == 4  # k-done, k-running, k-1, k-2
    first, second = outcomes[0], outcomes[4]
    assert isinstance(first, Claim)
    assert isinstance(second, Claim)
    assert first.record_id != second.record_id
    with db.write() as session:  # each claim is its own: it can be finished
        identity.finish(session, first, status_code=200, body="{}", clock=b.clock())
        identity.finish(session, second, status_code=200, body="{}", clock=b.clock())


def test_the_same_keys_of_two_callers_are_two_claims(db: Database) -> None:
    actor = b.company(db)
    other = Actor(actor.company_id, "user:other", actor.role)
    outcomes = identity.claim_many(
        db.engine, [asked(actor, "k-1"), asked(other, "k-1")], b.clock(), STALE
    )
    assert [type(outcome).__name__ for outcome in outcomes] == ["Claim", "Claim"]
    assert records(db) == 2


def test_claiming_nothing_claims_nothing(db: Database) -> None:
    assert identity.claim_many(db.engine, [], b.clock(), STALE) == []
    assert records(db) == 0


def test_responses_are_stored_together_and_replayed(db: Database) -> None:
    actor = b.company(db)
    keys = ["k-1", "k-2", "k-3"]
    claims = identity.claim_many(db.engine, [asked(actor, k) for k in keys], b.clock(), STALE)
    done = [(c, f'{{"n": {n}}}') for n, c in enumerate(claims) if isinstance(c, Claim)]
    assert len(done) == 3
    with db.write() as session:
        identity.finish_many(session, done, status_code=200, clock=b.clock())
    again = identity.claim_many(db.engine, [asked(actor, k) for k in keys], b.clock(), STALE)
    assert again == [Replay(200, '{"n": 0}'), Replay(200, '{"n": 1}'), Replay(200, '{"n": 2}')]


def test_a_claim_whose_lease_no_longer_holds_is_refused(db: Database) -> None:
    """As identity.finish: a response is stored only under the lease that claimed it."""
    actor = b.company(db)
    claims = identity.claim_many(
        db.engine, [asked(actor, "k-1"), asked(actor, "k-2")], b.clock(), STALE
    )
    first, second = claims
    assert isinstance(first, Claim)
    assert isinstance(second, Claim)
    lost = Claim(second.record_id, second.lease + 1)  # taken over by another request
    with pytest.raises(Conflict), db.write() as session:
        identity.finish_many(
            session, [(first, "{}"), (lost, "{}")], status_code=200, clock=b.clock()
        )
    with db.read() as session:  # rolled back with the unit of work: both still running
        states = session.scalars(select(IdempotencyRecord.state).order_by(IdempotencyRecord.id))
        assert list(states) == ["in_flight", "in_flight"]


def test_new_keys_are_claimed_in_one_round_trip_on_postgresql(db: Database) -> None:
    """BEGIN, the transaction's id (taken first, as every writer's), one INSERT ... ON
    CONFLICT DO NOTHING for every key, and the COMMIT, sent together; the records are those
    claim gives alone (in flight, the request's hash)."""
    if db.dialect != "postgresql":
        pytest.skip("round trips are PostgreSQL's; SQLite runs in this process")
    actor = b.company(db)
    identity.claim_many(db.engine, [asked(actor, "warm")], b.clock(), STALE)  # compiled once
    with _round_trips() as trips:
        claims = identity.claim_many(
            db.engine, [asked(actor, f"k-{n}") for n in range(3)], b.clock(), STALE
        )
    assert trips == [["begin", "take id", "claim", "commit"]]
    assert all(isinstance(claim, Claim) for claim in claims)
    with db.read() as session:
        made = session.execute(
            select(IdempotencyRecord.key, IdempotencyRecord.state, IdempotencyRecord.request_hash)
            .where(IdempotencyRecord.key != "warm")
            .order_by(IdempotencyRecord.key)
        ).all()
    fingerprint = asked(actor, "k-0").fingerprint
    assert made == [(f"k-{n}", "in_flight", fingerprint) for n in range(3)]


def test_claims_inserted_together_share_their_time(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite inserts one row after another")
    actor = b.company(db)
    rows = [
        identity._claim_row(asked(actor, "k-1"), 1, b.clock().now()),
        identity._claim_row(asked(actor, "k-2"), 2, b.clock().now() + timedelta(seconds=1)),
    ]
    with (
        pytest.raises(ValueError, match="share their state and creation time"),
        db.write() as session,
    ):
        identity_repo.claim_idempotency_many(session, rows)
    assert records(db) == 0


def test_keys_claimed_in_a_unit_of_work_are_its_own_and_commit_with_it(db: Database) -> None:
    """identity.claim_in: new keys claimed in the unit's transaction (sent with its first
    round trip on PostgreSQL), in key order whatever the order asked (two units claiming the
    same keys wait for each other in one order); a key there already, or twice, is not; a
    request without a key has no claim. Rolled back, nothing is claimed."""
    actor = b.company(db)
    there = identity.claim(db.engine, asked(actor, "k-there"), b.clock(), STALE)
    assert isinstance(there, Claim)
    requests = [
        asked(actor, "k-c"),
        None,
        asked(actor, "k-a"),
        asked(actor, "k-there"),
        asked(actor, "k-b"),
        asked(actor, "k-a"),
    ]
    with db.write() as session:
        unit = identity.claim_in(session, requests, b.clock())
        session.execute(select(1))  # the unit's first round trip
        claims = unit.claims()
    assert claims is not None
    assert [claim is not None for claim in claims] == [True, False, True, False, True, False]
    with db.read() as session:
        made = session.execute(
            select(IdempotencyRecord.key, IdempotencyRecord.id, IdempotencyRecord.lease)
            .where(IdempotencyRecord.key != "k-there")
            .order_by(IdempotencyRecord.id)
        ).all()
    assert [key for key, _, _ in made] == ["k-a", "k-b", "k-c"]  # inserted in key order
    ids = {key: Claim(record_id, lease) for key, record_id, lease in made}
    assert claims == [ids["k-c"], None, ids["k-a"], None, ids["k-b"], None]
    sent: list[bool] = []

    def failing() -> None:
        with db.write() as session:
            unit = identity.claim_in(session, [asked(actor, "k-gone")], b.clock())
            session.execute(select(1))
            sent.append(unit.claims() is not None)
            raise RuntimeError("the unit fails")

    with pytest.raises(RuntimeError):
        failing()
    assert (sent, records(db)) == ([True], 4)  # k-gone's claim rolled back with its unit


def test_keys_claimed_in_a_unit_that_sends_nothing_are_not_claimed(db: Database) -> None:
    """PostgreSQL: the claims wait for the unit's first round trip; a unit that ends before
    sending any leaves them unsent (claims() is None) and claims nothing."""
    actor = b.company(db)
    with db.write() as session:
        unit = identity.claim_in(session, [asked(actor, "k-1")], b.clock())
    if db.dialect == "postgresql":
        assert unit.claims() is None
        assert records(db) == 0
    else:  # SQLite claims at once
        assert unit.claims() is not None
        assert records(db) == 1


def _stored(db: Database) -> list[tuple[str, str, str | None]]:
    with db.read() as session:
        rows = session.execute(
            select(
                IdempotencyRecord.key, IdempotencyRecord.state, IdempotencyRecord.response_body
            ).order_by(IdempotencyRecord.key)
        ).all()
    return [(key, state, body) for key, state, body in rows]


def _finish_with_commit(db: Database, done: list[tuple[IdempotentRequest, Claim, str]]) -> None:
    with db.write() as session:
        step = identity.finish_step(done, status_code=200, clock=b.clock())
        direct.rows_together(session, [step], commit=True)


def _unguarded() -> Any:
    """The broken variant of the responses' statement: stored whatever the lease."""
    written = identity_repo.written_responses()
    stored = written.on_conflict_do_update(
        index_elements=["company_id", "principal", "key"],
        set_={"state": "done", "response_body": written.excluded.response_body},
    )
    table = IdempotencyRecord.__table__
    return identity_repo._all_stored(stored.returning(table.c.id).cte("stored"))


@pytest.mark.parametrize("broken", [False, True])
def test_responses_with_the_commit_are_stored_only_while_every_lease_holds(
    db: Database, monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """identity.finish_step (the fast path's responses, sent with its rows and COMMIT): a key
    another request took over (its lease changed) fails the statement, and the COMMIT after
    it does not run: nothing stored, for that key or any other. With every lease holding,
    each response is stored under its key. The broken variant, which ignores the lease,
    overwrites the other request's key and commits."""
    if db.dialect != "postgresql":
        pytest.skip("the statement is PostgreSQL's (SQLite stores the responses one by one)")
    if broken:
        monkeypatch.setattr(identity_repo, "_finish_claimed", _unguarded)
    actor = b.company(db)
    one, other = asked(actor, "k-1"), asked(actor, "k-2")
    first = identity.claim(db.engine, one, b.clock(), STALE)
    second = identity.claim(db.engine, other, b.clock(), STALE)
    assert isinstance(first, Claim)
    assert isinstance(second, Claim)
    taken_over = Claim(second.record_id, second.lease + 1)  # as our claim, its lease lost
    if broken:
        _finish_with_commit(db, [(one, first, "A"), (other, taken_over, "B")])
        assert _stored(db) == [("k-1", "done", "A"), ("k-2", "done", "B")]
        return
    with pytest.raises(DBAPIError, match=identity_repo.LEASE_LOST):
        _finish_with_commit(db, [(one, first, "A"), (other, taken_over, "B")])
    assert _stored(db) == [("k-1", "in_flight", None), ("k-2", "in_flight", None)]
    _finish_with_commit(db, [(one, first, "A"), (other, second, "B")])
    assert _stored(db) == [("k-1", "done", "A"), ("k-2", "done", "B")]
