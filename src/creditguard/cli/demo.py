"""``creditguard demo``: a fresh database, a sample portfolio posted through the services, the API.

The sample comes from :mod:`creditguard.cli.demo_data`; here it is posted exactly as an ERP would
post it (customers, invoice batches, credit notes, payments with explicit allocations,
write-offs, disputes), so that the ledger's own rules build every open item and balance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.orm import Session

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
    shown_url,
    tell,
    tenant,
)
from creditguard.cli.demo_data import Portfolio, generate
from creditguard.clock import SystemClock, business_today
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn, CustomerUpdate
from creditguard.db.engine import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import CompanyIn, UserIn
from creditguard.ledger import service as ledger

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
INVOICE_BATCH = 500  # invoices per post_invoices call (one unit of work each)
CHUNK = 200  # other entries per unit of work

T = TypeVar("T")

LABELS = {
    "customers": ("Customers", "客户"),
    "invoices": ("Invoices", "发票"),
    "credit_notes": ("Credit notes", "贷项通知单"),
    "payments": ("Payments", "收款"),
    "write_offs": ("Write-offs", "核销"),
    "disputes": ("Disputes", "争议"),
}


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
    ] = 300,
    invoices_count: Annotated[
        int, typer.Option("--invoices", min=0, max=1_000_000, help="Invoices to post.")
    ] = 6000,
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
        portfolio = generate(
            seed=seed, customers=customers_count, invoices=invoices_count, today=today
        )
        ids = load(db, owner.actor, portfolio, lang)
        totals = summarise(db, owner.actor, ids, today)
    print_summary(portfolio, totals, lang, seed=seed)
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


@dataclass
class _Loader:
    """Posts lists of inputs in units of work of :data:`CHUNK`, one progress bar per kind."""

    db: Database
    actor: Actor
    progress: Progress
    lang: str
    clock: SystemClock = field(default_factory=SystemClock)

    def each(self, key: str, items: Sequence[T], post: Callable[[Session, T], object]) -> None:
        task = self.progress.add_task(_label(key, self.lang), total=len(items))
        for start in range(0, len(items), CHUNK):
            with self.db.write() as session:
                for item in items[start : start + CHUNK]:
                    post(session, item)
                    self.progress.advance(task)

    def invoices(self, portfolio: Portfolio) -> None:
        items = portfolio.invoices
        task = self.progress.add_task(_label("invoices", self.lang), total=len(items))
        for start in range(0, len(items), INVOICE_BATCH):
            batch = items[start : start + INVOICE_BATCH]
            with self.db.write() as session:  # a batch is posted all or nothing
                ledger.post_invoices(session, self.actor, batch, self.clock)
            self.progress.advance(task, len(batch))


def load(db: Database, actor: Actor, portfolio: Portfolio, lang: str) -> list[int]:
    """Post the portfolio through the services, as an ERP would; return the customers' ids."""
    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    ids: dict[str, int] = {}
    blocked = CustomerUpdate(status="blocked")
    to_block = set(portfolio.blocked)
    with Progress(*columns, console=out()) as progress:
        run = _Loader(db, actor, progress, lang)
        clock = run.clock

        def add_customer(session: Session, data: CustomerIn) -> None:
            ids[data.code] = customers.create(session, actor, data, clock).id
            if data.code in to_block:  # defaulted buyers get no more credit
                customers.update(session, actor, ids[data.code], blocked, clock)

        run.each("customers", portfolio.customers, add_customer)
        run.invoices(portfolio)
        run.each(
            "credit_notes",
            portfolio.credit_notes,
            lambda s, note: ledger.post_credit_note(s, actor, note, clock),
        )
        run.each(
            "payments", portfolio.payments, lambda s, pay: ledger.post_payment(s, actor, pay, clock)
        )
        run.each(
            "write_offs",
            portfolio.write_offs,
            lambda s, wo: ledger.post_write_off(s, actor, wo, clock),
        )
        run.each(
            "disputes", portfolio.disputes, lambda s, d: ledger.open_dispute(s, actor, d, clock)
        )
    return list(ids.values())


@dataclass
class Totals:
    """Open and overdue amounts per currency, and both in the base currency."""

    open: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    overdue: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    base_open: Money | None = None
    base_overdue: Money | None = None
    as_of: date | None = None


def summarise(db: Database, actor: Actor, customer_ids: list[int], as_of: date) -> Totals:
    """Add up the customers' balances (the same figures ``customer show`` prints)."""
    totals = Totals(as_of=as_of)
    with db.read() as session:
        for customer_id in customer_ids:
            view = ledger.customer_balance(session, actor, customer_id, as_of)
            for row in view.rows:
                totals.open[row.balance.currency] += row.balance.open_minor
                totals.overdue[row.balance.currency] += row.overdue_minor
            totals.base_open = _plus(totals.base_open, view.base["open"])
            totals.base_overdue = _plus(totals.base_overdue, view.base["overdue"])
    return totals


def _plus(total: Money | None, amount: Money) -> Money:
    return amount if total is None else total + amount


def print_summary(portfolio: Portfolio, totals: Totals, lang: str, *, seed: int) -> None:
    zh = lang.startswith("zh")
    console = out()
    counts = Table(
        title=f"演示组合（种子 {seed}）" if zh else f"Demo portfolio (seed {seed})",
        show_header=False,
        title_justify="left",
    )
    counts.add_column()
    counts.add_column(justify="right")
    for key in ("customers", "invoices", "credit_notes", "payments", "write_offs", "disputes"):
        counts.add_row(_label(key, lang), str(len(getattr(portfolio, key))))
    console.print(counts)
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
