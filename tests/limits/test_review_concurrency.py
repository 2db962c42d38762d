"""Two nightly reviews of one company at once (a cron job and a manual run): a limit is changed
and audited once, never twice.

PostgreSQL: two processes start the review at the same moment; the one that takes the
company's review lock reviews, the other is refused at once (Conflict), nothing written. Beside
it, the lock skipped: the conditional update alone still changes each limit once; and the
lock skipped with the update as it was (by id alone): every change is written and audited
twice — proof the test can fail. SQLite serialises writers: the second run waits and then
changes nothing. And a limit moved between the review's read and its write is left alone.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from creditguard.audit.service import verify
from creditguard.cli.main import app
from creditguard.core.errors import Conflict
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.limits import repository as repo
from creditguard.limits import service
from tests import builders as b
from tests.limits import workers
from tests.limits.ledger import AS_OF, ledger, limits

# What one review of the ledger does, alone.
ONCE = {"as_of": "2026-11-22", "dry_run": False, "customers": 4, "reviewed": 4,
        "skipped_pending": 0, "skipped_moved": 0, "increased": 1, "cut": 1,
        "sent_for_approval": 1}  # fmt: skip
AFTER = {
    "ASK": ("1000000.00", 1, "request"),
    "CUT": ("750000.00", 2, "review"),
    "SAME": ("1000000.00", 1, "request"),
    "UP": ("5000000.00", 2, "review"),
}
REFUSED = [
    "company: a limit review of this company is already running; nothing was written",
    "company: 该公司的额度复评正在运行；本次未写入任何内容",
]


def _postgres_only(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("two reviews at once: PostgreSQL (SQLite serialises every writer)")


def _race(db: Database, company_id: int, body: Callable[..., dict[str, Any]]) -> list[Any]:
    """Two processes run ``body`` at the same moment; their outcomes."""
    url = db.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.limits.workers"])
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        other = manager.Event() if body is workers.review_holding else manager.Barrier(2)
        return pool.starmap(body, [(url, company_id, start, other)] * 2)


def _limit_sets(db: Database) -> list[tuple[str, str, str, int]]:
    """Every ``limit.set`` the review wrote (subject, before, after, revision), sorted."""
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT subject, body FROM audit_log WHERE action = 'limit.set' "
                "AND actor = 'system:review' ORDER BY seq"
            )
        ).all()
    bodies = [(subject, json.loads(body)) for subject, body in rows]
    return sorted((s, b["before"], b["after"], b["revision"]) for s, b in bodies)


def _requests(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT c.code, r.status FROM limit_requests r "
                "JOIN customers c ON c.id = r.customer_id WHERE r.origin = 'review' ORDER BY r.id"
            )
        ).all()
    return [(code, status) for code, status in rows]


def _intact(db: Database, company_id: int) -> bool:
    with db.read() as session:
        return verify(session, company_id).intact


def _subjects(db: Database) -> dict[str, str]:
    with db.read() as session:
        rows = session.execute(text("SELECT code, id FROM customers")).all()
    return {code: f"customer:{customer_id}" for code, customer_id in rows}


def test_two_reviews_at_once_one_is_refused(db: Database) -> None:
    _postgres_only(db)
    owner = ledger(db)
    outcomes = _race(db, owner.company_id, workers.review_holding)
    assert sorted(outcomes, key=lambda o: list(o)) == [{"refused": REFUSED}, {"reviewed": ONCE}]
    assert limits(db) == AFTER  # each change made once: as one review alone makes it
    who = _subjects(db)
    assert _limit_sets(db) == sorted([
        (who["UP"], "4500000.00", "5000000.00", 2),
        (who["CUT"], "1000000.00", "750000.00", 2),
    ])  # fmt: skip
    assert _requests(db) == [("ASK", "pending")]
    assert _intact(db, owner.company_id)


def test_without_the_lock_the_revision_check_still_changes_each_limit_once(db: Database) -> None:
    """Belt and braces: both read the same limits, both write; the second finds the rows
    moved (the revision it read is gone) and leaves them alone, unaudited."""
    _postgres_only(db)
    owner = ledger(db, asking=False)  # no request: two would trip the partial unique index
    outcomes = _race(db, owner.company_id, workers.review_without_lock)
    once = {**ONCE, "customers": 3, "reviewed": 3, "sent_for_approval": 0}
    moved = {**once, "skipped_moved": 2, "increased": 0, "cut": 0}
    assert sorted(o["reviewed"]["skipped_moved"] for o in outcomes) == [0, 2]
    assert sorted((o["reviewed"] for o in outcomes), key=lambda o: o["skipped_moved"]) == [
        once,
        moved,
    ]
    assert limits(db) == {code: row for code, row in AFTER.items() if code != "ASK"}
    assert len(_limit_sets(db)) == 2
    assert _intact(db, owner.company_id)


def test_the_review_as_it_was_writes_and_audits_every_change_twice(db: Database) -> None:
    """Kept to show the race is real: no lock, the update by id alone — both reviews apply
    their changes, and the log says each limit was cut (or raised) twice."""
    _postgres_only(db)
    owner = ledger(db, asking=False)
    outcomes = _race(db, owner.company_id, workers.review_naively)
    once = {**ONCE, "customers": 3, "reviewed": 3, "sent_for_approval": 0}
    assert [o["reviewed"] for o in outcomes] == [once, once]
    who = _subjects(db)
    assert _limit_sets(db) == sorted(
        [
            (who["UP"], "4500000.00", "5000000.00", 2),
            (who["CUT"], "1000000.00", "750000.00", 2),
        ]
        * 2
    ), "the naive variant should write every change twice; if not, the test proves nothing"


def test_on_sqlite_the_second_review_waits_and_changes_nothing(db: Database) -> None:
    """Two threads start the review together: the write lock lets one in; the other waits,
    then reviews what the first left: nothing to change, ASK's request already pending."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL: see the tests with two processes")
    owner = ledger(db)
    start = threading.Barrier(2)
    outcomes: list[dict[str, Any]] = []

    def one() -> None:
        start.wait(timeout=30)
        with db.write() as session:
            out = service.run_review(session, owner, AS_OF, b.clock())
        outcomes.append(out.model_dump(mode="json"))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    second = {**ONCE, "reviewed": 3, "skipped_pending": 1, "increased": 0, "cut": 0,
              "sent_for_approval": 0}  # fmt: skip
    assert outcomes == [ONCE, second]
    assert limits(db) == AFTER
    assert len(_limit_sets(db)) == 2
    assert _requests(db) == [("ASK", "pending")]
    assert _intact(db, owner.company_id)


def _moving(db: Database, code: str, set_limits: Callable[..., set[int]]) -> Callable[..., Any]:
    """``set_limits`` after another writer has moved ``code``'s limit to 900,000.00 (revision
    + 1) since the review read it: on PostgreSQL in a transaction of its own, committed; on
    SQLite (whose write lock the review holds) inside the review's own transaction."""
    move = text(
        "UPDATE credit_limits SET amount_minor = 90000000, revision = revision + 1 "
        "WHERE customer_id = (SELECT id FROM customers WHERE code = :code)"
    )

    def moved_first(session: Session, *args: Any) -> set[int]:
        if db.dialect == "postgresql":
            with db.engine.begin() as other:
                other.execute(move, {"code": code})
        else:
            session.execute(move, {"code": code})
        return set_limits(session, *args)

    return moved_first


@pytest.fixture
def owner(db: Database) -> Actor:
    return ledger(db)


def test_a_limit_moved_since_the_read_is_left_alone(
    db: Database, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo, "set_limits", _moving(db, "CUT", repo.set_limits))
    with db.write() as session:
        out = service.run_review(session, owner, AS_OF, b.clock())
    assert out.model_dump(mode="json") == {**ONCE, "skipped_moved": 1, "cut": 0}
    assert limits(db) == {**AFTER, "CUT": ("900000.00", 2, "request")}
    who = _subjects(db)
    assert _limit_sets(db) == [(who["UP"], "4500000.00", "5000000.00", 2)]
    assert _intact(db, owner.company_id)


def test_the_update_by_id_alone_overwrites_the_moved_limit(
    db: Database, owner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broken variant: the same move, the update as it was — the other writer's 900,000
    is overwritten by a cut computed from 1,000,000, and audited as if nothing happened."""
    monkeypatch.setattr(repo, "set_limits", _moving(db, "CUT", workers.set_unconditionally))
    with db.write() as session:
        out = service.run_review(session, owner, AS_OF, b.clock())
    assert out.model_dump(mode="json") == ONCE
    assert limits(db)["CUT"] == ("750000.00", 2, "review")
    assert len(_limit_sets(db)) == 2


def test_one_pending_review_request_per_customer(db: Database, owner: Actor) -> None:
    """The partial unique index: a second pending review request for ASK is refused by the
    database; a manual one, or a decided review one, is not (the index is partial)."""
    with db.write() as session:
        service.run_review(session, owner, AS_OF, b.clock())
    copy = text(
        "INSERT INTO limit_requests (company_id, customer_id, scope, currency, amount_minor, "
        "previous_minor, reason, origin, required_role, status, requested_at, requested_by) "
        "SELECT company_id, customer_id, scope, currency, amount_minor, previous_minor, reason, "
        ":origin, required_role, :status, requested_at, requested_by FROM limit_requests "
        "WHERE origin = 'review'"
    )
    refusal = {  # the index by name, or (SQLite) by its columns
        "postgresql": '"uq_limit_requests_pending_review"',
        "sqlite": "UNIQUE constraint failed: limit_requests.company_id, limit_requests.customer_id",
    }[db.dialect]
    with db.engine.connect() as connection:
        transaction = connection.begin()
        with pytest.raises(IntegrityError, match=re.escape(refusal)):
            connection.execute(copy, {"origin": "review", "status": "pending"})
        transaction.rollback()
    with db.engine.begin() as connection:
        for origin, status in (("manual", "pending"), ("review", "rejected")):
            assert connection.execute(copy, {"origin": origin, "status": status}).rowcount == 1
    assert _requests(db) == [("ASK", "pending"), ("ASK", "rejected")]


def test_the_cli_refuses_while_another_review_runs(db: Database, runner: CliRunner) -> None:
    """A review of ACME holds the lock (another connection); ``limit review`` exits 1 at once,
    naming why, in the language asked; nothing written."""
    _postgres_only(db)
    owner = ledger(db)
    url = db.engine.url.render_as_string(hide_password=False)
    with db.engine.connect() as running:
        transaction = running.begin()
        session = Session(bind=running)
        assert repo.lock_review(session, owner.company_id)
        for lang, message in zip(("en", "zh-CN"), REFUSED, strict=True):
            args = ["limit", "review", "--company", "ACME", "--as-of", "2026-11-22"]
            result = runner.invoke(app, [*args, "--lang", lang, "--database-url", url])
            assert result.exit_code == 1, result.output
            assert message.split(": ", 1)[1] in " ".join(result.output.split())
        with db.write() as other, pytest.raises(Conflict) as refused:
            service.run_review(other, owner, AS_OF, b.clock())
        assert [(p.field, p.value, p.code) for p in refused.value.problems] == [
            ("company", owner.company_id, "review_running")
        ]
        assert [refused.value.message("en"), refused.value.message("zh-CN")] == REFUSED
        transaction.rollback()
    assert limits(db) == {
        "ASK": ("1000000.00", 1, "request"),
        "CUT": ("1000000.00", 1, "request"),
        "SAME": ("1000000.00", 1, "request"),
        "UP": ("4500000.00", 1, "request"),
    }
    assert _limit_sets(db) == []
