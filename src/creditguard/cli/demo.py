"""`creditguard demo`: a fresh database with a generated portfolio, loaded like an ERP's files.

The portfolio comes from :mod:`creditguard.synth` (seeded, about two years of history up to
today); its files go in through the importer, exactly as `creditguard import` would take them,
and what an ERP does not send — write-offs, disputes, blocked defaulters — is posted from the
generator's ground truth through the ledger's services.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from creditguard import synth
from creditguard.cli.admin import prepare
from creditguard.cli.common import (
    LangOption,
    Tenant,
    database_file,
    grouped,
    money,
    opened,
    out,
    run_server,
    say,
    shown_url,
    tell,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerUpdate
from creditguard.db.engine import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import CompanyIn, UserIn
from creditguard.imports.reader import read
from creditguard.imports.service import run_import
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import DisputeIn, WriteOffIn

DEMO_URL = "sqlite:///var/demo.db"
DEMO_COMPANY = CompanyIn(
    code="DEMO",
    name="演示贸易有限公司 Demo Trading Co., Ltd.",
    base_currency="CNY",
    timezone="Asia/Shanghai",
    locale="zh-CN",
    country="CN",
)
DEMO_EMAIL = "demo@creditguard.local"
DEMO_PASSWORD = "creditguard-demo"  # noqa: S105 - the published demo login, not a secret

LABELS = {
    "customers": ("Customers", "客户"),
    "invoices": ("Invoices", "发票"),
    "credit_notes": ("Credit notes", "贷项通知单"),
    "payments": ("Payments", "收款"),
    "write_offs": ("Write-offs", "核销"),
    "disputes": ("Disputes", "争议"),
    "orders": ("Orders", "订单"),
    "blocked": ("Blocked (defaulted)", "已冻结（违约）"),
}
LOAD_ORDER = {"credit-notes": "credit_notes"}  # import kinds -> summary keys


def _label(key: str, lang: str) -> str:
    english, chinese = LABELS[key]
    return chinese if lang.startswith("zh") else english


def demo(  # noqa: PLR0913 - the options are the interface
    *,
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            help="Where to build the demo. A SQLite file here is DELETED and created afresh.",
        ),
    ] = DEMO_URL,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API once loaded.")
    ] = True,
    customers_count: Annotated[
        int, typer.Option("--customers", min=1, max=100_000, help="Customers to create.")
    ] = 2000,
    invoices_count: Annotated[
        int, typer.Option("--invoices", min=1, max=1_000_000, help="Invoices to post.")
    ] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same portfolio.")] = 7,
    lang: LangOption = "en",
) -> None:
    """Build a fresh demo database with a sample portfolio, then serve the API.

    The database is never taken from CREDITGUARD_DATABASE_URL: a SQLite file is deleted first.
    Another database (PostgreSQL) is kept as it is, and must not hold a company DEMO yet.
    """
    _delete_sqlite_file(database_url)
    with opened(database_url, must_exist=False) as db:
        prepare(db, lang)
        owner = _company_and_login(db)
        today = business_today(SystemClock(), owner.timezone)
        with out().status(say("demo_generating", lang)):
            portfolio = synth.generate(
                customers=customers_count, invoices=invoices_count, seed=seed, as_of=today
            )
        counts = load(db, owner.actor, portfolio, lang)
        codes = portfolio.imports()["customers"]["code"].to_list()
        totals = summarise(db, owner.actor, codes, today)
    print_summary(counts, totals, lang, seed=seed)
    docs = f"http://{host}:{port}/docs"
    tell("demo_api", lang, url=docs, database=shown_url(database_url))
    tell(
        "demo_login",
        lang,
        company=DEMO_COMPANY.code,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
    )
    if serve:
        run_server(database_url, host, port)


def _delete_sqlite_file(url: str) -> None:
    """A fresh start: remove the SQLite file and its journal files (other databases are kept)."""
    path = database_file(url)
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _company_and_login(db: Database) -> Tenant:
    clock = SystemClock()
    login = UserIn(
        email=DEMO_EMAIL, display_name="演示管理员 Demo admin", password=DEMO_PASSWORD, role="admin"
    )
    with db.write() as session:
        company = identity.create_company(session, DEMO_COMPANY, clock)
        identity.add_user(session, company.id, login, clock)
        return tenant(session, company.code)


def load(db: Database, actor: Actor, portfolio: synth.Portfolio, lang: str) -> dict[str, int]:
    """Import the generated files, then post what the ground truth adds; return counts."""
    counts: dict[str, int] = {}
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="creditguard-demo-") as folder:
        synth.write(portfolio, Path(folder))
        for kind, name in synth.IMPORT_FILES.items():
            key = LOAD_ORDER.get(kind, kind)
            with out().status(_label(key, lang)):
                report = run_import(db, actor, kind, read(kind, Path(folder) / name), clock)
            if report.refused:  # a generator/importer mismatch is a bug: say where, loudly
                first = report.errors[0]
                raise RuntimeError(f"demo {kind} row {first.row} {first.column}: {first.code}")
            counts[key] = report.inserted
    counts |= _from_truth(db, actor, portfolio, clock)
    return counts


def _from_truth(
    db: Database, actor: Actor, portfolio: synth.Portfolio, clock: SystemClock
) -> dict[str, int]:
    truth = portfolio.truth_invoices
    open_rows = truth.filter(pl.col("open_amount").cast(pl.Float64) > 0)
    written = open_rows.filter(pl.col("written_off"))
    disputed = open_rows.filter(pl.col("disputed") & ~pl.col("written_off"))
    defaulted = portfolio.truth_customers.filter(pl.col("default_on").is_not_null())
    day = portfolio.as_of
    with db.write() as session:
        for row in written.iter_rows(named=True):
            ledger.post_write_off(
                session,
                actor,
                WriteOffIn(
                    external_ref=f"WO-{row['external_ref']}",
                    invoice_ref=row["external_ref"],
                    written_off_on=day,
                    reason="买方违约 buyer defaulted",
                ),
                clock,
            )
        for row in disputed.iter_rows(named=True):
            ledger.open_dispute(
                session,
                actor,
                DisputeIn(
                    invoice_ref=row["external_ref"],
                    amount=str(row["open_amount"]),
                    reason=str(row["dispute_reason"] or "quality"),
                    opened_on=day,
                ),
                clock,
            )
        blocked = CustomerUpdate(status="blocked")
        for code in defaulted["code"].to_list():
            found = customers.get_by_code(session, actor, code, "code")
            customers.update(session, actor, found.id, blocked, clock)
    return {"write_offs": written.height, "disputes": disputed.height, "blocked": defaulted.height}


@dataclass
class Totals:
    """Open and overdue amounts per currency, and both in the base currency."""

    open: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    overdue: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    base_open: Money | None = None
    base_overdue: Money | None = None
    as_of: date | None = None


def summarise(db: Database, actor: Actor, codes: list[str], as_of: date) -> Totals:
    """Add up the customers' balances (the same figures ``customer show`` prints)."""
    totals = Totals(as_of=as_of)
    with db.read() as session:
        for customer_id in customers.ids_by_code(session, actor, codes).values():
            view = ledger.customer_balance(session, actor, customer_id, as_of)
            for row in view.rows:
                totals.open[row.balance.currency] += row.balance.open_minor
                totals.overdue[row.balance.currency] += row.overdue_minor
            totals.base_open = _plus(totals.base_open, view.base["open"])
            totals.base_overdue = _plus(totals.base_overdue, view.base["overdue"])
    return totals


def _plus(total: Money | None, amount: Money) -> Money:
    return amount if total is None else total + amount


def print_summary(counts: dict[str, int], totals: Totals, lang: str, *, seed: int) -> None:
    zh = lang.startswith("zh")
    console = out()
    table = Table(
        title=f"演示组合（种子 {seed}）" if zh else f"Demo portfolio (seed {seed})",
        show_header=False,
        title_justify="left",
    )
    table.add_column()
    table.add_column(justify="right")
    for key in (
        "customers",
        "orders",
        "invoices",
        "credit_notes",
        "payments",
        "write_offs",
        "disputes",
        "blocked",
    ):
        table.add_row(_label(key, lang), str(counts.get(key, 0)))
    console.print(table)
    as_of = totals.as_of.isoformat() if totals.as_of else ""
    amounts = Table(title=f"截至 {as_of}" if zh else f"As of {as_of}", title_justify="left")
    for header in ("币种", "未结", "逾期") if zh else ("Currency", "Open", "Overdue"):
        amounts.add_column(header, justify="left" if header in ("币种", "Currency") else "right")
    for currency in sorted(totals.open):
        amounts.add_row(
            currency,
            grouped(money(totals.open[currency], currency)),
            grouped(money(totals.overdue[currency], currency)),
        )
    if totals.base_open is not None and totals.base_overdue is not None:
        label = f"合计 {totals.base_open.currency}" if zh else f"Total {totals.base_open.currency}"
        amounts.add_row(
            label,
            grouped(totals.base_open.decimal_string()),
            grouped(totals.base_overdue.decimal_string()),
            style="bold",
        )
    console.print(amounts)
