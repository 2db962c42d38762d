"""Every query of limit requests, the limits they set and the review's inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import closing
from datetime import date, datetime
from typing import Any, NamedTuple, cast

import polars as pl
from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from creditguard.db.bulk import insert_rows, read_frame, reserve_ids
from creditguard.models import (
    CreditLimit,
    Customer,
    FinancialStatement,
    LimitRequest,
    RiskAlert,
)


def get_request(
    session: Session, company_id: int, request_id: int, *, lock: bool = False
) -> LimitRequest | None:
    stmt = select(LimitRequest).where(
        LimitRequest.company_id == company_id, LimitRequest.id == request_id
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def list_requests(
    session: Session,
    company_id: int,
    *,
    status: str | None,
    roles: Sequence[str] | None,
    limit: int,
) -> list[LimitRequest]:
    """Requests newest first, by status and by the roles they wait for (``None``: any)."""
    stmt = select(LimitRequest).where(LimitRequest.company_id == company_id)
    if status is not None:
        stmt = stmt.where(LimitRequest.status == status)
    if roles is not None:
        stmt = stmt.where(LimitRequest.required_role.in_(roles))
    return list(session.scalars(stmt.order_by(LimitRequest.id.desc()).limit(limit)))


def decide(session: Session, company_id: int, request_id: int, values: dict[str, Any]) -> bool:
    """Move a pending request on: the update holds only while it is still pending, so of two
    deciders at once exactly one changes it (the other finds it decided: ``False``)."""
    result = session.execute(
        update(LimitRequest)
        .where(
            LimitRequest.company_id == company_id,
            LimitRequest.id == request_id,
            LimitRequest.status == "pending",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def limit_of(
    session: Session, company_id: int, customer_id: int, scope: str, *, lock: bool = False
) -> CreditLimit | None:
    stmt = select(CreditLimit).where(
        CreditLimit.company_id == company_id,
        CreditLimit.customer_id == customer_id,
        CreditLimit.scope == scope,
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


def limits_of(session: Session, company_id: int, customer_id: int) -> list[CreditLimit]:
    return list(
        session.scalars(
            select(CreditLimit)
            .where(CreditLimit.company_id == company_id, CreditLimit.customer_id == customer_id)
            .order_by(CreditLimit.scope)
        )
    )


def customer_codes(session: Session, company_id: int, ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ids), 900):  # bounded IN lists
        rows = session.execute(
            select(Customer.id, Customer.code).where(
                Customer.company_id == company_id, Customer.id.in_(ids[start : start + 900])
            )
        )
        found.update({row[0]: row[1] for row in rows})
    return found


# --- the nightly review ---


def customer_count(session: Session, company_id: int) -> int:
    stmt = select(func.count()).select_from(Customer).where(Customer.company_id == company_id)
    return int(session.scalar(stmt) or 0)


def customer_limits(session: Session, company_id: int) -> pl.DataFrame:
    """Every customer-scope limit of the company, in one query, as columns."""
    stmt = select(
        CreditLimit.id.label("limit_id"),
        CreditLimit.customer_id,
        CreditLimit.currency,
        CreditLimit.amount_minor,
        CreditLimit.revision,
        CreditLimit.changed_on,
    ).where(CreditLimit.company_id == company_id, CreditLimit.scope == "customer")
    schema = {
        "limit_id": pl.Int64,
        "customer_id": pl.Int64,
        "currency": pl.String,
        "amount_minor": pl.Int64,
        "revision": pl.Int64,
        "changed_on": pl.Date,
    }
    return read_frame(session, stmt, schema)


class GroupLimit(NamedTuple):
    """A group limit as the review reads it: held on the group's parent (``customer_id``)."""

    limit_id: int
    customer_id: int
    currency: str
    amount_minor: int
    revision: int
    changed_on: date | None
    updated_at: datetime  # its last change: a member's alert recorded after it is new


def group_limits(session: Session, company_id: int) -> list[GroupLimit]:
    """Every group-scope limit of the company (few: one per group), in one query."""
    stmt = (
        select(
            CreditLimit.id,
            CreditLimit.customer_id,
            CreditLimit.currency,
            CreditLimit.amount_minor,
            CreditLimit.revision,
            CreditLimit.changed_on,
            CreditLimit.updated_at,
        )
        .where(CreditLimit.company_id == company_id, CreditLimit.scope == "group")
        .order_by(CreditLimit.customer_id)
    )
    return [GroupLimit(*row) for row in session.execute(stmt)]


def latest_statements(
    session: Session, company_id: int, as_of: date
) -> dict[int, tuple[str, int | None, int | None]]:
    """Per customer, the latest statement up to ``as_of``: currency, revenue, equity."""
    rows = session.execute(
        select(
            FinancialStatement.customer_id,
            FinancialStatement.currency,
            FinancialStatement.revenue_minor,
            FinancialStatement.total_assets_minor,
            FinancialStatement.total_liabilities_minor,
        )
        .where(FinancialStatement.company_id == company_id, FinancialStatement.period_end <= as_of)
        .order_by(FinancialStatement.customer_id, FinancialStatement.period_end)
    )
    found: dict[int, tuple[str, int | None, int | None]] = {}
    for customer_id, currency, revenue, assets, liabilities in rows:
        equity = None if assets is None or liabilities is None else assets - liabilities
        found[customer_id] = (currency, revenue, equity)  # the latest period wins
    return found


class OpenAlert(NamedTuple):
    """An open alert as the review reads it, with the instant its customer's limit changed."""

    customer_id: int
    kind: str
    severity: str
    observed_on: date
    source: str
    created_at: datetime
    limit_changed_at: datetime | None  # the limit's updated_at (no customer limit: None)


def open_alerts(session: Session, company_id: int) -> list[OpenAlert]:
    """Every open alert of the company (about 1 % of the customers: a plain read), each with
    its customer limit's last change — one query (the index ``ix_risk_alerts_open``)."""
    stmt = (
        select(
            RiskAlert.customer_id,
            RiskAlert.kind,
            RiskAlert.severity,
            RiskAlert.observed_on,
            RiskAlert.source,
            RiskAlert.created_at,
            CreditLimit.updated_at,
        )
        .outerjoin(
            CreditLimit,
            (CreditLimit.company_id == RiskAlert.company_id)
            & (CreditLimit.customer_id == RiskAlert.customer_id)
            & (CreditLimit.scope == "customer"),
        )
        .where(RiskAlert.company_id == company_id, RiskAlert.status == "open")
        .order_by(RiskAlert.customer_id, RiskAlert.id)
    )
    return [OpenAlert(*row) for row in session.execute(stmt)]


# The advisory lock a writing review holds, two-int form (class, company id): the class is
# "cg" 6.5 (issue 6, item 5) as 0x63670605; no other advisory lock in creditguard uses it.
REVIEW_LOCK_CLASS = 0x63670605


def lock_review(session: Session, company_id: int) -> bool:
    """Take the company's review lock for the rest of the transaction; ``False``: another
    review of the company holds it (PostgreSQL ``pg_try_advisory_xact_lock``, never waits).

    SQLite needs none: every writer begins ``IMMEDIATE`` and holds the database's write lock
    until it commits, so a second review waits for the first (``busy_timeout``) and then reads
    what the first wrote — its changes are then too recent to review again (``quiet_days``)
    and its requests pending: the second run changes nothing the first changed.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    stmt = text(
        "SELECT pg_try_advisory_xact_lock(CAST(:key AS INTEGER), CAST(:company AS INTEGER))"
    )
    return bool(session.scalar(stmt, {"key": REVIEW_LOCK_CLASS, "company": company_id}))


def pending_review_customers(session: Session, company_id: int) -> set[tuple[int, str]]:
    """(customer, scope) of every review request still pending: the review leaves that limit
    alone — a parent's own limit and its group limit each by their own request."""
    rows = session.execute(
        select(LimitRequest.customer_id, LimitRequest.scope).where(
            LimitRequest.company_id == company_id,
            LimitRequest.origin == "review",
            LimitRequest.status == "pending",
        )
    )
    return {(customer_id, scope) for customer_id, scope in rows}


class LimitChange(NamedTuple):
    """A new amount for a limit, from a reading of it at ``revision``."""

    limit_id: int
    revision: int  # the revision read: the change holds only while the row is still there
    amount_minor: int


def set_limits(
    session: Session, changes: Sequence[LimitChange], values: Mapping[str, Any]
) -> set[int]:
    """Set many limits' amounts, ``revision`` + 1 and ``values`` (the same for every row) —
    each only where the row is still at the revision read; the ids changed. A row another
    writer moved meanwhile is left alone (of two writers from one reading, one changes it).

    PostgreSQL: one ``UPDATE ... FROM unnest(...) ... RETURNING``, the revision in its WHERE
    (a row locked by another writer is judged again once that writer commits). SQLite: one
    conditional executemany in a savepoint; it changes every row unless something moved one
    — only this transaction can, as it holds the database's write lock from ``BEGIN
    IMMEDIATE`` — and then it is undone, the rows still current are found (their revisions
    read) and updated alone.
    """
    if not changes:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _set_limits_unnest(session, changes, values)
    return _set_limits_executemany(session, changes, values)


def _set_limits_executemany(
    session: Session, changes: Sequence[LimitChange], values: Mapping[str, Any]
) -> set[int]:
    table = cast(Table, CreditLimit.__table__)
    dialect = session.get_bind().dialect
    fixed = []  # the same for every row: through the column's type once, not once per row
    for name, value in values.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        fixed.append(value if process is None else process(value))
    sets = "".join(f", {name} = ?" for name in values)
    sql = (
        f"UPDATE credit_limits SET amount_minor = ?, revision = revision + 1{sets} "  # noqa: S608 - identifiers from our Table
        "WHERE id = ? AND revision = ?"
    )

    def run(rows: Sequence[LimitChange]) -> int:
        # session.connection() first: it is what emits a pending SAVEPOINT
        raw: Any = session.connection().connection.driver_connection
        with closing(raw.cursor()) as cursor:
            cursor.executemany(sql, [(c.amount_minor, *fixed, c.limit_id, c.revision)
                                     for c in rows])  # fmt: skip
            return int(cursor.rowcount)

    savepoint = session.begin_nested()
    if run(changes) == len(changes):  # every row still at its revision
        savepoint.commit()
        return {change.limit_id for change in changes}
    savepoint.rollback()  # some moved (this transaction moved them): find which, update the rest
    current = _still_current(session, table, changes)
    if current:
        run(current)
    return {change.limit_id for change in current}


def _still_current(
    session: Session, table: Table, changes: Sequence[LimitChange]
) -> list[LimitChange]:
    """The changes whose row is still at the revision read (in bounded IN lists)."""
    ids = [change.limit_id for change in changes]
    now: dict[int, int] = {}
    for start in range(0, len(ids), 900):
        rows = session.execute(
            select(table.c.id, table.c.revision).where(table.c.id.in_(ids[start : start + 900]))
        )
        now.update({row[0]: row[1] for row in rows})
    return [change for change in changes if now.get(change.limit_id) == change.revision]


def _set_limits_unnest(
    session: Session, changes: Sequence[LimitChange], values: Mapping[str, Any]
) -> set[int]:
    table = cast(Table, CreditLimit.__table__)
    sets = "".join(f", {name} = :{name}" for name in values)
    stmt = text(
        "UPDATE credit_limits AS t SET amount_minor = v.amount_minor, "  # noqa: S608 - identifiers from our Table
        f"revision = t.revision + 1{sets} "
        "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:revisions AS INTEGER[]), "
        "CAST(:amounts AS BIGINT[])) AS v(id, revision, amount_minor) "
        "WHERE t.id = v.id AND t.revision = v.revision RETURNING t.id"
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in values))
    ids, revisions, amounts = (list(column) for column in zip(*changes, strict=True))
    params = {"ids": ids, "revisions": revisions, "amounts": amounts, **values}
    return set(session.scalars(stmt, params))


def add_requests(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many requests (dicts with the same keys, no ``id``) in one bulk insert; their
    ids, in the order of ``rows`` — allocated in one statement (:func:`reserve_ids`), not
    read back row by row."""
    table = cast(Table, LimitRequest.__table__)
    ids = reserve_ids(session, table, len(rows))
    insert_rows(session, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return ids
