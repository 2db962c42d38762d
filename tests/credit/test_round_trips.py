"""A check's round trips and statements: few, each cheap to send, no separate transaction id.

On PostgreSQL the check's lock is its first statement and takes the transaction id itself, so
the ``SELECT pg_current_xact_id()`` other writers run is skipped. Each statement of the hot
path stays under psycopg's 4,096-byte limit for caching a query's parse; a longer one (the
facts and the exposure merged into one statement were 6,566 bytes) is parsed again on every
execution, which cost more CPU than the round trip it saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, PostgresQuery, _query2pg
from psycopg.adapt import Transformer
from psycopg.pq import TransactionStatus
from sqlalchemy import event, select, text
from sqlalchemy.dialects import postgresql

from creditguard.api import fastpath
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.credit import repository as repo
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn, CheckOut
from creditguard.credit.service import checks as check_service
from creditguard.db import Database, direct
from creditguard.db.engine import lock_first
from creditguard.identity.service import Claim, IdempotentRequest
from creditguard.models import CreditCheck, IdempotencyRecord
from tests import builders as b
from tests.credit import helpers as h

AS_OF = date(2026, 11, 22)
IDLE = TransactionStatus.IDLE


def test_facts_and_exposure_of_a_literal_ledger(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    b.customer(db, actor, code="C2")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="5000.00")
    b.invoice(
        db, actor, ref="INV-USD", amount="100.00", currency="USD", issued_on=date(2026, 10, 1)
    )
    b.invoice(db, actor, ref="INV-OLD", amount="50.00", issued_on=date(2026, 10, 1))
    b.invoice(db, actor, ref="INV-NEW", amount="400.00", issued_on=date(2026, 11, 10))
    h.order(db, actor, ref="O-1", code="C1", amount="1000.00", shipped="300.00", status="shipped")
    h.order(db, actor, ref="O-4", code="C1", amount="10.00", currency="USD")
    h.order(db, actor, ref="O-2", code="C1", amount="500.00", status="cancelled")
    h.order(db, actor, ref="O-9", code="C2", amount="70.00")  # another customer's
    with db.write() as session:
        data = CheckIn(
            customer_ref="C1", amount="250.00", currency="CNY", order_ref="SO-R", reserve=True
        )
        assert service.run_check(session, actor, data, b.clock()).decision == "approved"
    cid = h.customer_id(db, actor, "C1")
    with db.read() as session:
        known = repo.facts(session, actor.company_id, cid, cid, "SO-R", AS_OF)
        sums = repo.exposure_sums(session, actor.company_id, [cid], AS_OF)
    assert sums == {
        (cid, "CNY", "open_receivables"): 5000,
        (cid, "USD", "open_receivables"): 10000,
        (cid, "CNY", "invoiced_not_due"): 40000,
        (cid, "CNY", "shipped_not_invoiced"): 30000,
        (cid, "USD", "shipped_not_invoiced"): 0,  # O-4: nothing shipped yet
        (cid, "CNY", "confirmed_not_shipped"): 70000,
        (cid, "USD", "confirmed_not_shipped"): 1000,
        (cid, "CNY", "reserved"): 25000,
    }
    assert known.checked_before is True
    assert (known.grade, known.oldest_overdue) == ("A", date(2026, 11, 2))  # INV-USD, INV-OLD due
    assert known.limit == repo.LimitFacts(500000, "CNY", None)
    assert (known.group_limit, known.policy_version) == (None, None)


def test_facts_of_a_customer_with_nothing(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    cid = h.customer_id(db, actor, "C1")
    with db.read() as session:
        known = repo.facts(session, actor.company_id, cid, cid, "SO-X", AS_OF)
        sums = repo.exposure_sums(session, actor.company_id, [cid], AS_OF)
    assert sums == {}
    assert known == repo.Facts(False, None, None, None, None, None, None, None)


HOT_PATH: tuple[tuple[Any, dict[str, bool]], ...] = (
    (repo._lock_customer, {}),
    (repo._facts, {}),
    (repo._exposure_of_one, {}),
    (repo._insert_check_and_reservation, {}),
    # a unit of checks (PostgreSQL: lists as arrays)
    (repo._lock_free_customers, {"arrays": True}),
    (repo._lock_free_roots_of_codes, {}),
    (repo._facts_of_codes, {}),
    (repo._exposure_of_codes, {}),
    (repo._exposure, {"arrays": True}),  # the exposure of several customers, by id
    (repo._insert_checks, {}),
)


@pytest.mark.parametrize(("build", "options"), HOT_PATH)
def test_each_statement_of_a_check_is_short_enough_for_psycopgs_parse_cache(
    build: Any, options: dict[str, bool]
) -> None:
    dialect = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
    sql = str(build(**options).compile(dialect=dialect))
    assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH == 4096


def test_the_length_limit_is_psycopgs() -> None:
    """The control: a statement over the limit is not in psycopg's cache after two runs."""
    query = PostgresQuery(Transformer())
    short = b"SELECT %(a)s"
    long = b"SELECT %(a)s" + b" " * MAX_CACHED_STATEMENT_LENGTH
    _query2pg.cache_clear()
    for _ in range(2):
        query.convert(short, {"a": 1})
        query.convert(long, {"a": 1})
    assert _query2pg.cache_info().currsize == 1


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """Statements sent to the database: SQLAlchemy's, and on PostgreSQL also those the hot
    path hands to psycopg itself (db.direct), counted where psycopg's cursor executes them
    or where db.direct sends them together (commands such as BEGIN not counted)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    if db.dialect == "postgresql":
        with pytest.MonkeyPatch.context() as patch:
            execute, exchange = psycopg.Cursor.execute, direct._exchange

            def counted(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
                seen.append(str(query))
                return execute(cursor, query, *args, **kwargs)

            def pipelined(driver: Any, commands: Any) -> Any:
                seen.extend(c.plain.sql for c in commands if c.plain is not None)
                return exchange(driver, commands)

            patch.setattr(psycopg.Cursor, "execute", counted)
            patch.setattr(direct, "_exchange", pipelined)
            yield seen
        return
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _check(db: Database, actor: Actor, order_ref: str) -> list[str]:
    data = CheckIn(
        customer_ref="C1", amount="10.00", currency="CNY", order_ref=order_ref, reserve=True
    )
    with _statements(db) as seen, db.write() as session:
        assert service.run_check(session, actor, data, b.clock()).decision == "approved"
    return seen


def test_a_check_runs_four_statements_on_postgresql_and_six_on_sqlite(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="5000.00")
    _check(db, actor, "SO-0")  # statements are compiled and cached on first use
    seen = _check(db, actor, "SO-1")
    if db.dialect == "postgresql":  # lock, facts, exposure, check + reservation
        assert len(seen) == 4
        assert "FOR UPDATE" in seen[0]
    else:  # BEGIN IMMEDIATE, lock, facts, exposure, check, reservation
        assert len(seen) == 6
        assert seen[0] == "BEGIN IMMEDIATE"
    assert not any("pg_current_xact_id" in statement for statement in seen)


def test_a_check_alone_begins_with_its_lock_in_one_round_trip(db: Database) -> None:
    """PostgreSQL: BEGIN and the lock, then facts, exposure, the rows and COMMIT: five round
    trips where psycopg alone sends six (its BEGIN alone first)."""
    if db.dialect != "postgresql":
        pytest.skip("round trips are PostgreSQL's; SQLite runs in this process")
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="5000.00")
    data = CheckIn(customer_ref="C1", amount="10.00", currency="CNY", order_ref="SO-1")
    with _round_trips() as trips, db.write() as session:
        assert service.run_check(session, actor, data, b.clock()).decision == "approved"
    assert trips == [["begin", "lock"], ["facts"], ["exposure"], ["insert"], ["commit"]]


def test_any_other_writer_still_takes_its_transaction_id_first(db: Database) -> None:
    """The control: without lock_first, PostgreSQL's BEGIN runs pg_current_xact_id()."""
    if db.dialect != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")
    with _statements(db) as seen, db.write() as session:
        session.execute(text("SELECT 1"))
    assert seen == ["SELECT pg_current_xact_id()", "SELECT 1"]


def test_the_checks_lock_takes_the_transaction_id(db: Database) -> None:
    """What lock_first relies on: a row locked FOR UPDATE gives the transaction its id, and a
    plain read does not (the control, proving the probe can tell)."""
    if db.dialect != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    probe = text("SELECT pg_current_xact_id_if_assigned()")
    with db.write() as session:
        lock_first(session)
        session.execute(text("SELECT 1"))
        assert session.scalar(probe) is None
    with db.write() as session:
        lock_first(session)
        assert repo.lock_customer(session, actor.company_id, "C1") is not None
        assert session.scalar(probe) is not None


def test_a_unit_of_checks_costs_the_same_round_trips_however_many(db: Database) -> None:
    """service.run_checks on PostgreSQL: two round trips whatever the unit's size: BEGIN, the
    customers' and their group roots' locks, the facts of every check and the exposure of
    every customer (on generic plans, and back to the usual after them); every row with its
    reservation, with the COMMIT (``commit=True``; without, the COMMIT is a round trip of its
    own). SQLite: one statement after another."""
    actor = b.company(db)
    for n in range(5):
        b.customer(db, actor, code=f"C{n}")
        h.rate(db, actor, code=f"C{n}", grade="A", as_of=date(2026, 11, 1))
        h.set_limit(db, actor, code=f"C{n}", amount="5000.00")

    def units(count: int, tag: str, *, commit: bool = True) -> list[list[str]]:
        asked = [
            service.Asked(
                actor,
                CheckIn(
                    customer_ref=f"C{n}",
                    amount="10.00",
                    currency="CNY",
                    order_ref=f"{tag}-{n}",
                    reserve=n % 2 == 0,
                ),
            )
            for n in range(count)
        ]
        if db.dialect == "postgresql":
            with _round_trips() as trips, db.write() as session:
                answers = service.run_checks(session, asked, b.clock(), commit=commit)
        else:
            with _statements(db) as sent, db.write() as session:
                answers = service.run_checks(session, asked, b.clock(), commit=commit)
            trips = [[_kind(statement)] for statement in sent]
        assert [out is not None and out.decision for out in answers] == ["approved"] * count
        return trips

    units(5, "WARM")  # compiled and prepared on first use
    five = units(5, "SO")
    if db.dialect == "postgresql":
        unit = [
            ["begin", "generic", "lock", "lock", "facts", "exposure", "usual"],
            ["insert", "commit"],
        ]
        assert five == unit
        assert units(2, "TWO") == unit
        assert units(1, "ONE") == unit
        assert units(2, "OPEN", commit=False) == [unit[0], ["insert"], ["commit"]]
    else:  # no round trips to save: one statement after another
        assert [kind for (kind,) in five] == [
            "begin",
            "lock",
            *["facts"] * 5,
            "exposure",
            *["insert"] * 8,  # three checks reserve: a check row and a reservation each
        ]


DAY = date(2026, 11, 22)


def _downgraded_customer(db: Database) -> Actor:
    """C1, graded A until ``DAY`` and D from ``DAY``: D's orders are held (prepayment)."""
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 1, 1))
    h.rate(db, actor, code="C1", grade="D", as_of=DAY)
    h.set_limit(db, actor, code="C1", amount="100000.00")
    return actor


def _unit_of_one(
    db: Database, actor: Actor, order_ref: str, day: date
) -> tuple[CheckOut | None, list[list[str]]]:
    """A unit of one check of C1 at 09:30 in Shanghai on ``day`` (14:30 the day before in Pago
    Pago), and its round trips (PostgreSQL; SQLite: none)."""
    clock = FixedClock(datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC))
    data = CheckIn(customer_ref="C1", amount="10.00", currency="CNY", order_ref=order_ref)
    with _round_trips() as trips, db.write() as session:
        (out,) = service.run_checks(session, [service.Asked(actor, data)], clock, commit=True)
    return out, trips if db.dialect == "postgresql" else []


LOCKED_AND_READ = ["begin", "generic", "lock", "lock", "facts", "exposure", "usual"]
READ = ["generic", "facts", "exposure", "usual"]
HELD_FOR_D = ("held", ["prepayment_required"])


def test_a_units_day_guessed_wrong_is_read_again_and_decided_on_the_right_day(
    db: Database,
) -> None:
    """The unit's facts are read with its locks on the business day of the company's time zone
    as last seen; the customer's row tells the zone. Guessed a day early (Pago Pago), they are
    read again for the right day: a round trip more, and the decision of that day (graded D
    that day: held; A the day before: approved)."""
    actor = _downgraded_customer(db)
    check_service._zones[actor.company_id] = "Pacific/Pago_Pago"
    out, trips = _unit_of_one(db, actor, "SO-1", DAY)
    assert out is not None
    assert (out.decision, [r.code for r in out.reasons]) == HELD_FOR_D
    assert check_service._zones[actor.company_id] == "Asia/Shanghai"
    if db.dialect == "postgresql":
        assert trips == [LOCKED_AND_READ, READ, ["insert", "commit"]]
    _, again = _unit_of_one(db, actor, "SO-2", DAY)  # the zone now known: read with the locks
    if db.dialect == "postgresql":
        assert again == [LOCKED_AND_READ, ["insert", "commit"]]


def test_the_broken_variant_decides_on_the_guessed_day(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: a unit that reads its facts on the guessed day approves the order."""
    actor = _downgraded_customer(db)
    check_service._zones[actor.company_id] = "Pacific/Pago_Pago"
    read_unit = repo.read_unit

    def guessed(
        session: Any, company_id: int, asked: Any, locked: Any, _as_of: date
    ) -> repo.UnitRead:
        return read_unit(session, company_id, asked, locked, DAY - timedelta(days=1))

    monkeypatch.setattr(repo, "read_unit", guessed)
    out, _ = _unit_of_one(db, actor, "SO-1", DAY)
    assert out is not None
    assert (out.decision, out.reasons) == ("approved", [])


def test_a_companys_first_unit_locks_then_reads(db: Database) -> None:
    """With no zone seen for the company, the unit locks (one round trip), then reads on the
    day its customer's zone gives (one more)."""
    actor = _downgraded_customer(db)
    check_service._zones.pop(actor.company_id, None)
    out, trips = _unit_of_one(db, actor, "SO-1", DAY)
    assert out is not None
    assert (out.decision, [r.code for r in out.reasons]) == HELD_FOR_D
    if db.dialect == "postgresql":
        assert trips == [
            ["begin", "generic", "lock", "lock", "usual"],
            READ,
            ["insert", "commit"],
        ]


@contextmanager
def _round_trips() -> Iterator[list[list[str]]]:
    """PostgreSQL's round trips, each the kinds of the statements it sends: the pipelined
    ones (db.direct), psycopg's own statements (with the BEGIN it sends alone before the
    first of a transaction) and its COMMIT (none when the transaction was committed already)."""
    trips: list[list[str]] = []
    exchange, execute, commit = direct._exchange, psycopg.Cursor.execute, psycopg.Connection.commit

    def pipelined(driver: Any, commands: Any) -> Any:
        trips.append([_kind(command.sql.decode()) for command in commands])
        return exchange(driver, commands)

    def alone(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        connection = cursor.connection
        if connection.pgconn.transaction_status == IDLE and not connection.autocommit:
            trips.append(["begin"])
        trips.append([_kind(str(query))])
        return execute(cursor, query, *args, **kwargs)

    def committed(connection: Any) -> None:
        if connection.pgconn.transaction_status != IDLE:
            trips.append(["commit"])
        commit(connection)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(direct, "_exchange", pipelined)
        patch.setattr(psycopg.Cursor, "execute", alone)
        patch.setattr(psycopg.Connection, "commit", committed)
        yield trips


def _kind(statement: str) -> str:
    if statement.startswith("BEGIN"):
        return "begin"
    if statement in ("COMMIT", "ROLLBACK"):
        return statement.lower()
    if "pg_current_xact_id" in statement:
        return "take id"
    if statement.lstrip().startswith("INSERT INTO idempotency_keys"):
        return "claim"
    if "nextval" in statement:
        return "ids"
    if statement.startswith("SET LOCAL plan_cache_mode"):
        return "usual" if statement.endswith("DEFAULT") else "generic"
    if "FOR UPDATE" in statement or statement.startswith("SELECT customers.code"):
        return "lock"  # SQLite: the write transaction holds the database, no FOR UPDATE
    if statement.lstrip().startswith(("UPDATE idempotency_keys", "WITH stored")):
        return "finish"
    if statement.lstrip().startswith(("INSERT", "WITH made")):
        return "insert"
    return "facts" if "limit_policies" in statement else "exposure"


def test_a_unit_of_keyed_checks_claims_its_keys_and_stores_its_responses_with_its_commit(
    db: Database,
) -> None:
    """The fast path's unit of checks sent with Idempotency-Keys: the keys claimed in the
    unit's first round trip (its transaction's id taken first), with the locks and the
    check ids drawn ahead; then the rows under those ids, the responses (which name them)
    and the COMMIT: two round trips, one transaction."""
    if db.dialect != "postgresql":
        pytest.skip("round trips are PostgreSQL's; SQLite runs in this process")
    actor = b.company(db)
    for n in range(3):
        b.customer(db, actor, code=f"C{n}")
        h.rate(db, actor, code=f"C{n}", grade="A", as_of=date(2026, 11, 1))
        h.set_limit(db, actor, code=f"C{n}", amount="5000.00")
    state = SimpleNamespace(db=db, clock=b.clock())

    def unit(tag: str) -> tuple[list[list[str]], list[CheckOut | None]]:
        asked = [
            service.Asked(
                actor,
                CheckIn(
                    customer_ref=f"C{n}", amount="10.00", currency="CNY", order_ref=f"{tag}-{n}"
                ),
            )
            for n in range(3)
        ]
        requests: list[IdempotentRequest | None] = [
            IdempotentRequest(actor, f"{tag}-key-{n}", "POST", "/credit-checks", b"x" * 32)
            for n in range(3)
        ]
        with _round_trips() as trips:
            outs, claims = fastpath._together(state, list(zip(asked, requests, strict=True)))
        assert [out is not None and out.decision for out in outs] == ["approved"] * 3
        assert all(isinstance(claim, Claim) for claim in claims)
        return trips, outs

    unit("WARM")  # compiled and prepared on first use
    trips, outs = unit("SO")
    assert trips == [
        [
            *["begin", "take id", "claim"],
            *["generic", "lock", "lock", "ids", "facts", "exposure", "usual"],
        ],
        ["insert", "finish", "commit"],
    ]
    with db.read() as session:
        stored = session.execute(
            select(IdempotencyRecord.key, IdempotencyRecord.state, IdempotencyRecord.response_body)
            .where(IdempotencyRecord.key.like("SO-%"))
            .order_by(IdempotencyRecord.key)
        ).all()
    assert [tuple(row) for row in stored] == [
        (f"SO-key-{n}", "done", out.model_dump_json())
        for n, out in enumerate(outs)
        if out is not None
    ]
    with db.read() as session:  # each answer names its own row
        rows = session.execute(
            select(CreditCheck.order_ref, CreditCheck.id)
            .where(CreditCheck.order_ref.like("SO-%"))
            .order_by(CreditCheck.order_ref)
        ).all()
    assert [tuple(row) for row in rows] == [
        (f"SO-{n}", out.check_id) for n, out in enumerate(outs) if out is not None
    ]


def test_answers_before_their_rows_need_postgresql_and_rows_together(db: Database) -> None:
    """run_checks(answered=...) draws the checks' ids with the lock: PostgreSQL only; and
    rows with ids drawn ahead are written together or not at all."""
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    data = CheckIn(customer_ref="C1", amount="10.00", currency="CNY", order_ref="SO-1")
    values = {
        "company_id": actor.company_id,
        "checked_on": DAY,
        "requested_at": b.NOW,
        "decision": "held",
        "reserve": False,
    }
    with db.write() as session:
        if db.dialect != "postgresql":
            with pytest.raises(ValueError, match="PostgreSQL only"):
                service.run_checks(
                    session, [service.Asked(actor, data)], b.clock(), answered=lambda _: []
                )
        with pytest.raises(ValueError, match="go together"):  # two companies' rows
            repo.add_checks(
                session,
                [
                    (values | {"order_ref": "A"}, None),
                    (values | {"order_ref": "B", "company_id": 0}, None),
                ],
                ids=[1, 2],
            )
