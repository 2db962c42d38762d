"""One customer's aging from its own rows: two statements, a handful of rows, summed in Python.

The portfolio's report is computed column-wise (Polars) from the snapshot; one customer's,
asked for one request at a time, has a few rows, where Polars' fixed cost per operation (tens
of them: sums, joins, conversion, text) is most of the time. Here the same rules are applied
row by row: the bucket is ``core``'s (:meth:`Buckets.days`, :meth:`Buckets.index`), an invoice
is dead by ``service.dead_invoices``, each cell is converted once by ``service.to_base`` — the
caller passes the last two in, so each rule keeps one definition.

Two statements, each a Core statement built once and run by :func:`creditguard.db.direct.rows`
(straight on psycopg on PostgreSQL): the customer with its company's base currency, its reversal
links (one row per link, or one row without) and, for the grouping by grade, the grade that
held; and its open items on the date, each with what its invoice had in dispute then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Date, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from creditguard.core.aging import Buckets
from creditguard.db import direct
from creditguard.models import (
    Application,
    Company,
    CreditRating,
    Customer,
    Dispute,
    Instalment,
    Invoice,
    Reversal,
)

Link = tuple[int, str, int, date]  # a reversal: (id, target kind, target id, date)
Item = tuple[int, date, date, str, int, str | None, int]
Cell = tuple[str, str, int]  # (key, currency, bucket)
Sums = tuple[dict[Cell, int], dict[tuple[str, str], int]]  # open per cell, disputed per key
Scalar = Callable[[int, str, str, Decimal], int]  # service.to_base: one cell to the base currency
# What a key is read from, as the portfolio's customers frame names it (repository.CUSTOMERS).
ATTRIBUTES = ("customer", "name", "group", "industry", "region", "customer_salesperson")


@dataclass(frozen=True, slots=True)
class Ledger:
    """What one customer's aging reads: its attributes (``ATTRIBUTES``, and ``grade`` when
    asked for), the company's base currency, its reversal links, and its open items
    (invoice id, due on, issued on, currency, open amount, the invoice's salesperson, the
    amount its invoice had in dispute)."""

    person: Mapping[str, Any]
    base: str
    links: list[Link]
    items: list[Item]


def _binds() -> tuple[Any, Any, Any]:
    return (
        bindparam("company", type_=BigInteger),
        bindparam("customer", type_=BigInteger),
        bindparam("as_of", type_=Date),
    )


@cache
def person_statement(*, graded: bool) -> Select[Any]:
    """The customer, its company's base currency, and its reversal links: one row per link
    (one row with none); with ``graded``, the grade of its latest rating dated up to
    ``as_of`` (a manual override included), as ``repository.grades_on`` picks it."""
    company, customer, as_of = _binds()
    parent = aliased(Customer)
    columns: list[Any] = [
        Customer.code,
        Customer.name,
        func.coalesce(parent.code, Customer.code),
        Customer.industry,
        Customer.region,
        Customer.salesperson,
        Company.base_currency,
        Reversal.id,
        Reversal.target_kind,
        Reversal.target_id,
        Reversal.reversed_on,
    ]
    if graded:
        latest = (
            select(CreditRating.grade)
            .where(
                CreditRating.company_id == company,
                CreditRating.customer_id == customer,
                CreditRating.as_of <= as_of,
            )
            .order_by(CreditRating.as_of.desc(), CreditRating.id.desc())
            .limit(1)
        )
        columns.append(latest.scalar_subquery())
    own = and_(Reversal.company_id == company, Reversal.customer_id == Customer.id)
    return (
        select(*columns)
        .select_from(Customer)
        .join(Company, Company.id == Customer.company_id)
        .outerjoin(parent, parent.id == Customer.parent_id)
        .outerjoin(Reversal, own)
        .where(Customer.company_id == company, Customer.id == customer)
    )


@cache
def items_statement() -> Select[Any]:
    """The customer's instalments open on ``as_of`` (issued by then, less the money applied
    by then, not zero), each with the sum of its invoice's disputes open on ``as_of``."""
    company, customer, as_of = _binds()
    own = select(Invoice.id).where(Invoice.company_id == company, Invoice.customer_id == customer)
    applied = (
        select(Application.instalment_id, func.sum(Application.amount_minor).label("applied"))
        .where(
            Application.company_id == company,
            Application.invoice_id.in_(own),
            Application.applied_on <= as_of,
        )
        .group_by(Application.instalment_id)
        .subquery()
    )
    open_minor = Instalment.amount_minor - func.coalesce(applied.c.applied, 0)
    disputed = (
        select(func.sum(Dispute.amount_minor))
        .where(
            Dispute.company_id == company,
            Dispute.customer_id == customer,
            Dispute.invoice_id == Instalment.invoice_id,
            Dispute.opened_on <= as_of,
            or_(Dispute.resolved_on.is_(None), Dispute.resolved_on > as_of),
        )
        .scalar_subquery()
    )
    return (
        select(
            Instalment.invoice_id,
            Instalment.due_on,
            Invoice.issued_on,
            Instalment.currency,
            open_minor,
            Invoice.salesperson,
            disputed,
        )
        .join(Invoice, Invoice.id == Instalment.invoice_id)
        .outerjoin(applied, applied.c.instalment_id == Instalment.id)
        .where(
            Instalment.company_id == company,
            Instalment.customer_id == customer,
            Invoice.issued_on <= as_of,
            open_minor != 0,
        )
    )


def read(
    session: Session, company_id: int, as_of: date, customer_id: int, *, graded: bool = False
) -> Ledger | None:
    """What the customer's aging on ``as_of`` needs; None when the company has no such
    customer (none at all, or another company's)."""
    binds = {"company": company_id, "customer": customer_id, "as_of": as_of}
    found = direct.rows(session, person_statement(graded=graded), binds)
    if not found:
        return None
    first = found[0]  # columns as person_statement selects them: 6 attributes, base, link
    person = dict(zip(ATTRIBUTES, first[:6], strict=True))
    if graded:
        person["grade"] = first[11]
    links = [(r[7], r[8], r[9], r[10]) for r in found if r[7] is not None]
    items = [
        (r[0], r[1], r[2], r[3], int(r[4]), r[5], 0 if r[6] is None else int(r[6]))
        for r in direct.rows(session, items_statement(), binds)
    ]  # PostgreSQL sums bigints as numeric: Decimal, made int
    return Ledger(person, first[6], links, items)


def sums(ledger: Ledger, dead: set[int], as_of: date, grouping: tuple[str, Buckets]) -> Sums:
    """Open amounts per (key, currency, bucket), and per (key, currency) what is in dispute
    (each invoice's capped at what it has open), in the original currencies; the items of
    ``dead`` (reversed) invoices left out."""
    by, buckets = grouping
    cells: dict[Cell, int] = defaultdict(int)
    invoices: dict[int, tuple[str, str, int, int]] = {}  # -> (key, currency, open, disputed)
    for invoice_id, due_on, issued_on, currency, open_minor, salesperson, disputed in ledger.items:
        if invoice_id in dead:
            continue
        key = _key(ledger.person, by, salesperson, currency)
        cells[(key, currency, buckets.index(buckets.days(as_of, due_on, issued_on)))] += open_minor
        before = invoices.get(invoice_id, (key, currency, 0, disputed))[2]
        invoices[invoice_id] = (key, currency, before + open_minor, disputed)
    held: dict[tuple[str, str], int] = defaultdict(int)
    for key, currency, open_minor, disputed in invoices.values():
        if disputed:
            held[(key, currency)] += min(open_minor, disputed)
    return cells, held


def _key(person: Mapping[str, Any], by: str, salesperson: str | None, currency: str) -> str:
    """The row an item goes to: the customer's ``by``; by salesperson the invoice's own, else
    the customer's; by currency the item's; "—" when there is none. As the portfolio's columns
    (coalesce, fill_null): an empty string is a value, not none."""
    if by == "currency":
        found: str | None = currency
    elif by == "salesperson":
        found = salesperson if salesperson is not None else person["customer_salesperson"]
    else:
        found = person[by]
    return "—" if found is None else found


def rows(
    found: Sums,
    base: str,
    rates: Mapping[str, Decimal],
    one: Scalar,
    width: int,
) -> tuple[list[tuple[Any, ...]], dict[str, tuple[int, ...]]]:
    """The report's rows (key, one amount per bucket, disputed: base-currency minor units,
    sorted by key), each cell converted once by ``one`` at its currency's rate; and the
    buckets per original currency, unconverted."""
    cells, held = found
    table: dict[str, list[int]] = {}
    original: dict[str, list[int]] = {}
    for (key, currency, bucket), minor in cells.items():
        row = table.setdefault(key, [0] * (width + 1))
        row[bucket] += one(minor, currency, base, rates[currency])
        original.setdefault(currency, [0] * width)[bucket] += minor
    for (key, currency), minor in held.items():
        table[key][width] += one(minor, currency, base, rates[currency])
    ordered = [(key, *table[key]) for key in sorted(table)]
    return ordered, {currency: tuple(v) for currency, v in original.items()}


def currencies(found: Sums) -> set[str]:
    """Every currency the sums hold (whose rate the conversion needs)."""
    cells, held = found
    return {c for _, c, _ in cells} | {c for _, c in held}
