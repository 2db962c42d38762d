"""The portfolio metrics beyond one machine: aging and the KPIs' sums written once as Ibis
expressions, run on Apache Spark (extra ``spark``: ``pip install 'creditguard[spark]'``).

Spark reads the company's instalments, applications, customers and disputes from PostgreSQL
over JDBC (in parallel ranges of ids), or any tables of the same columns (the snapshot's
Parquet parts, frames in memory). Everything heavy runs on Spark and only sums come back:
cells of (key, currency, bucket) for aging, per-currency totals for the KPIs. The driver then
converts them to the base currency and applies the formulas with the very code the Polars
reports use (``service.report_of``, ``kpis.kpis_of``), so both engines agree to the cent.
A Spark job starts a JVM (seconds): this is for batch runs on big portfolios, not for the API.
"""

from __future__ import annotations

import gc
import os
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

import ibis
import polars as pl
from pyspark.sql import DataFrame as SparkFrame
from pyspark.sql import SparkSession
from sqlalchemy import URL
from sqlalchemy.orm import Session

from creditguard.analytics import repository as repo
from creditguard.analytics.kpis import (
    Concentration,
    Kpis,
    KpiSums,
    check_days,
    concentration_of,
    kpis_of,
    months_back,
)
from creditguard.analytics.service import (
    AgingReport,
    check_grouping,
    dead_invoices,
    report_of,
)
from creditguard.analytics.snapshot import View
from creditguard.core.aging import Buckets
from creditguard.core.errors import invalid
from creditguard.core.permissions import Actor

JDBC_DRIVER: Final = "org.postgresql.Driver"
DEBIAN_JDBC_JAR: Final = "/usr/share/java/postgresql.jar"  # Debian: libpostgresql-jdbc-java

Table = Any  # ibis.expr.types.Table: Ibis ships no type information
Column = Any


def spark_session(master: str = "local[2]", jars: Sequence[str] = ()) -> SparkSession:
    """A Spark session: ``local[N]`` runs in this machine's JVM (bound to loopback), or the
    URL of a cluster's master (``spark://host:7077``, ``yarn``, ``k8s://...``)."""
    builder = (
        SparkSession.builder.master(master)
        .appName("creditguard")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")  # overflow is an error, never a wrap
    )
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
        )
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    return builder.getOrCreate()


@contextmanager
def running(master: str, jars: Sequence[str] = ()) -> Iterator[SparkSession]:
    """A Spark session for a run: the one this process has going, or a new one, stopped at
    the end (only if it was started here)."""
    active = SparkSession.getActiveSession()
    session = active if active is not None else spark_session(master, jars)
    try:
        yield session
    finally:
        if active is None:
            session.stop()


@dataclass(frozen=True, slots=True)
class Sources:
    """A company's ledger as Ibis tables (columns as ``repository.ITEMS``, ``ENTRIES``,
    ``PEOPLE``, ``DISPUTES``), and its reversals (few: read by the driver)."""

    spark: SparkSession
    items: Table
    entries: Table
    people: Table
    disputes: Table
    reversals: list[tuple[int, str, int, date]]

    def aging(
        self, session: Session, actor: Actor, as_of: date, *, by: str, buckets: Buckets
    ) -> AgingReport:
        return aging(session, actor, self, as_of, by=by, buckets=buckets)

    def kpis(self, session: Session, actor: Actor, as_of: date, *, days: int) -> Kpis:
        return kpis(session, actor, self, as_of, days=days)

    def concentration(
        self, session: Session, actor: Actor, as_of: date, *, by: str
    ) -> Concentration:
        return concentration(session, actor, self, as_of, by=by)

    def collect(self, table: Table, keys: dict[str, Any]) -> pl.DataFrame:
        """Run ``table`` on Spark and bring its rows back through Arrow: the key columns as
        given, the sums as Int64."""
        sql = ibis.to_sql(table, dialect="pyspark")
        with warnings.catch_warnings():
            # PySpark leaves the socket it read the result from to the garbage collector.
            warnings.simplefilter("ignore", ResourceWarning)
            arrow = self.spark.sql(sql).toArrow()
            gc.collect()
        result = pl.from_arrow(arrow)
        assert isinstance(result, pl.DataFrame)
        return result.with_columns(
            pl.col(name).cast(keys.get(name, pl.Int64)) for name in result.columns
        )


def _sources(
    spark: SparkSession, frames: dict[str, SparkFrame], reversals: list[tuple[int, str, int, date]]
) -> Sources:
    con = ibis.pyspark.connect(spark)
    tag = uuid.uuid4().hex[:12]
    tables = {}
    for name, frame in frames.items():
        view = f"creditguard_{name}_{tag}"
        frame.createOrReplaceTempView(view)
        tables[name] = con.table(view)
    return Sources(
        spark, tables["items"], tables["entries"], tables["people"], tables["disputes"], reversals
    )


def from_view(spark: SparkSession, view: View) -> Sources:
    """The frames of a portfolio snapshot, handed to Spark (tests; small portfolios)."""
    frames = {
        "items": view.items.drop("applied"),
        "entries": view.entries,
        "people": view.people,
        "disputes": view.disputes,
    }
    return _sources(
        spark,
        {name: spark.createDataFrame(frame.to_arrow()) for name, frame in frames.items()},
        list(view.reversals),
    )


def from_postgresql(
    spark: SparkSession, session: Session, company_id: int, *, partitions: int = 8
) -> Sources:
    """The company's ledger read by Spark from the PostgreSQL database of ``session`` over
    JDBC: the same queries as the snapshot, instalments and applications in ``partitions``
    ranges of ids read in parallel by the executors, each table read once and cached for
    every metric of the run. Rows with ids above those of the moment this is called are left
    out, so a run that keeps writing does not shift its figures halfway."""
    url = session.get_bind().engine.url
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"Spark reads PostgreSQL over JDBC, not {url.get_backend_name()}")
    low, high = repo.id_ranges(session, company_id)

    def read(stmt: Any, column: str | None = None, bounds: tuple[int, int] = (0, 0)) -> Any:
        sql = stmt.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        reader = spark.read.format("jdbc").options(**jdbc_options(url))
        reader = reader.option("dbtable", f"({sql}) AS source").option("fetchsize", "20000")
        if column is not None and bounds[1] > bounds[0]:
            reader = (
                reader.option("partitionColumn", column)
                .option("lowerBound", str(bounds[0]))
                .option("upperBound", str(bounds[1]))
                .option("numPartitions", str(partitions))
            )
        return reader.load().cache()

    frames = {
        "items": read(repo.items_stmt(company_id, upto=low[1]), "instalment_id", low),
        "entries": read(repo.entries_stmt(company_id, upto=high[1]), "entry_id", high),
        "people": read(repo.people_stmt(company_id)),
        "disputes": read(repo.disputes_stmt(company_id)),
    }
    return _sources(spark, frames, repo.reversals(session, company_id))


def jdbc_options(url: URL) -> dict[str, str]:
    """Spark's JDBC options for a SQLAlchemy PostgreSQL URL."""
    options = {
        "url": f"jdbc:postgresql://{url.host or 'localhost'}:{url.port or 5432}/{url.database}",
        "driver": JDBC_DRIVER,
    }
    if url.username:
        options["user"] = url.username
    if url.password:
        options["password"] = str(url.password)
    return options


# --- the expressions ---


def open_on(src: Sources, as_of: date) -> Table:
    """As ``View.open_on`` with reversed invoices taken out: what was open on ``as_of``."""
    entries = src.entries
    applied = (
        entries.filter(entries.applied_on <= as_of)
        .group_by("instalment_id")
        .agg(applied=entries.amount_minor.sum())
    )
    items = src.items.filter(src.items.issued_on <= as_of)
    dead = dead_invoices(src.reversals, as_of)
    if dead:
        items = items.filter(~items.invoice_id.isin(sorted(dead)))
    joined = items.left_join(applied, items.instalment_id == applied.instalment_id)
    open_minor = joined.amount_minor - joined.applied.fill_null(0)
    return joined.select(
        "invoice_id",
        "customer_id",
        "due_on",
        "issued_on",
        "currency",
        "salesperson",
        open_minor=open_minor,
    ).filter(lambda t: t.open_minor != 0)


def customers(src: Sources) -> Table:
    """As ``View.customers``: group is the parent's code, or the customer's own."""
    people = src.people
    twin = people.view()
    parents = twin.select(parent_id=twin.customer_id, parent_code=twin.customer)
    joined = people.left_join(parents, people.parent_id == parents.parent_id)
    return joined.select(
        "customer_id",
        "customer",
        "name",
        "industry",
        "region",
        "customer_salesperson",
        group=joined.parent_code.fill_null(joined.customer),
    )


def aging_sums(
    src: Sources, as_of: date, *, by: str, buckets: Buckets
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The open amounts on ``as_of`` per (key, currency, bucket), and the disputed amounts per
    (key, currency) — each invoice's capped at what it had open."""
    check_grouping(by)
    if by == "grade":
        raise invalid(
            "by",
            by,
            "invalid",
            reason="the Spark engine does not group by grade yet: use the Polars engine",
            reason_zh="Spark 引擎暂不支持按评级分组：请使用 Polars 引擎",
        )
    items = open_on(src, as_of)
    people = customers(src)
    joined = items.left_join(people, items.customer_id == people.customer_id)
    rows = joined.mutate(
        salesperson=joined.salesperson.fill_null(joined.customer_salesperson),
        bucket=_bucket(joined, buckets, as_of),
    )
    rows = rows.mutate(key=rows[by].fill_null("—"))
    cells = rows.group_by("key", "currency", "bucket").agg(open_minor=rows.open_minor.sum())
    per_invoice = rows.group_by("invoice_id", "key", "currency").agg(
        open_minor=rows.open_minor.sum()
    )
    live = _disputed(src, as_of)
    held = per_invoice.join(live, per_invoice.invoice_id == live.invoice_id)
    held = held.mutate(held=ibis.least(held.open_minor, held.disputed_minor))
    disputes = held.group_by("key", "currency").agg(held=held.held.sum())
    return (
        src.collect(cells, {"key": pl.String, "currency": pl.String, "bucket": pl.Int64}),
        src.collect(disputes, {"key": pl.String, "currency": pl.String}),
    )


def _bucket(rows: Table, buckets: Buckets, as_of: date) -> Column:
    """Each row's bucket index, from :meth:`Buckets.bounds` (the rule in ``core``)."""
    since = rows.due_on if buckets.basis == "due" else rows.issued_on
    days = ibis.literal(as_of).delta(since, unit="day")
    bounds = buckets.bounds()
    branches = [(days <= high, index) for index, (_, high) in enumerate(bounds[:-1])]
    return ibis.cases(*branches, else_=len(bounds) - 1).cast("int64")


def _disputed(src: Sources, as_of: date) -> Table:
    disputes = src.disputes
    live = disputes.filter(
        disputes.opened_on <= as_of,
        disputes.resolved_on.isnull() | (disputes.resolved_on > as_of),
    )
    return live.group_by("invoice_id").agg(disputed_minor=live.amount_minor.sum())


def kpi_sums(src: Sources, as_of: date, days: int) -> KpiSums:
    """What ``kpis.kpis`` sums from the snapshot, computed by Spark."""
    check_days(days)
    start = as_of - timedelta(days=days)
    year = months_back(as_of, 12)
    closing = open_on(src, as_of)
    items = src.items
    sales = items.filter(items.issued_on > min(start, year[-1][0]), items.issued_on <= as_of)
    dead = dead_invoices(src.reversals, as_of)
    if dead:
        sales = sales.filter(~sales.invoice_id.isin(sorted(dead)))
    month = ibis.cases(
        *((sales.issued_on > low, index) for index, (low, _) in enumerate(year)), else_=-1
    ).cast("int64")
    per_month = sales.mutate(month=month).group_by("month", "currency")
    monthly = src.collect(
        per_month.agg(amount_minor=ibis._.amount_minor.sum()),
        {"month": pl.Int64, "currency": pl.String},
    )
    entries = src.entries
    off = entries.filter(
        entries.source_kind == "write_off", entries.applied_on > start, entries.applied_on <= as_of
    )
    people = customers(src)
    grouped = closing.left_join(people, closing.customer_id == people.customer_id)
    groups = src.collect(
        grouped.group_by("group", "currency").agg(open_minor=grouped.open_minor.sum()),
        {"group": pl.String, "currency": pl.String},
    )
    return KpiSums(
        closing=_per_currency(src, closing, "open_minor"),
        current=_per_currency(src, closing.filter(closing.due_on >= as_of), "open_minor"),
        opening=_per_currency(src, open_on(src, start), "open_minor"),
        sales=_per_currency(src, sales.filter(sales.issued_on > start), "amount_minor"),
        written_off=_per_currency(src, off, "amount_minor"),
        monthly=[
            (_pick(monthly.filter(pl.col("month") == index)), (high - low).days)
            for index, (low, high) in enumerate(year)
        ],
        groups=groups.rename({"group": "key"}),
    )


def _per_currency(src: Sources, table: Table, column: str) -> dict[str, int]:
    sums = table.group_by("currency").agg(minor=table[column].sum())
    return _pick(src.collect(sums, {"currency": pl.String}))


def _pick(frame: pl.DataFrame) -> dict[str, int]:
    """{currency: amount} of a frame whose last column is the amount (zeros left out)."""
    amounts = frame.columns[-1]
    return {c: int(v) for c, v in zip(frame["currency"], frame[amounts], strict=True) if v}


# --- the reports, as the Polars ones ---


def aging(
    session: Session,
    actor: Actor,
    src: Sources,
    as_of: date,
    *,
    by: str = "customer",
    buckets: Buckets,
) -> AgingReport:
    """``service.aging`` of the whole portfolio, its sums computed by Spark."""
    sums = aging_sums(src, as_of, by=by, buckets=buckets)
    return report_of(
        session, as_of, repo.base_currency(session, actor.company_id), by, buckets, sums
    )


def kpis(session: Session, actor: Actor, src: Sources, as_of: date, *, days: int = 90) -> Kpis:
    """``kpis.kpis``, its sums computed by Spark."""
    return kpis_of(session, actor, as_of, days, kpi_sums(src, as_of, days))


def concentration(
    session: Session, actor: Actor, src: Sources, as_of: date, *, by: str = "group"
) -> Concentration:
    """``kpis.concentration``, its sums computed by Spark."""
    return concentration_of(aging(session, actor, src, as_of, by=by, buckets=Buckets()))
