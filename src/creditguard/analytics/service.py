"""Aging of receivables (应收账款账龄), for today or any date in the past.

What was open on the as-of date comes from the entries dated up to it (invoices issued, money
applied, invoices reversed), so a past report is what the ledger said on that day, whatever
was posted later for later dates. Amounts are summed per group, bucket and currency in the
original currency, then converted once per cell to the base currency at the rates of the
as-of date (half up), so every row adds up to its total and the rows to the totals.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal, overload

import polars as pl
from sqlalchemy.orm import Session

from creditguard.analytics import conversion
from creditguard.analytics import one_customer as one
from creditguard.analytics import repository as repo
from creditguard.analytics.snapshot import View, snapshot_for
from creditguard.core.aging import Buckets
from creditguard.core.errors import invalid, not_found
from creditguard.core.money import Money, currency_exponent
from creditguard.core.permissions import Actor
from creditguard.reference import service as reference

FEW_ROWS: Final = 64  # below this many rows a report is written as JSON cell by cell
GROUPINGS: Final = (
    "customer",
    "group",
    "industry",
    "region",
    "salesperson",
    "currency",
    "grade",  # the credit grade that held on the date
)


@dataclass(frozen=True, slots=True)
class AgingRow:
    key: str
    buckets: tuple[int, ...]  # base-currency minor units, one per bucket
    disputed: int

    @property
    def total(self) -> int:
        return sum(self.buckets)


@dataclass(frozen=True, slots=True)
class AgingReport:
    """The report as columns: ``table`` has one row per key (sorted), ``key``, then the
    buckets ``b0``, ``b1``, ... and ``disputed`` in base-currency minor units. Rows as Python
    objects or text are made only when they are shown (:attr:`rows`, :meth:`as_json`,
    :meth:`text_rows`)."""

    as_of: date
    currency: str
    by: str
    buckets: Buckets
    table: pl.DataFrame
    original: dict[str, tuple[int, ...]] = field(default_factory=dict)  # per currency, unconverted

    @property
    def rows(self) -> list[AgingRow]:
        """One row per key, in key order."""
        return [AgingRow(r[0], tuple(r[1:-1]), r[-1]) for r in self.table.iter_rows()]

    def totals(self) -> AgingRow:
        width = len(self.buckets.bounds())
        wide = pl.col(*_amounts(width), "disputed").cast(pl.Int128)  # no sum of Int64 wraps
        sums = self.table.select(wide.sum()).row(0)
        return AgingRow("total", tuple(int(v) for v in sums[:-1]), int(sums[-1]))

    def text_rows(self, labels: tuple[str, ...]) -> pl.DataFrame:
        """``key``, the buckets under ``labels``, ``total`` and ``disputed``, as decimal
        strings in the base currency (:meth:`Money.decimal_string`), one row per key."""
        places = currency_exponent(self.currency)
        amounts = _amounts(len(labels))
        return self.table.select(
            "key",
            *(
                decimal_text(pl.col(a), places).alias(n)
                for a, n in zip(amounts, labels, strict=True)
            ),
            decimal_text(pl.sum_horizontal(pl.col(*amounts).cast(pl.Int128)), places).alias(
                "total"
            ),
            decimal_text(pl.col("disputed"), places).alias("disputed"),
        )

    def as_json(self) -> dict[str, Any]:
        """The documented form: decimal strings in the base currency, keyed by bucket label.
        Fewer than ``FEW_ROWS`` rows (one customer's report) are written cell by cell with
        :meth:`Money.decimal_string`, the rule :meth:`text_rows` writes column-wise: the same
        text, without Polars' fixed cost per operation (milliseconds for a handful of rows)."""
        labels = self.buckets.labels()
        if self.table.height < FEW_ROWS:
            rows = self.rows
            totals = _total_of(rows, len(labels))
            listed = [{"key": row.key} | self._line(row, labels) for row in rows]
        else:
            totals = self.totals()
            listed = self.text_rows(labels).to_dicts()
        head, tail = self._envelope(labels, totals)
        return head | {"rows": listed} | tail

    def json_body(self) -> bytes:
        """:meth:`as_json` as the API sends it — the very bytes Starlette's ``JSONResponse``
        writes (compact, UTF-8) — with the rows of a large report written by Polars straight
        from :meth:`text_rows`: a million rows are never made into a million dictionaries for
        ``json.dumps`` to walk again (about three times quicker)."""
        if self.table.height < FEW_ROWS:
            return _compact(self.as_json())
        labels = self.buckets.labels()
        head, tail = self._envelope(labels, self.totals())
        rows = self.text_rows(labels).write_json().encode("utf-8")
        return b"".join((_compact(head)[:-1], b',"rows":', rows, b",", _compact(tail)[1:]))

    def _line(self, row: AgingRow, labels: tuple[str, ...]) -> dict[str, str]:
        disputed = Money(row.disputed, self.currency).decimal_string()
        return _cells(row, self.currency, labels) | {"disputed": disputed}

    def _envelope(
        self, labels: tuple[str, ...], totals: AgingRow
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """What :meth:`as_json` has before its rows, and after them."""
        head = {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "basis": self.buckets.basis,
            "by": self.by,
            "buckets": list(labels),
            "totals": self._line(totals, labels),
        }
        original = {
            currency: _cells(AgingRow(currency, amounts, 0), currency, labels)
            for currency, amounts in sorted(self.original.items())
        }
        return head, {"original_currency": original}


def _cells(row: AgingRow, currency: str, labels: tuple[str, ...]) -> dict[str, str]:
    amounts = dict(zip(labels, row.buckets, strict=True))
    shown = {k: Money(v, currency).decimal_string() for k, v in amounts.items()}
    return shown | {"total": Money(row.total, currency).decimal_string()}


def _compact(content: Any) -> bytes:
    """JSON as Starlette's ``JSONResponse`` renders it."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def _total_of(rows: list[AgingRow], width: int) -> AgingRow:
    """The totals row of ``rows`` (:meth:`AgingReport.totals`, summed in Python)."""
    buckets = tuple(sum(row.buckets[i] for row in rows) for i in range(width))
    return AgingRow("total", buckets, sum(row.disputed for row in rows))


def _amounts(width: int) -> list[str]:
    return [f"b{i}" for i in range(width)]


def decimal_text(minor: pl.Expr, places: int) -> pl.Expr:
    """Integer minor units as :meth:`Money.decimal_string` writes them, column-wise: "-0.05",
    "0.00", "12800.00" (``places`` decimals; none: the integer)."""
    if places == 0:
        return minor.cast(pl.String)
    wide = minor.cast(pl.Int128)
    unit = 10**places
    sign = pl.when(wide < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (wide.abs() // unit).cast(pl.String)
    fraction = (wide.abs() % unit).cast(pl.String).str.zfill(places)
    return pl.concat_str(sign, whole, pl.lit("."), fraction)


def aging(
    session: Session,
    actor: Actor,
    as_of: date,
    *,
    by: str = "customer",
    buckets: Buckets,
    customer_id: int | None = None,
) -> AgingReport:
    """Open receivables on ``as_of`` by ``by`` (customer, group, industry, region,
    salesperson, currency, grade: the one that held on ``as_of``) and bucket, in the
    company's base currency; of one customer only with ``customer_id`` (its own rows, read by
    index, summed in Python: a handful of rows). The whole portfolio comes from the portfolio
    snapshot, refreshed first."""
    check_grouping(by)
    if customer_id is not None:
        return one_customer_report(session, actor.company_id, as_of, customer_id, (by, buckets))
    base = repo.base_currency(session, actor.company_id)
    snap = snapshot_for(session, actor.company_id)
    people = snap.customers()
    if by == "grade":
        grades = repo.grades_on(session, actor.company_id, as_of)
        people = people.join(grades, on="customer_id", how="left")
    items = open_in(snap, as_of, lazy=True).with_columns(bucket=bucket_expr(buckets, as_of))
    cells = aging_cells(items, by, people)
    disputes = _disputed_per_key(items, snap.disputed(as_of), by, people)
    return report_of(session, as_of, base, by, buckets, (cells, disputes))


def aging_cells(items: pl.DataFrame | pl.LazyFrame, by: str, people: pl.DataFrame) -> pl.DataFrame:
    """(key, currency, bucket, open_minor) from open items with their ``bucket``, in one lazy
    pass: only the columns the sums need go through the join with the customers."""
    own = ["salesperson"] if by == "salesperson" else []  # the invoice's, else the customer's
    narrow = items.lazy().select("customer_id", *own, "currency", "bucket", "open_minor")
    if by == "currency":
        keyed = narrow.with_columns(key=pl.col("currency"))
    else:
        keyed = _keyed(narrow, by, people)
    return keyed.group_by("key", "currency", "bucket").agg(pl.col("open_minor").sum()).collect()


def _keyed(frame: pl.LazyFrame, by: str, people: pl.DataFrame) -> pl.LazyFrame:
    """``frame`` (customer_id, and salesperson when ``by`` is salesperson) with ``key``: the
    customer's ``by`` ("—" when it has none)."""
    if by == "salesperson":
        attribute = people.select("customer_id", "customer_salesperson")
        key = pl.coalesce("salesperson", "customer_salesperson")
    else:
        attribute, key = people.select("customer_id", by), pl.col(by)
    joined = frame.join(attribute.lazy(), on="customer_id", how="left")
    return joined.with_columns(key=key.fill_null("—"))


def report_of(
    session: Session,
    as_of: date,
    base: str,
    by: str,
    buckets: Buckets,
    sums: tuple[pl.DataFrame, pl.DataFrame],
) -> AgingReport:
    """The report from its sums in the original currencies, however they were computed:
    ``sums`` are (key, currency, bucket, open_minor) and (key, currency, held), each cell
    converted once to ``base`` at the rates of ``as_of``."""
    cells, disputes = sums
    rates = {
        c: reference.rate(session, c, base, as_of).rate
        for c in set(cells["currency"].unique().to_list())
        | set(disputes["currency"].unique().to_list())
    }
    width = len(buckets.bounds())
    amounts = in_base(cells, "open_minor", base, rates)
    wide = amounts.group_by("key").agg(
        pl.col("base_minor").filter(pl.col("bucket") == i).sum().alias(f"b{i}")
        for i in range(width)
    )
    held = in_base(disputes, "held", base, rates).group_by("key").agg(pl.col("base_minor").sum())
    table = (
        wide.join(held.rename({"base_minor": "disputed"}), on="key", how="left")
        .fill_null(0)
        .sort("key")
    )
    original: dict[str, list[int]] = defaultdict(lambda: [0] * width)
    per_currency = cells.group_by("currency", "bucket").agg(pl.col("open_minor").sum())
    for currency, bucket, minor in per_currency.iter_rows():
        original[currency][bucket] += minor
    return AgingReport(as_of, base, by, buckets, table, {c: tuple(v) for c, v in original.items()})


def in_base(frame: pl.DataFrame, column: str, base: str, rates: dict[str, Decimal]) -> pl.DataFrame:
    """``frame`` with ``base_minor``: its ``column`` in ``base``. Cells already in ``base`` (most
    of them) are taken as they are; every other cell is converted once, exactly as
    :func:`to_base` does (Decimal, half up), computed column-wise (``analytics.conversion``)."""
    return conversion.in_base(frame, column, base, rates, to_base)


def check_grouping(by: str) -> None:
    if by not in GROUPINGS:
        raise invalid(
            "by", by, "invalid", reason=", ".join(GROUPINGS), reason_zh=", ".join(GROUPINGS)
        )


def to_base(minor: int, currency: str, base: str, rate: Decimal) -> int:
    """``minor`` units of ``currency`` in ``base`` at ``rate``, rounded once (half up)."""
    if currency == base:
        return minor
    return Money.from_decimal(Money(minor, currency).amount * rate, base).minor


def one_customer_report(
    session: Session,
    company_id: int,
    as_of: date,
    customer_id: int,
    grouping: tuple[str, Buckets],
) -> AgingReport:
    """One customer's report from its own rows (``analytics.one_customer``: two statements,
    summed in Python): the same open items, reversals, buckets (the rule in ``core``),
    disputes and conversion (:func:`to_base`, once per cell) as the portfolio's columns, and
    the same report :func:`report_of` makes of them. Another company's customer is not found,
    as a customer that does not exist."""
    by, buckets = grouping
    ledger = one.read(session, company_id, as_of, customer_id, graded=by == "grade")
    if ledger is None:  # none, or another company's
        raise not_found("customer", customer_id, "customer_id")
    sums = one.sums(ledger, dead_invoices(ledger.links, as_of), as_of, grouping)
    rates = {c: reference.rate(session, c, ledger.base, as_of).rate for c in one.currencies(sums)}
    width = len(buckets.bounds())
    rows, original = one.rows(sums, ledger.base, rates, to_base, width)
    schema = {"key": pl.String} | dict.fromkeys([*_amounts(width), "disputed"], pl.Int64)
    table = pl.DataFrame(rows, schema=schema, orient="row")
    return AgingReport(as_of, ledger.base, by, buckets, table, original)


@overload
def open_in(snap: View, as_of: date) -> pl.DataFrame: ...
@overload
def open_in(snap: View, as_of: date, *, lazy: Literal[True]) -> pl.LazyFrame: ...
def open_in(snap: View, as_of: date, *, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:
    """As :func:`open_on`, from the portfolio snapshot (``lazy``: a plan, to be narrowed and
    summed in the same pass)."""
    items = snap.open_on(as_of, lazy=True)
    dead = dead_invoices(snap.reversals, as_of)
    if dead:
        items = items.filter(~pl.col("invoice_id").is_in(sorted(dead)))
    return items if lazy else items.collect()


def dead_invoices(links: list[tuple[int, str, int, date]], as_of: date) -> set[int]:
    """Invoices reversed on ``as_of``: an odd number of links of their reversal chain in effect.

    A link counts from its date; a later link cannot take effect before the one it reverses.
    """
    by_target = {(kind, target): (rid, on) for rid, kind, target, on in links}
    dead: set[int] = set()
    for _, kind, invoice_id, on in links:
        if kind != "invoice" or on > as_of:
            continue
        effective, current = 1, by_target[("invoice", invoice_id)][0]
        while (nxt := by_target.get(("reversal", current))) is not None and nxt[1] <= as_of:
            effective, current = effective + 1, nxt[0]
        if effective % 2:
            dead.add(invoice_id)
    return dead


def bucket_expr(buckets: Buckets, as_of: date) -> pl.Expr:
    """Each row's bucket index, from :meth:`Buckets.bounds` (the rule in ``core``)."""
    since = pl.col("due_on") if buckets.basis == "due" else pl.col("issued_on")
    days = (pl.lit(as_of) - since).dt.total_days()
    bounds = buckets.bounds()
    expr: pl.Expr = pl.lit(len(bounds) - 1, dtype=pl.Int64)
    for index in range(len(bounds) - 2, -1, -1):  # innermost: the last bucket
        high = bounds[index][1]
        expr = pl.when(days <= high).then(pl.lit(index, dtype=pl.Int64)).otherwise(expr)
    return expr


def _disputed_per_key(
    items: pl.DataFrame | pl.LazyFrame, disputes: pl.DataFrame, by: str, people: pl.DataFrame
) -> pl.DataFrame:
    """Disputed amounts per group key and currency, each invoice's capped at what it had open.
    Few invoices are in dispute: their items are picked out before anything is grouped."""
    disputed = items.lazy().filter(pl.col("invoice_id").is_in(disputes["invoice_id"]))
    if by == "currency":
        keyed = disputed.with_columns(key=pl.col("currency"))
    else:
        keyed = _keyed(disputed, by, people)
    per_invoice = keyed.group_by("invoice_id", "key", "currency").agg(pl.col("open_minor").sum())
    held = per_invoice.join(disputes.lazy(), on="invoice_id", how="inner")
    held = held.with_columns(pl.min_horizontal("open_minor", "disputed_minor").alias("held"))
    return held.group_by("key", "currency").agg(pl.col("held").sum()).collect()
