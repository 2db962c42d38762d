"""Every query of credit limits, policies, checks and reservations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Insert,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from creditguard.db import direct
from creditguard.db.bulk import unnested
from creditguard.models import (
    Company,
    CreditCheck,
    CreditLimit,
    CreditRating,
    CreditReservation,
    Customer,
    FinancialStatement,
    Instalment,
    Invoice,
    LimitPolicy,
    Notification,
    Order,
    Webhook,
)


def latest_policy(session: Session, company_id: int) -> LimitPolicy | None:
    return session.scalar(
        select(LimitPolicy)
        .where(LimitPolicy.company_id == company_id)
        .order_by(LimitPolicy.version.desc())
        .limit(1)
    )


def policy_version(session: Session, company_id: int, version: int) -> LimitPolicy | None:
    return session.scalar(
        select(LimitPolicy).where(
            LimitPolicy.company_id == company_id, LimitPolicy.version == version
        )
    )


def policy_versions(session: Session, company_id: int) -> list[LimitPolicy]:
    """Every stored version of the company's policy, newest first."""
    return list(
        session.scalars(
            select(LimitPolicy)
            .where(LimitPolicy.company_id == company_id)
            .order_by(LimitPolicy.version.desc())
        )
    )


Param = ColumnElement[Any]  # a bound parameter of a statement built once


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _any_of(name: str, item: Any) -> Callable[[Any], ColumnElement[bool]]:
    """``column = ANY (:name)``: a list in one array parameter (PostgreSQL), which the driver
    runs as it is (db.direct), where an expanding IN list is rendered again on every run."""
    listed: Param = bindparam(name, type_=ARRAY(item))
    return lambda column: column == any_(listed)


def _in(name: str) -> Callable[[Any], ColumnElement[bool]]:
    """``column IN (:name)``: a list as an expanding parameter (SQLite has no arrays)."""
    listed: Param = bindparam(name, expanding=True)
    return lambda column: column.in_(listed)


# --- customers, limits, ratings ---


@dataclass(frozen=True, slots=True)
class Locked:
    """The locked customer, as a check needs it, with its company's base currency and zone."""

    id: int
    company_id: int
    parent_id: int | None
    status: str
    base_currency: str
    timezone: str

    @property
    def root_id(self) -> int:
        """The group's root: the parent, or the customer itself."""
        return self.id if self.parent_id is None else self.parent_id


def lock_customer(session: Session, company_id: int, code: str) -> Locked | None:
    """Lock the customer's row and read it, with its company's base currency and time zone.

    PostgreSQL: SELECT ... FOR UPDATE OF customers; SQLite: the write transaction began
    IMMEDIATE and already holds the database's write lock. Core, not ORM objects: a check
    reads six values and changes none.
    """
    params = {"company_id": company_id, "code": code}
    found = direct.rows(session, _lock_customer(), params)
    return Locked(*found[0]) if found else None


# The statements of the hot path are built once, with bound parameters (building and hashing a
# statement costs more than running it). Each stays under 4,096 bytes as PostgreSQL SQL:
# psycopg parses a longer one again on every execution (tests/credit/test_round_trips.py).
def _customer_and_company() -> Select[int, int, int | None, str, str, str]:
    """The columns a check reads of its customer and the customer's company."""
    customers, companies = Customer.__table__, Company.__table__
    return select(
        customers.c.id,
        customers.c.company_id,
        customers.c.parent_id,
        customers.c.status,
        companies.c.base_currency,
        companies.c.timezone,
    ).join(companies, companies.c.id == customers.c.company_id)


@cache
def _lock_customer() -> Select[int, int, int | None, str, str, str]:
    customers = Customer.__table__
    return (
        _customer_and_company()
        .where(
            customers.c.company_id == bindparam("company_id"),
            customers.c.code == bindparam("code"),
        )
        .with_for_update(of=customers)
    )


def lock_free_customers(
    session: Session, company_id: int, codes: Sequence[str]
) -> dict[str, Locked]:
    """Lock those of these customers whose rows nobody else holds, and read them (as
    :func:`lock_customer`), by code; a customer unknown or locked by another transaction is
    not among them.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, in id order: this never waits for a lock,
    so a unit of work of several checks cannot deadlock with one of one check; what it skips
    is checked alone afterwards. SQLite: the write transaction already holds the database.
    """
    params = {"company_id": company_id, "codes": list(codes)}
    statement = _lock_free_customers(arrays=_on_postgresql(session))
    found = direct.rows(session, statement, params)  # PostgreSQL: on the driver
    return {row[0]: Locked(*row[1:]) for row in found}


@cache
def _lock_free_customers(*, arrays: bool) -> Select[str, int, int, int | None, str, str, str]:
    customers = Customer.__table__
    listed = _any_of("codes", String) if arrays else _in("codes")
    return (
        _customer_and_company()
        .with_only_columns(customers.c.code, *_customer_and_company().selected_columns)
        .where(customers.c.company_id == bindparam("company_id"), listed(customers.c.code))
        .order_by(customers.c.id)
        .with_for_update(of=customers, skip_locked=True)
    )


def lock_free_roots(session: Session, company_id: int, customer_ids: Sequence[int]) -> set[int]:
    """Lock those of these customers (group roots) whose rows nobody else holds; their ids.

    SKIP LOCKED, as :func:`lock_free_customers`; SQLite: every one that exists."""
    if not customer_ids:
        return set()
    params = _roots_params(company_id, customer_ids)
    statement = _lock_free_roots(arrays=_on_postgresql(session))
    return {int(row[0]) for row in direct.rows(session, statement, params)}


def _roots_params(company_id: int, customer_ids: Sequence[int]) -> dict[str, Any]:
    return {"company_id": company_id, "ids": sorted(set(customer_ids))}


@cache
def _lock_free_roots(*, arrays: bool) -> Select[int]:
    listed = _any_of("ids", BigInteger) if arrays else _in("ids")
    return (
        select(Customer.id)
        .where(Customer.company_id == bindparam("company_id"), listed(Customer.id))
        .order_by(Customer.id)
        .with_for_update(skip_locked=True)
    )


def _of_codes(column: Any) -> ColumnElement[bool]:
    """``column = ANY (ids)``, the ids of the company's customers of the ``codes`` parameter
    (PostgreSQL): one look-up, then an index scan, as for a list of ids."""
    listed: ColumnElement[bool] = column == any_(_named(Customer.__table__.c.id))
    return listed


def _named(column: Any) -> Any:
    """``column``'s values (an array) for the company's customers of the ``codes`` given:
    ``ARRAY(SELECT ...)``, an array, where ``ANY (SELECT ...)`` would compare with each row."""
    named = Customer.__table__.alias("named")
    found = select(named.c[column.key]).where(
        named.c.company_id == bindparam("company_id"),
        named.c.code == any_(bindparam("codes", type_=ARRAY(String))),
    )
    return func.array(found.scalar_subquery(), type_=ARRAY(column.type))


@cache
def _lock_free_roots_of_codes() -> Select[int]:
    """:func:`_lock_free_roots` of the parents of the customers of the ``codes`` given."""
    return (
        select(Customer.id)
        .where(
            Customer.company_id == bindparam("company_id"),
            Customer.id == any_(_named(Customer.__table__.c.parent_id)),
        )
        .order_by(Customer.id)
        .with_for_update(skip_locked=True)
    )


@dataclass(frozen=True, slots=True)
class LimitFacts:
    """What a check needs of a limit: its amount and when it expires."""

    amount_minor: int
    currency: str
    expires_on: date | None


@dataclass(frozen=True, slots=True)
class Facts:
    """What a check reads besides exposure, in one round trip."""

    checked_before: bool  # the order reference has a check already
    grade: str | None
    oldest_overdue: date | None
    policy_version: int | None
    policy_body: str | None
    policy_note: str | None
    limit: LimitFacts | None  # the customer's own limit (scope 'customer')
    group_limit: LimitFacts | None  # the group's shared limit (scope 'group', on the root)


def facts(
    session: Session,
    company_id: int,
    customer_id: int,
    root_id: int,
    order_ref: str,
    as_of: date,
) -> Facts:
    """The order's earlier check, the grade, the oldest overdue item, the newest policy and the
    customer's and its group's limits. Read after the customers' rows are locked."""
    params = {
        "company_id": company_id,
        "customer_id": customer_id,
        "root_id": root_id,
        "order_ref": order_ref,
        "as_of": as_of,
    }
    (row,) = direct.rows(session, _facts(), params)  # Core, on the driver: db.direct
    return _facts_of(row)


@dataclass(frozen=True, slots=True)
class UnitRead:
    """What a unit of checks reads once its customers are locked, on one business day."""

    as_of: date
    facts: list[Facts | None]  # of each (code, order reference) asked, in order (see lock_unit)
    sums: Sums  # the exposure sums of the customers asked (PostgreSQL: of every code asked)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of checks' customers locked, by code, and its group roots locked (their ids);
    what it read with them when a business day was given (:func:`lock_unit`)."""

    locked: dict[str, Locked]
    roots: set[int]
    read: UnitRead | None
    ids: list[int] | None = None  # check ids drawn ahead (``draw``), in ascending order


def lock_unit(
    session: Session,
    company_id: int,
    asked: Sequence[tuple[str, str]],
    as_of: date | None,
    *,
    draw: int = 0,
) -> Unit:
    """Lock the customers of ``asked`` (code, order reference) that nobody else holds, as
    :func:`lock_free_customers`, and the group roots of the customers asked, as
    :func:`lock_free_roots`; with ``as_of``, also :func:`read_unit` of ``asked``.

    PostgreSQL: one round trip (with the transaction's BEGIN), each statement keyed by the
    customers' codes, so none waits for another's rows: each runs after the one before it, so
    the facts and sums are read with the customers and roots locked. Every code's facts and
    sums are read, those skipped (locked elsewhere) or unknown too; the caller takes those it
    locked. The business day is the caller's to guess (its company's time zone is known only
    once the row is read): a wrong guess costs a :func:`read_unit` more, never a wrong read.
    ``draw``: that many check ids drawn too, after the locks (the transaction has its id:
    see :func:`creditguard.db.engine.lock_first`), for rows written with
    :func:`add_checks` ``ids``. SQLite: one statement after another, the group roots of the
    customers locked, no ids drawn."""
    codes = [code for code, _ in asked]
    if not _on_postgresql(session):
        locked = lock_free_customers(session, company_id, codes)
        parents = [c.parent_id for c in locked.values() if c.parent_id is not None]
        roots = lock_free_roots(session, company_id, parents)
        read = None if as_of is None else read_unit(session, company_id, asked, locked, as_of)
        return Unit(locked, roots, read)
    params = {"company_id": company_id, "codes": codes}
    steps: list[direct.Step] = [
        (_lock_free_customers(arrays=True), params),
        (_lock_free_roots_of_codes(), params),
    ]
    if draw:
        steps.append((_draw_check_ids(), {"n": draw}))
    if as_of is not None:
        steps += _read_steps(company_id, asked, as_of)
    found = direct.rows_together(session, steps, generic=True)  # see rows_together
    locked = {row[0]: Locked(*row[1:]) for row in found.pop(0)}
    roots = {int(row[0]) for row in found.pop(0)}
    ids = sorted(int(row[0]) for row in found.pop(0)) if draw else None
    read = None if as_of is None else _unit_read(as_of, found[0], found[1])
    return Unit(locked, roots, read, ids)


@cache
def _draw_check_ids() -> Select[Any]:
    """``n`` ids from the check rows' sequence (PostgreSQL)."""
    sequence = func.pg_get_serial_sequence(
        literal(CreditCheck.__tablename__), literal(CreditCheck.id.key)
    )
    counted = func.generate_series(1, bindparam("n", type_=Integer))
    return select(func.nextval(sequence)).select_from(counted)


def read_unit(
    session: Session,
    company_id: int,
    asked: Sequence[tuple[str, str]],
    locked: Mapping[str, Locked],
    as_of: date,
) -> UnitRead:
    """:func:`facts` of each (code, order reference) asked and the exposure sums of their
    customers on ``as_of``, once ``locked``. PostgreSQL: in one round trip, by code; SQLite:
    one statement after another, of the customers ``locked`` (a fact None for any other)."""
    if _on_postgresql(session):
        steps = _read_steps(company_id, asked, as_of)
        found = direct.rows_together(session, steps, generic=True)
        return _unit_read(as_of, found[0], found[1])
    known: list[Facts | None] = []
    for code, order_ref in asked:
        customer = locked.get(code)
        known.append(
            None
            if customer is None
            else facts(session, company_id, customer.id, customer.root_id, order_ref, as_of)
        )
    ids = sorted({customer.id for customer in locked.values()})
    return UnitRead(as_of, known, exposure_sums(session, company_id, ids, as_of) if ids else {})


def _read_steps(
    company_id: int, asked: Sequence[tuple[str, str]], as_of: date
) -> list[direct.Step]:
    codes = [code for code, _ in asked]
    return [
        (
            _facts_of_codes(),
            {
                "company_id": company_id,
                "codes": codes,
                "order_refs": [order_ref for _, order_ref in asked],
                "as_of": as_of,
            },
        ),
        (_exposure_of_codes(), {"company_id": company_id, "codes": codes, "as_of": as_of}),
    ]


def _unit_read(
    as_of: date, facts_rows: Sequence[Sequence[Any]], sums_rows: Sequence[Sequence[Any]]
) -> UnitRead:
    return UnitRead(as_of, [_facts_of(row) for row in facts_rows], _sums(sums_rows))


def _facts_of(row: Sequence[Any]) -> Facts:
    own = None if row[6] is None else LimitFacts(int(row[6]), str(row[7]), row[8])
    group = None if row[9] is None else LimitFacts(int(row[9]), str(row[10]), row[11])
    return Facts(row[0] is not None, row[1], row[2], row[3], row[4], row[5], own, group)


def _limit_columns(company_id: Param, customer_id: Param, scope: str) -> list[Any]:
    """The limit's amount, currency and expiry (NULLs without one): one per customer and scope."""
    found = (
        select(CreditLimit.id)
        .where(
            CreditLimit.company_id == company_id,
            CreditLimit.customer_id == customer_id,
            CreditLimit.scope == scope,
        )
        .limit(1)
        .correlate_except(CreditLimit)  # two levels down: to the checks asked (_facts_of_codes)
        .scalar_subquery()
    )
    return [
        select(column).where(CreditLimit.id == found).scalar_subquery()
        for column in (CreditLimit.amount_minor, CreditLimit.currency, CreditLimit.expires_on)
    ]


@cache
def _facts() -> Select[Any]:
    return select(
        *_fact_columns(
            bindparam("company_id"),
            bindparam("customer_id"),
            bindparam("root_id"),
            bindparam("order_ref"),
            bindparam("as_of"),
        )
    )


@cache
def _facts_of_codes() -> Select[Any]:
    """:func:`_facts` of each (customer code, order reference) of two arrays, in their order
    (PostgreSQL); a code of no customer of the company has the facts of nobody."""
    customers = Customer.__table__
    asked = (
        func.unnest(
            bindparam("codes", type_=ARRAY(String)),
            bindparam("order_refs", type_=ARRAY(String)),
        )
        .table_valued("code", "order_ref", with_ordinality="n")
        .render_derived("asked")
    )
    company_id: Param = bindparam("company_id")
    named = and_(customers.c.company_id == company_id, customers.c.code == asked.c.code)
    columns = _fact_columns(
        company_id,
        customers.c.id,
        func.coalesce(customers.c.parent_id, customers.c.id),
        asked.c.order_ref,
        bindparam("as_of"),
    )
    return select(*columns).select_from(asked.outerjoin(customers, named)).order_by(asked.c.n)


def _fact_columns(
    company_id: Param, customer_id: Param, root_id: Param, order_ref: Param, as_of: Param
) -> list[Any]:
    checked = (
        select(CreditCheck.id)
        .where(CreditCheck.company_id == company_id, CreditCheck.order_ref == order_ref)
        .limit(1)
        .scalar_subquery()
    )
    graded = (
        select(CreditRating.grade)
        .where(
            CreditRating.company_id == company_id,
            CreditRating.customer_id == customer_id,
            CreditRating.as_of <= as_of,
        )
        .order_by(CreditRating.as_of.desc(), CreditRating.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    newest = (
        select(LimitPolicy.id)
        .where(LimitPolicy.company_id == company_id)
        .order_by(LimitPolicy.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    return [
        checked,
        graded,
        _oldest_overdue(company_id, customer_id, as_of).scalar_subquery(),
        select(LimitPolicy.version).where(LimitPolicy.id == newest).scalar_subquery(),
        select(LimitPolicy.body).where(LimitPolicy.id == newest).scalar_subquery(),
        select(LimitPolicy.note).where(LimitPolicy.id == newest).scalar_subquery(),
        *_limit_columns(company_id, customer_id, "customer"),
        *_limit_columns(company_id, root_id, "group"),
    ]


def lock_customers(session: Session, company_id: int, customer_ids: Sequence[int]) -> None:
    """Lock these customers' rows, in the order given (a member's before its group root's).

    Nobody locks a group root and then one of its members, so checks of one group queue on
    the root's row without deadlocks. SQLite: nothing to do (see :func:`lock_customer`).
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    for customer_id in dict.fromkeys(customer_ids):
        session.execute(
            select(Customer.id)
            .where(Customer.company_id == company_id, Customer.id == customer_id)
            .with_for_update()
        ).all()


def group_members(session: Session, company_id: int, root_id: int) -> list[int]:
    """The group of ``root_id``: the root and every customer whose parent it is."""
    members = session.scalars(
        select(Customer.id).where(Customer.company_id == company_id, Customer.parent_id == root_id)
    )
    return [root_id, *sorted(members)]


def limits(session: Session, company_id: int, customer_ids: Sequence[int]) -> list[CreditLimit]:
    params = {"company_id": company_id, "ids": list(customer_ids)}
    return list(session.scalars(_limits(), params))


@cache
def _limits() -> Select[CreditLimit]:
    return select(CreditLimit).where(
        CreditLimit.company_id == bindparam("company_id"),
        CreditLimit.customer_id.in_(bindparam("ids", expanding=True)),
    )


def grade(session: Session, company_id: int, customer_id: int, as_of: date) -> str | None:
    """The grade that holds on ``as_of``: that of the latest rating dated up to it."""
    return session.scalar(
        select(CreditRating.grade)
        .where(
            CreditRating.company_id == company_id,
            CreditRating.customer_id == customer_id,
            CreditRating.as_of <= as_of,
        )
        .order_by(CreditRating.as_of.desc(), CreditRating.id.desc())
        .limit(1)
    )


def latest_statement(
    session: Session, company_id: int, customer_id: int, as_of: date
) -> FinancialStatement | None:
    return session.scalar(
        select(FinancialStatement)
        .where(
            FinancialStatement.company_id == company_id,
            FinancialStatement.customer_id == customer_id,
            FinancialStatement.period_end <= as_of,
        )
        .order_by(FinancialStatement.period_end.desc())
        .limit(1)
    )


# --- exposure ---


# Which customers a sum is of: those of a list (an expanding parameter), or one.
Of = Callable[[Any], ColumnElement[bool]]


def _ledger_sums(company_id: Param, of: Of, as_of: Param) -> Select[Any, Any, Any, Any]:
    """Open instalments of open invoices, past due (``due_on < as_of``) or not yet due."""
    stage = case((Instalment.due_on < as_of, "open_receivables"), else_="invoiced_not_due")
    return (
        select(
            Instalment.customer_id,
            Instalment.currency,
            stage.label("stage"),
            func.sum(Instalment.open_minor).label("minor"),
        )
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(
            Instalment.company_id == company_id,
            of(Instalment.customer_id),
            Instalment.open_minor > 0,
            Invoice.status == "open",
        )
        .group_by(Instalment.customer_id, Instalment.currency, stage)
    )


def _order_sums(company_id: Param, of: Of, stage: str) -> Select[Any, Any, Any, Any]:
    """Open orders (confirmed or shipped): shipped not invoiced, or confirmed not shipped."""
    amount = (
        Order.shipped_minor
        if stage == "shipped_not_invoiced"
        else Order.amount_minor - Order.shipped_minor
    )
    return (
        select(
            Order.customer_id,
            Order.currency,
            literal(stage).label("stage"),
            func.sum(amount).label("minor"),
        )
        .where(
            Order.company_id == company_id,
            of(Order.customer_id),
            # not IN (...): a constant list is an expanding parameter, rendered on every run
            or_(Order.status == "confirmed", Order.status == "shipped"),
        )
        .group_by(Order.customer_id, Order.currency)
    )


def _counting_reservation() -> ColumnElement[bool]:
    """A reservation counts while it is open and its order is neither in ``orders`` (which then
    counts it, or, cancelled there, nothing) nor on an invoice of the customer (invoiced)."""
    in_orders = exists().where(
        Order.company_id == CreditReservation.company_id,
        Order.external_ref == CreditReservation.order_ref,
    )
    invoiced = exists().where(
        Invoice.company_id == CreditReservation.company_id,
        Invoice.customer_id == CreditReservation.customer_id,
        Invoice.order_ref == CreditReservation.order_ref,
    )
    return and_(CreditReservation.status == "reserved", ~in_orders, ~invoiced)


def _reserved_sums(company_id: Param, of: Of) -> Select[Any, Any, Any, Any]:
    return (
        select(
            CreditReservation.customer_id,
            CreditReservation.currency,
            literal("reserved").label("stage"),
            func.sum(CreditReservation.amount_minor).label("minor"),
        )
        .where(
            CreditReservation.company_id == company_id,
            of(CreditReservation.customer_id),
            _counting_reservation(),
        )
        .group_by(CreditReservation.customer_id, CreditReservation.currency)
    )


Sums = dict[tuple[int, str, str], int]  # (customer, currency, stage) -> minor units


def exposure_sums(
    session: Session, company_id: int, customer_ids: Sequence[int], as_of: date
) -> Sums:
    """Every stage's sums per customer and currency, in one statement (one round trip).

    One customer (a check's usual case) is a plain parameter; a list is one array parameter
    on PostgreSQL, an expanding one (rendered again on every execution) on SQLite."""
    statement, params = _exposure_step(session, company_id, customer_ids, as_of)
    return _sums(direct.rows(session, statement, params))  # Core, on the driver: db.direct


def _exposure_step(
    session: Session, company_id: int, customer_ids: Sequence[int], as_of: date
) -> direct.Step:
    ids = list(customer_ids)
    params: dict[str, Any] = {"company_id": company_id, "as_of": as_of}
    if len(ids) == 1:
        params["customer_id"] = ids[0]
        return _exposure_of_one(), params
    params["ids"] = ids
    return _exposure(arrays=_on_postgresql(session)), params


def _sums(rows: Sequence[Sequence[Any]]) -> Sums:
    found: Sums = {}
    for customer_id, currency, stage, minor in rows:
        key = (int(customer_id), str(currency), str(stage))
        found[key] = found.get(key, 0) + int(minor)
    return found


@cache
def _exposure(*, arrays: bool) -> CompoundSelect[Any, Any, Any, Any]:
    listed = _any_of("ids", BigInteger) if arrays else _in("ids")
    return _exposure_of(bindparam("company_id"), listed)


@cache
def _exposure_of_one() -> CompoundSelect[Any, Any, Any, Any]:
    customer_id: Param = bindparam("customer_id")
    return _exposure_of(bindparam("company_id"), lambda column: column == customer_id)


@cache
def _exposure_of_codes() -> CompoundSelect[Any, Any, Any, Any]:
    """:func:`_exposure` of the company's customers of the ``codes`` given (PostgreSQL)."""
    return _exposure_of(bindparam("company_id"), _of_codes)


def _exposure_of(company_id: Param, of: Of) -> CompoundSelect[Any, Any, Any, Any]:
    return union_all(
        _ledger_sums(company_id, of, bindparam("as_of")),
        _order_sums(company_id, of, "shipped_not_invoiced"),
        _order_sums(company_id, of, "confirmed_not_shipped"),
        _reserved_sums(company_id, of),
    )


def _oldest_overdue(company_id: Param, customer_id: Param, as_of: Param) -> Select[date]:
    """Due date of the oldest open instalment past due whose invoice is not wholly disputed."""
    return (
        select(func.min(Instalment.due_on))
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .where(
            Instalment.company_id == company_id,
            Instalment.customer_id == customer_id,
            Instalment.open_minor > 0,
            Instalment.due_on < as_of,
            Invoice.status == "open",
            Invoice.disputed_minor < Invoice.open_minor,
        )
    )


# --- checks and reservations ---

# A check row's columns, and those its reservation takes from it (the reservation's amount is
# the check's amount in the base currency).
CHECK_COLUMNS = (
    "company_id",
    "customer_id",
    "order_ref",
    "currency",
    "amount_minor",
    "base_amount_minor",
    "decision",
    "status",
    "reasons",
    "available_minor",
    "reserve",
    "checked_on",
    "requested_at",
    "requested_by",
)


def add_check(session: Session, values: dict[str, Any], *, reserve_in: str | None) -> int:
    """Insert a check row; with ``reserve_in`` (the base currency) also its reservation.

    PostgreSQL: both rows in one statement (one round trip); SQLite: two statements.
    Returns the check's id.
    """
    connection = session.connection()  # Core: no ORM objects, no flush
    if reserve_in is None:
        return int(connection.execute(_insert_check(), values).scalar_one())
    params = values | {"base_currency": reserve_in}
    if connection.dialect.name == "postgresql":
        ((check_id,),) = direct.rows(session, _insert_check_and_reservation(), params)
        return int(check_id)
    check_id = int(connection.execute(_insert_check(), values).scalar_one())
    connection.execute(_insert_reservation(), params | {"check_id": check_id})
    return check_id


def add_checks(
    session: Session,
    checks: Sequence[tuple[dict[str, Any], str | None]],
    *,
    commit: bool = False,
    ids: Sequence[int] | None = None,
    then: Sequence[direct.Step] = (),
) -> list[int]:
    """:func:`add_check` of each (values, ``reserve_in``), in order; their ids.

    PostgreSQL: every check row and every reservation in one statement, when the rows share
    their company, business day and time, and reserve in one currency (as a unit of work's
    rows do), and with ``commit=True`` the unit of work's COMMIT in the same round trip (the
    session then runs nothing more; see :func:`creditguard.db.direct.rows_together`);
    otherwise, and on SQLite, one :func:`add_check` after another.

    ``ids``: the rows' ids, drawn ahead (:func:`lock_unit`), and ``then``: statements sent
    after the rows in their round trip (before its COMMIT): PostgreSQL, rows together only."""
    shared = {(v["company_id"], v["checked_on"], v["requested_at"]) for v, _ in checks}
    currencies = {reserve_in for _, reserve_in in checks if reserve_in is not None}
    orders = {v["order_ref"] for v, _ in checks}
    together = (
        len(shared) == 1
        and len(currencies) <= 1
        and len(orders) == len(checks)
        and all((reserve_in is not None) == _reserves(v) for v, reserve_in in checks)
    )
    ahead = ids is not None or bool(then)
    if not (together and _on_postgresql(session)):
        if ahead and checks:
            raise ValueError("rows with ids drawn ahead go together, on PostgreSQL")
        return [add_check(session, values, reserve_in=reserve_in) for values, reserve_in in checks]
    first = checks[0][0]
    params: dict[str, Any] = {name: first[name] for name in _UNIT_COLUMNS}
    for name in _ROW_COLUMNS:
        params[name] = [values[name] for values, _ in checks]
    params["base_currency"] = next(iter(currencies), None)
    if ids is not None:
        if len(ids) != len(checks):
            raise ValueError(f"{len(ids)} ids drawn for {len(checks)} rows")
        params["id"] = list(ids)
    statement = _insert_checks(drawn=ids is not None)
    inserted, *_ = direct.rows_together(session, [(statement, params), *then], commit=commit)
    made = {str(order_ref): int(check_id) for check_id, order_ref in inserted}
    return [made[values["order_ref"]] for values, _ in checks]


def _reserves(values: dict[str, Any]) -> bool:
    """Whether a check row reserves its amount: approved, and asked to reserve."""
    return values["decision"] == "approved" and bool(values["reserve"])


# A unit of work's check rows: the columns each row has its own value of (an array each), and
# those the unit's rows share (one company, one business day, one time).
_UNIT_COLUMNS = ("company_id", "checked_on", "requested_at")
_ROW_COLUMNS = tuple(name for name in CHECK_COLUMNS if name not in _UNIT_COLUMNS)


@cache
def _insert_checks(*, drawn: bool = False) -> Select[int, str]:
    """The check rows of three or thirty checks, and the reservations of those that reserve,
    in one statement (PostgreSQL): ``WITH made AS (INSERT ... SELECT ... FROM unnest(...)
    RETURNING ...), reserved AS (INSERT ... SELECT ... FROM made WHERE reserving) SELECT
    id, order_ref FROM made``. ``drawn``: with the rows' ids (an array ``id``)."""
    table = CreditCheck.__table__
    named = ("id", *_ROW_COLUMNS) if drawn else _ROW_COLUMNS
    given = unnested(table, named)
    rows = select(
        *[given.c[name] if name in named else _typed(table, name) for name in CHECK_COLUMNS],
        *([given.c.id] if drawn else []),
    ).select_from(given)
    made = (
        insert(CreditCheck)
        .from_select([*CHECK_COLUMNS, *(["id"] if drawn else [])], rows)
        .returning(
            CreditCheck.id,
            CreditCheck.company_id,
            CreditCheck.customer_id,
            CreditCheck.order_ref,
            CreditCheck.base_amount_minor,
            CreditCheck.decision,
            CreditCheck.reserve,
            CreditCheck.requested_at,
            CreditCheck.requested_by,
        )
        .cte("made")
    )
    reservations = select(*_reservation_values(lambda name: made.c[name], made.c.id)).where(
        made.c.decision == "approved",
        made.c.reserve,  # as _reserves
    )
    reserved = (
        insert(CreditReservation)
        .from_select(list(_RESERVATION_COLUMNS), reservations)
        .cte("reserved")
    )
    return select(made.c.id, made.c.order_ref).add_cte(reserved)


def _typed(table: Any, name: str) -> Param:
    return bindparam(name, type_=table.c[name].type)


@cache
def _insert_check() -> ReturningInsert[int]:
    table = CreditCheck.__table__
    return (
        insert(CreditCheck)
        .values({name: _typed(table, name) for name in CHECK_COLUMNS})
        .returning(CreditCheck.id)
    )


def _reservation_values(check: Callable[[str], Any], check_id: Any) -> list[Any]:
    """A reservation's values (``_RESERVATION_COLUMNS``) from its check's: ``check(name)``
    is the check's column ``name`` (a parameter, or a column of the rows just inserted)."""
    return [
        check("company_id"),
        check("customer_id"),
        check_id,
        check("order_ref"),
        bindparam("base_currency", type_=CreditReservation.__table__.c.currency.type),
        check("base_amount_minor"),
        literal_column("'reserved'"),  # a constant, not a parameter named like the check's
        check("requested_at"),
        check("requested_by"),
    ]


def _check_parameter(name: str) -> Param:
    return _typed(CreditCheck.__table__, name)


_RESERVATION_COLUMNS = (
    "company_id",
    "customer_id",
    "check_id",
    "order_ref",
    "currency",
    "amount_minor",
    "status",
    "created_at",
    "created_by",
)


@cache
def _insert_reservation() -> Insert:
    check_id = bindparam("check_id", type_=CreditReservation.__table__.c.check_id.type)
    return insert(CreditReservation).values(
        dict(
            zip(_RESERVATION_COLUMNS, _reservation_values(_check_parameter, check_id), strict=True)
        )
    )


@cache
def _insert_check_and_reservation() -> ReturningInsert[int]:
    made = _insert_check().cte("made")
    return (
        insert(CreditReservation)
        .from_select(
            list(_RESERVATION_COLUMNS), select(*_reservation_values(_check_parameter, made.c.id))
        )
        .returning(CreditReservation.check_id)
    )


def reservation(session: Session, company_id: int, order_ref: str) -> CreditReservation | None:
    return session.scalar(
        select(CreditReservation).where(
            CreditReservation.company_id == company_id, CreditReservation.order_ref == order_ref
        )
    )


def pending_check(session: Session, company_id: int, order_ref: str) -> CreditCheck | None:
    """The order's check waiting for a decision (held), if any."""
    return session.scalar(
        select(CreditCheck)
        .where(
            CreditCheck.company_id == company_id,
            CreditCheck.order_ref == order_ref,
            CreditCheck.status == "held",
        )
        .order_by(CreditCheck.id.desc())
        .limit(1)
    )


def get_check(session: Session, company_id: int, check_id: int) -> CreditCheck | None:
    return session.scalar(
        select(CreditCheck).where(CreditCheck.company_id == company_id, CreditCheck.id == check_id)
    )


def checks(
    session: Session, company_id: int, status: str | None, limit: int
) -> list[tuple[CreditCheck, str]]:
    """Checks (of one status if given), newest first, each with its customer's code."""
    stmt = (
        select(CreditCheck, Customer.code)
        .join(Customer, Customer.id == CreditCheck.customer_id)
        .where(CreditCheck.company_id == company_id)
    )
    if status is not None:
        stmt = stmt.where(CreditCheck.status == status)
    rows = session.execute(stmt.order_by(CreditCheck.id.desc()).limit(limit))
    return [(row[0], row[1]) for row in rows]


def customer_code(session: Session, company_id: int, customer_id: int) -> str:
    return str(
        session.scalar(
            select(Customer.code).where(
                Customer.company_id == company_id, Customer.id == customer_id
            )
        )
    )


# --- webhooks and notifications ---


def webhooks(session: Session, company_id: int) -> list[Webhook]:
    return list(
        session.scalars(
            select(Webhook).where(Webhook.company_id == company_id).order_by(Webhook.id)
        )
    )


def webhook_by_url(session: Session, company_id: int, url: str) -> Webhook | None:
    return session.scalar(
        select(Webhook).where(Webhook.company_id == company_id, Webhook.url == url)
    )


def webhook(session: Session, webhook_id: int) -> Webhook | None:
    return session.get(Webhook, webhook_id)


def pending_notifications(session: Session, limit: int) -> list[Notification]:
    """Notifications still to deliver, oldest first (every company: the sender is a job)."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.status == "pending")
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def notifications(session: Session, company_id: int) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.company_id == company_id)
            .order_by(Notification.id)
        )
    )
