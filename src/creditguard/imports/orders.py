"""Sales orders from the ERP: created, or updated by order reference (status, shipped value)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import DomainError, Problem
from creditguard.core.money import Money, check_currency
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.imports import repository as repo
from creditguard.imports.reader import RowError, Table
from creditguard.imports.service import ImportReport, add_total, build, compact, finish_totals
from creditguard.models import Order


class OrderRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_ref: str = Field(min_length=1, max_length=64)
    customer_code: str = Field(min_length=1, max_length=64)
    ordered_on: date
    currency: str = Field(min_length=3, max_length=3)
    amount: str
    status: Literal["confirmed", "shipped", "invoiced", "cancelled"] = "confirmed"
    shipped_amount: str = "0"
    expected_ship_on: date | None = None


def import_orders(
    session: Session, actor: Actor, table: Table, clock: Clock, report: ImportReport
) -> None:
    totals: dict[str, int] = defaultdict(int)
    refs = [r.get("order_ref", "") for r in table.rows]
    existing = repo.orders_by_ref(session, actor.company_id, refs)
    codes = customers.ids_by_code(session, actor, [r.get("customer_code", "") for r in table.rows])
    new: list[dict[str, object]] = []
    for line, row in zip(table.lines, table.rows, strict=True):
        add_total(totals, row.get("currency", ""), row.get("amount", ""))
        data = build(OrderRow, compact(row), line, {}, report)
        if data is None:
            continue
        try:
            values = _values(data, codes)
        except DomainError as error:
            report.errors += [_row_error(line, p) for p in error.problems]
            continue
        order = existing.get(data.order_ref)
        _upsert(actor, data, values=values, order=order, clock=clock, report=report, new=new)
    finish_totals(report, totals)
    repo.add_orders(session, new)  # new orders in one statement
    session.flush()


def _row_error(line: int, problem: Problem) -> RowError:
    column = {"customer_ref": "customer_code", "amount": "amount"}.get(problem.field, problem.field)
    value = None if problem.value is None else str(problem.value)
    return RowError(line, column, value, problem.code, dict(problem.params))


def _values(data: OrderRow, codes: dict[str, int]) -> dict[str, object]:
    check_currency(data.currency)
    amount = Money.parse(data.amount, data.currency, "amount")
    shipped = Money.parse(data.shipped_amount, data.currency, "shipped_amount")
    if amount.minor <= 0:
        raise DomainError([Problem("amount", data.amount, "not_positive")])
    if shipped.minor < 0 or shipped > amount:
        raise DomainError(
            [
                Problem(
                    "shipped_amount",
                    data.shipped_amount,
                    "out_of_range",
                    {"low": "0", "high": amount.decimal_string()},
                )
            ]
        )
    if data.customer_code not in codes:
        raise DomainError(
            [Problem("customer_code", data.customer_code, "not_found", {"kind": "customer"})]
        )
    return {
        "customer_id": codes[data.customer_code],
        "ordered_on": data.ordered_on,
        "currency": data.currency,
        "amount_minor": amount.minor,
        "shipped_minor": shipped.minor,
        "status": data.status,
        "expected_ship_on": data.expected_ship_on,
    }


def _upsert(  # noqa: PLR0913 - keyword-only beyond the first three
    actor: Actor,
    data: OrderRow,
    *,
    values: dict[str, object],
    order: Order | None,
    clock: Clock,
    report: ImportReport,
    new: list[dict[str, object]],
) -> None:
    now = clock.now()
    if order is None:
        new.append(
            {
                "company_id": actor.company_id,
                "external_ref": data.order_ref,
                "created_at": now,
                "updated_at": now,
                **values,
            }
        )
        report.inserted += 1
    elif all(getattr(order, k) == v for k, v in values.items()):
        report.unchanged += 1
    else:
        for name, value in values.items():
            setattr(order, name, value)
        order.updated_at = now
        report.updated += 1
