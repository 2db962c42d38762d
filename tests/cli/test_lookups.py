"""customer show, customer list, invoice list: exact JSON, tables, and named errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from creditguard.cli.main import app
from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import ContactIn, CustomerIn
from creditguard.db import Database
from creditguard.identity import service as identity
from creditguard.identity.schemas import CompanyIn
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import AllocationIn, InvoiceIn, PaymentIn

NOW = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
CLOCK = FixedClock(NOW)


@pytest.fixture
def acme(url: str) -> str:
    """Company ACME: C1 with a contact and two invoices (INV-1 paid), and C2 with none."""
    database = Database(url)
    contact = ContactIn(name="王强", role="财务经理", email="ap@c1.example.cn", is_primary=True)
    c1 = CustomerIn(
        code="C1",
        name="上海华东机电有限公司",
        industry="machinery",
        region="Shanghai",
        contacts=[contact],
    )
    invoices = [
        InvoiceIn(
            external_ref="INV-1",
            customer_ref="C1",
            issued_on=date(2026, 9, 1),
            currency="CNY",
            amount="1000.00",
        ),
        InvoiceIn(
            external_ref="INV-2",
            customer_ref="C1",
            issued_on=date(2026, 10, 1),
            currency="CNY",
            amount="2500.50",
        ),
    ]
    payment = PaymentIn(
        external_ref="RCPT-1",
        customer_ref="C1",
        received_on=date(2026, 10, 1),
        currency="CNY",
        amount="1000.00",
        allocations=[AllocationIn(invoice_ref="INV-1", amount="1000.00")],
    )
    with database.write() as session:
        company = identity.create_company(session, CompanyIn(code="ACME", name="Acme"), CLOCK)
        actor = Actor(company.id, "user:test", "admin")
        customers.create(session, actor, c1, CLOCK)
        customers.create(session, actor, CustomerIn(code="C2", name="杭州恒信电子有限公司"), CLOCK)
        ledger.post_invoices(session, actor, invoices, CLOCK)
        ledger.post_payment(session, actor, payment, CLOCK)
    database.dispose()
    return url


def run_json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_customer_show_json(runner: CliRunner, acme: str) -> None:
    shown = run_json(
        runner,
        "customer",
        "show",
        "C1",
        "--company",
        "ACME",
        "--as-of",
        "2026-11-22",
        "--json",
        "--database-url",
        acme,
    )

    assert shown == {
        "customer": {
            "id": 1,
            "code": "C1",
            "name": "上海华东机电有限公司",
            "parent_id": None,
            "industry": "machinery",
            "region": "Shanghai",
            "country": "CN",
            "currency": "CNY",
            "payment_terms": "net 30",
            "salesperson": None,
            "tax_id": None,
            "status": "active",
            "created_at": "2026-11-22T01:30:00Z",
            "updated_at": "2026-11-22T01:30:00Z",
        },
        "parent_code": None,
        "contacts": [
            {
                "id": 1,
                "name": "王强",
                "role": "财务经理",
                "email": "ap@c1.example.cn",
                "phone": None,
                "is_primary": True,
            }
        ],
        "balance": {
            "customer_id": 1,
            "customer_ref": "C1",
            "as_of": "2026-11-22",
            "currencies": [
                {
                    "currency": "CNY",
                    "invoiced": "3500.50",
                    "paid": "1000.00",
                    "credited": "0.00",
                    "written_off": "0.00",
                    "open": "2500.50",
                    "overdue": "2500.50",
                    "disputed": "0.00",
                    "unapplied": "0.00",
                    "net": "2500.50",
                }
            ],
            "base": {
                "currency": "CNY",
                "open": "2500.50",
                "overdue": "2500.50",
                "disputed": "0.00",
                "unapplied": "0.00",
                "net": "2500.50",
            },
        },
    }


def test_customer_show_as_of_before_the_due_date_has_nothing_overdue(
    runner: CliRunner, acme: str
) -> None:
    shown = run_json(
        runner,
        "customer",
        "show",
        "C1",
        "--company",
        "ACME",
        "--as-of",
        "2026-10-31",
        "--json",
        "--database-url",
        acme,
    )

    assert shown["balance"]["currencies"][0]["overdue"] == "0.00"
    assert shown["balance"]["base"]["overdue"] == "0.00"


def test_customer_show_table(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(
        app,
        [
            "customer",
            "show",
            "C1",
            "--company",
            "ACME",
            "--as-of",
            "2026-11-22",
            "--database-url",
            acme,
        ],
    )

    assert result.exit_code == 0, result.output
    assert "C1  上海华东机电有限公司" in result.stdout
    assert "王强 *" in result.stdout
    assert "Balance as of 2026-11-22" in result.stdout
    overdue = next(line for line in result.stdout.splitlines() if "Overdue" in line)
    assert overdue.split() == ["│", "Overdue", "│", "2,500.50", "│", "2,500.50", "│"]


def test_customer_show_of_an_unknown_code(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(
        app, ["customer", "show", "NOPE", "--company", "ACME", "--database-url", acme]
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error\n  customer = 'NOPE': customer 'NOPE' was not found\n"


def test_customer_show_of_a_bad_date(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(
        app,
        [
            "customer",
            "show",
            "C1",
            "--company",
            "ACME",
            "--as-of",
            "2026-13-01",
            "--database-url",
            acme,
            "--lang",
            "zh-CN",
        ],
    )

    assert result.exit_code == 1
    assert result.stderr == "错误\n  as_of = '2026-13-01': 不是有效日期：请使用 YYYY-MM-DD 格式\n"


def test_customer_list_json(runner: CliRunner, acme: str) -> None:
    listed = run_json(
        runner,
        "customer",
        "list",
        "--company",
        "ACME",
        "--sort",
        "-code",
        "--limit",
        "1",
        "--json",
        "--database-url",
        acme,
    )

    assert (listed["total"], listed["limit"], listed["offset"]) == (2, 1, 0)
    assert [c["code"] for c in listed["items"]] == ["C2"]


def test_customer_list_table(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(
        app, ["customer", "list", "--company", "ACME", "--status", "active", "--database-url", acme]
    )

    assert result.exit_code == 0, result.output
    assert "杭州恒信电子有限公司" in result.stdout
    assert result.stdout.endswith("rows 1-2 of 2\n")


def test_invoice_list_json_gives_exactly_the_posted_invoices(runner: CliRunner, acme: str) -> None:
    listed = run_json(
        runner, "invoice", "list", "--company", "ACME", "--json", "--database-url", acme
    )

    assert listed["total"] == 2
    assert [i["external_ref"] for i in listed["items"]] == ["INV-2", "INV-1"]
    assert listed["items"][1] == {
        "id": 1,
        "external_ref": "INV-1",
        "customer_id": 1,
        "customer_ref": "C1",
        "issued_on": "2026-09-01",
        "due_on": "2026-10-08",  # 1 October is National Day: rolled to a working day
        "currency": "CNY",
        "amount": "1000.00",
        "open": "0.00",
        "disputed": "0.00",
        "status": "settled",
        "payment_terms": "net 30",
        "discount_rate": None,
        "discount_until": None,
        "order_ref": None,
        "salesperson": None,
        "description": None,
        "created_at": "2026-11-22T01:30:00Z",
        "instalments": None,
        "lines": None,
    }


@pytest.mark.parametrize(
    ("options", "refs"),
    [
        (["--status", "open"], ["INV-2"]),
        (["--status", "settled"], ["INV-1"]),
        (["--customer", "C1", "--sort", "amount"], ["INV-1", "INV-2"]),
        (["--customer", "C2"], []),
        (["--offset", "1"], ["INV-1"]),
    ],
)
def test_invoice_list_filters(
    runner: CliRunner, acme: str, options: list[str], refs: list[str]
) -> None:
    listed = run_json(
        runner, "invoice", "list", "--company", "ACME", "--json", "--database-url", acme, *options
    )

    assert [i["external_ref"] for i in listed["items"]] == refs


def test_invoice_list_table(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(app, ["invoice", "list", "--company", "ACME", "--database-url", acme])

    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "INV-2" in line)
    assert row.split() == [
        "INV-2",
        "C1",
        "2026-10-01",
        "2026-11-02",
        "CNY",
        "2,500.50",
        "2,500.50",
        "open",
    ]
    assert result.stdout.endswith("rows 1-2 of 2\n")


def test_invoice_list_of_an_unknown_customer(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(
        app, ["invoice", "list", "--company", "ACME", "--customer", "NOPE", "--database-url", acme]
    )

    assert result.exit_code == 1
    assert result.stderr == "Error\n  customer = 'NOPE': customer 'NOPE' was not found\n"


def test_invoice_list_with_a_bad_sort(runner: CliRunner, acme: str) -> None:
    result = runner.invoke(
        app, ["invoice", "list", "--company", "ACME", "--sort", "colour", "--database-url", acme]
    )

    assert result.exit_code == 1
    assert result.stderr == (
        "Error\n  sort = 'colour': sort by one of amount, due_on, external_ref, id, issued_on, "
        "open (prefix '-' for descending)\n"
    )
