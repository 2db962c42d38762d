"""Looking things up: a customer with its balance, lists of customers and invoices."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import BaseModel, Field
from rich.box import SIMPLE_HEAD
from rich.table import Table
from rich.text import Text

from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    JsonFlag,
    LangOption,
    Limit,
    Offset,
    echo_json,
    grouped,
    opened,
    out,
    parse_date,
    say,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL
from creditguard.customers import service as customers
from creditguard.customers.schemas import (
    ContactOut,
    CustomerFilter,
    CustomerOut,
    CustomerStatus,
)
from creditguard.db.paging import PageRequest
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import (
    BalanceOut,
    InvoiceOut,
    InvoiceStatus,
)

customer_app = typer.Typer(help="Customers (buyers).", no_args_is_help=True)
invoice_app = typer.Typer(help="Invoices.", no_args_is_help=True)

Sort = Annotated[
    str | None, typer.Option("--sort", help="Column to sort by; prefix '-' for descending.")
]


class CustomerDetailOut(BaseModel):
    """What ``creditguard customer show --json`` prints."""

    customer: CustomerOut = Field(description="The customer's fields.")
    parent_code: str | None = Field(description="Code of the parent (group) customer.")
    contacts: list[ContactOut] = Field(description="Contact persons.")
    balance: BalanceOut = Field(description="Balance per currency and in the base currency.")


class PageOut(BaseModel):
    total: int = Field(description="Rows matching the filters.")
    limit: int = Field(description="Page size.")
    offset: int = Field(description="Rows skipped.")
    items: list[Any] = Field(description="This page's rows.")


@customer_app.command("show")
def customer_show(
    *,
    code: Annotated[str, typer.Argument(help="Customer code.")],
    company: CompanyCode,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default: today).")
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """A customer's fields, contacts and balance (per currency, and in the base currency)."""
    on = None if as_of is None else parse_date("as_of", as_of)
    with opened(database_url) as db, db.read() as session:
        owner = tenant(session, company)
        actor = owner.actor
        customer = customers.get_by_code(session, actor, code, field="customer")
        report = ledger.balance_report(
            session, actor, customer.id, on or business_today(SystemClock(), owner.timezone)
        )
        parents = customers.parent_codes(session, actor, [customer])
        detail = CustomerDetailOut(
            customer=CustomerOut.model_validate(customer, from_attributes=True),
            parent_code=None if customer.parent_id is None else parents.get(customer.parent_id),
            contacts=[
                ContactOut.model_validate(c, from_attributes=True)
                for c in customers.contacts(session, actor, customer.id)
            ],
            balance=report,
        )
    if as_json:
        echo_json(detail.model_dump(mode="json"))
    else:
        print_customer(detail, lang)


def _zh(lang: str) -> bool:
    return lang.startswith("zh")


def print_customer(detail: CustomerDetailOut, lang: str) -> None:
    c = detail.customer
    zh = _zh(lang)
    fields = Table(title=Text(f"{c.code}  {c.name}"), show_header=False, title_justify="left")
    fields.add_column(style="bold")
    fields.add_column()
    for label, value in (
        ("上级" if zh else "Parent", detail.parent_code),
        ("行业" if zh else "Industry", c.industry),
        ("地区" if zh else "Region", c.region),
        ("国家" if zh else "Country", c.country),
        ("币种" if zh else "Currency", c.currency),
        ("付款条件" if zh else "Terms", c.payment_terms),
        ("销售" if zh else "Salesperson", c.salesperson),
        ("税号" if zh else "Tax id", c.tax_id),
        ("状态" if zh else "Status", c.status),
    ):
        fields.add_row(label, Text(value or "-"))
    console = out()
    console.print(fields)
    if detail.contacts:
        console.print(_contacts_table(detail.contacts, zh=zh))
    console.print(_balance_table(detail.balance, zh=zh))


def _contacts_table(contacts: list[ContactOut], *, zh: bool) -> Table:
    table = Table(title="联系人" if zh else "Contacts", title_justify="left")
    for header in ("姓名", "职务", "邮箱", "电话") if zh else ("Name", "Role", "E-mail", "Phone"):
        table.add_column(header)
    for contact in contacts:
        star = " *" if contact.is_primary else ""
        table.add_row(
            Text(contact.name + star),
            Text(contact.role or "-"),
            Text(contact.email or "-"),
            Text(contact.phone or "-"),
        )
    return table


_FIGURES = (
    ("invoiced", "开票", "Invoiced"),
    ("paid", "已收", "Paid"),
    ("credited", "贷项", "Credited"),
    ("written_off", "核销", "Written off"),
    ("open", "未结", "Open"),
    ("overdue", "逾期", "Overdue"),
    ("disputed", "争议", "Disputed"),
    ("unapplied", "未核销收款", "Unapplied"),
    ("net", "净额", "Net"),
)


def _balance_table(balance: BalanceOut, *, zh: bool) -> Table:
    title = f"余额（截至 {balance.as_of}）" if zh else f"Balance as of {balance.as_of}"
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for row in balance.currencies:
        table.add_column(row.currency, justify="right")
    base_label = f"合计 {balance.base.currency}" if zh else f"Total {balance.base.currency}"
    table.add_column(base_label, justify="right", style="bold")
    base = balance.base.model_dump()
    for name, label_zh, label_en in _FIGURES:
        cells = [grouped(getattr(row, name)) for row in balance.currencies]
        total = grouped(base[name]) if name in base else ""
        table.add_row(label_zh if zh else label_en, *cells, total)
    return table


@customer_app.command("list")
def customer_list(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    status: Annotated[
        CustomerStatus | None, typer.Option("--status", help="active, blocked or closed.")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    sort: Sort = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """List customers, a page at a time."""
    page = PageRequest(limit=limit, offset=offset, sort=sort)
    with opened(database_url) as db, db.read() as session:
        actor = tenant(session, company).actor
        rows, total = customers.list_page(session, actor, CustomerFilter(status=status), page)
        items = [CustomerOut.model_validate(c, from_attributes=True) for c in rows]
    if as_json:
        echo_json(
            PageOut(total=total, limit=limit, offset=offset, items=items).model_dump(mode="json")
        )
        return
    zh = _zh(lang)
    table = Table(title="客户" if zh else "Customers", title_justify="left", box=SIMPLE_HEAD)
    headers = (
        ("代码", "名称", "行业", "地区", "币种", "付款条件", "状态")
        if zh
        else ("Code", "Name", "Industry", "Region", "Currency", "Terms", "Status")
    )
    for header in headers:
        table.add_column(header, overflow="fold")  # fold, never crop, a long name
    for c in items:
        table.add_row(
            Text(c.code),
            Text(c.name),
            Text(c.industry or "-"),
            Text(c.region or c.country),
            c.currency,
            Text(c.payment_terms),
            c.status,
        )
    console = out()
    console.print(table)
    console.print(_page_footer(total, offset, len(items), lang), markup=False)


def _page_footer(total: int, offset: int, shown: int, lang: str) -> str:
    if shown == 0:
        return say("no_rows", lang, total=total)
    return say("rows", lang, first=offset + 1, last=offset + shown, total=total)


@invoice_app.command("list")
def invoice_list(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer code.")] = None,
    status: Annotated[
        InvoiceStatus | None, typer.Option("--status", help="open, settled or reversed.")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    sort: Sort = "-issued_on",
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """List invoices, newest first by default."""
    page = PageRequest(limit=limit, offset=offset, sort=sort)
    with opened(database_url) as db, db.read() as session:
        actor = tenant(session, company).actor
        filters: dict[str, Any] = {"status": status}
        if customer is not None:
            filters["customer_id"] = customers.get_by_code(
                session, actor, customer, field="customer"
            ).id
        rows, total = ledger.list_page(session, actor, "invoice", filters, page)
        codes = ledger.customer_codes(session, actor, sorted({r.customer_id for r in rows}))
        items = [ledger.invoice_out(r, codes.get(r.customer_id, "")) for r in rows]
    if as_json:
        echo_json(
            PageOut(total=total, limit=limit, offset=offset, items=items).model_dump(mode="json")
        )
        return
    print_invoices(items, lang)
    out().print(_page_footer(total, offset, len(items), lang), markup=False)


def print_invoices(items: list[InvoiceOut], lang: str) -> None:
    zh = _zh(lang)
    table = Table(title="发票" if zh else "Invoices", title_justify="left", box=SIMPLE_HEAD)
    headers = (
        ("发票号", "客户", "开票日", "到期日", "币种", "金额", "未结", "状态")
        if zh
        else ("Invoice", "Customer", "Issued", "Due", "Currency", "Amount", "Open", "Status")
    )
    for n, header in enumerate(headers):
        table.add_column(header, justify="right" if n in (5, 6) else "left", overflow="fold")
    for i in items:
        table.add_row(
            Text(i.external_ref),
            Text(i.customer_ref),
            i.issued_on.isoformat(),
            i.due_on.isoformat(),
            i.currency,
            grouped(i.amount),
            grouped(i.open),
            i.status,
        )
    out().print(table)
