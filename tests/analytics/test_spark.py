"""The portfolio metrics as Ibis expressions on Apache Spark (local mode) equal the Polars
reports to the cent: from the snapshot's frames on SQLite, read over JDBC on PostgreSQL.

Needs the extra ``spark`` and Java; ``make test`` installs both and CI requires them
(CREDITGUARD_REQUIRE_SPARK=1), elsewhere the module is skipped with its reason.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditguard.analytics import kpis as kpi_engine
from creditguard.analytics import service as analytics
from creditguard.analytics.snapshot import snapshot_for
from creditguard.cli.main import app as cli
from creditguard.core.aging import Buckets, parse_buckets
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database
from tests import builders as b
from tests.analytics.test_aging import random_ledger

REQUIRED = os.environ.get("CREDITGUARD_REQUIRE_SPARK") == "1"
try:
    from creditguard.analytics import spark as on_spark
except ImportError as error:  # pragma: no cover - depends on the installation
    if REQUIRED:
        raise
    pytest.skip(
        f"Spark tests skipped: the extra 'spark' is not installed ({error})",
        allow_module_level=True,
    )
if shutil.which("java") is None:  # pragma: no cover
    if REQUIRED:
        pytest.fail("CREDITGUARD_REQUIRE_SPARK=1 but there is no java", pytrace=False)
    pytest.skip("Spark tests skipped: no java on PATH", allow_module_level=True)

DATES = (date(2026, 11, 20), date(2026, 8, 15), date(2026, 1, 1))


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    jars = [on_spark.DEBIAN_JDBC_JAR] if Path(on_spark.DEBIAN_JDBC_JAR).exists() else []
    session = on_spark.spark_session("local[2]", jars)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def ledger(db: Database) -> Actor:
    """The generated ledger of the historical aging test (payments, write-offs, disputes,
    reversal chains), plus a group and invoices in dollars and yen."""
    actor = random_ledger(db, 11)
    with db.write() as session:
        customers.create(session, actor, CustomerIn(code="G1", name="集团"), b.clock())
        member = CustomerIn(code="C4", name="丁", parent_code="G1", region="Guangdong")
        customers.create(session, actor, member, b.clock())
    b.invoice(
        db, actor, ref="U1", customer="C4", amount="1234.57", issued_on=date(2026, 5, 3),
        currency="USD",
    )  # fmt: skip
    b.invoice(
        db, actor, ref="Y1", customer="C4", amount="98765", issued_on=date(2026, 10, 28),
        currency="JPY",
    )  # fmt: skip
    b.invoice(db, actor, ref="G", customer="G1", amount="55.55", issued_on=date(2026, 9, 30))
    return actor


def sources(db: Database, spark: Any, actor: Actor) -> on_spark.Sources:
    with db.read() as session:
        if db.dialect == "postgresql":
            if not Path(on_spark.DEBIAN_JDBC_JAR).exists():  # pragma: no cover
                if REQUIRED:
                    pytest.fail(f"no JDBC driver at {on_spark.DEBIAN_JDBC_JAR}", pytrace=False)
                pytest.skip(f"Spark over JDBC skipped: no driver at {on_spark.DEBIAN_JDBC_JAR}")
            return on_spark.from_postgresql(spark, session, actor.company_id, partitions=3)
        return on_spark.from_view(spark, snapshot_for(session, actor.company_id))


def test_spark_computes_what_polars_does(db: Database, spark: Any) -> None:
    actor = ledger(db)
    src = sources(db, spark, actor)
    variants = [("customer", Buckets()), ("group", Buckets()), ("currency", Buckets())]
    variants += [("salesperson", parse_buckets("15,45", "invoice")), ("region", Buckets())]
    with db.read() as session:
        for as_of in DATES:
            for by, buckets in variants[: 5 if as_of == DATES[0] else 1]:
                polars = analytics.aging(session, actor, as_of, by=by, buckets=buckets).as_json()
                found = on_spark.aging(session, actor, src, as_of, by=by, buckets=buckets)
                assert found.as_json() == polars, (as_of, by)
            expected = kpi_engine.kpis(session, actor, as_of, days=90).as_json()
            assert on_spark.kpis(session, actor, src, as_of, days=90).as_json() == expected
        top = on_spark.concentration(session, actor, src, DATES[0]).as_json()
        assert top == kpi_engine.concentration(session, actor, DATES[0]).as_json()
        # The ledger is not trivial: every kind of amount the reports handle is in it.
        report = analytics.aging(session, actor, DATES[0], buckets=Buckets()).as_json()
        figures = kpi_engine.kpis(session, actor, DATES[0]).as_json()
    assert set(report["original_currency"]) == {"CNY", "JPY", "USD"}
    assert report["totals"]["disputed"] != "0.00"
    assert figures["written_off"] != "0.00"
    assert figures["dso_count_back"] is not None
    assert [r["key"] for r in top["rows"]][:1] != []


def test_a_broken_variant_that_ignores_reversals_disagrees(db: Database, spark: Any) -> None:
    """The comparison above can fail: Spark without the reversals (invoices reversed stay
    open) must not match."""
    actor = ledger(db)
    src = dataclasses.replace(sources(db, spark, actor), reversals=[])
    with db.read() as session:
        polars = analytics.aging(session, actor, DATES[0], buckets=Buckets()).as_json()
        broken = on_spark.aging(session, actor, src, DATES[0], buckets=Buckets()).as_json()
    assert broken["totals"]["total"] != polars["totals"]["total"]


def test_the_cli_reports_on_spark_what_it_reports_on_polars(db: Database, spark: Any) -> None:
    ledger(db)
    url = db.engine.url.render_as_string(hide_password=False)
    base = ["--company", "ACME", "--database-url", url, "--as-of", "2026-11-20", "--format", "json"]
    on = ["--engine", "spark", "--jdbc-jar", on_spark.DEBIAN_JDBC_JAR]
    runner = CliRunner()
    if db.dialect != "postgresql":
        refused = runner.invoke(cli, ["report", "aging", *base, *on])
        assert refused.exit_code == 1
        assert "engine" in refused.stderr
        assert "PostgreSQL" in refused.stderr
        return
    missing = runner.invoke(
        cli, ["report", "kpis", *base, "--engine", "spark", "--jdbc-jar", "/nope.jar"]
    )
    assert missing.exit_code == 1
    assert "/nope.jar" in missing.stderr
    for command in (
        ["report", "aging", "--by", "group"],
        ["report", "kpis", "--monthly", "2"],
        ["report", "concentration"],
    ):
        polars = runner.invoke(cli, [*command, *base])
        found = runner.invoke(cli, [*command, *base, *on])
        assert polars.exit_code == 0, polars.output
        assert found.exit_code == 0, found.output
        assert json.loads(found.stdout) == json.loads(polars.stdout), command
    assert spark.sparkContext._jsc is not None  # the CLI left this process's session running
