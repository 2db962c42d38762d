"""Sales orders: the orders behind the invoices, and those not invoiced yet or cancelled.

An invoiced order is the order an invoice came from (same customer, amount and currency), placed
a few days to weeks before the invoice. Customers still trading at as_of have open orders:
confirmed in the last month (not shipped), or shipped in the last weeks (in full or in part) and
not invoiced yet. Some orders, at any time, were cancelled. Orders are numbered by order date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.synth import vocab
from creditguard.synth.arrays import NEVER, Floats, Ints, ints, uniform_days
from creditguard.synth.customers import Customers
from creditguard.synth.invoices import Invoices, draw_amounts, last_trading_day
from creditguard.synth.params import World
from creditguard.synth.risk import Risk

CONFIRMED = vocab.ORDER_STATUSES.index("confirmed")
SHIPPED = vocab.ORDER_STATUSES.index("shipped")
INVOICED = vocab.ORDER_STATUSES.index("invoiced")
CANCELLED = vocab.ORDER_STATUSES.index("cancelled")
CONFIRMED_WINDOW_DAYS = 30  # open orders: confirmed within the last month ...
SHIPPED_WINDOW_DAYS = 45  # ... or shipped within the last six weeks
SHIPPED_SHARE = 0.4  # of the open orders
SHIPPED_IN_PART = 0.3  # of the shipped ones
MEAN_ORDER_LEAD_DAYS = 7  # from order to invoice (geometric)
MAX_ORDER_LEAD_DAYS = 30


@dataclass(frozen=True, slots=True)
class Orders:
    """One entry per order, in order-date order; ``invoice`` links an invoiced order back."""

    customer: Ints
    ordered: Ints  # day number
    amount: Ints  # minor units of the customer's currency
    status: Ints  # index into vocab.ORDER_STATUSES
    shipped: Ints  # minor units shipped so far
    ship_on: Ints  # expected shipping day
    invoice: Ints  # the invoice it became, -1 for none
    number: Ints  # for each invoice: the index of its order, -1 for none

    @property
    def count(self) -> int:
        return len(self.customer)


def make_orders(
    rng: np.random.Generator,
    invoices: Invoices,
    customers: Customers,
    risk: Risk,
    world: World,
) -> Orders:
    source = np.flatnonzero(invoices.ordered)
    lead = np.minimum(rng.geometric(1 / MEAN_ORDER_LEAD_DAYS, len(source)) - 1, MAX_ORDER_LEAD_DAYS)
    invoiced = _Batch(
        customer=invoices.customer[source],
        ordered=invoices.issued[source] - lead,
        amount=invoices.amount[source],
        status=np.full(len(source), INVOICED, dtype=np.int64),
        shipped=invoices.amount[source],
        ship_on=invoices.issued[source],
        invoice=ints(source),
    )
    batches = [invoiced, *_open_orders(rng, customers, risk, invoices.count, world)]
    batch = _Batch.join(batches)
    key = (batch.ordered - batch.ordered.min()) * customers.count + batch.customer
    order = np.argsort(key, kind="stable")
    batch = batch.take(ints(order))
    number = np.full(invoices.count, -1, dtype=np.int64)
    linked = batch.invoice >= 0
    number[batch.invoice[linked]] = np.flatnonzero(linked)
    return Orders(
        customer=batch.customer,
        ordered=batch.ordered,
        amount=batch.amount,
        status=batch.status,
        shipped=batch.shipped,
        ship_on=batch.ship_on,
        invoice=batch.invoice,
        number=number,
    )


@dataclass(frozen=True, slots=True)
class _Batch:
    customer: Ints
    ordered: Ints
    amount: Ints
    status: Ints
    shipped: Ints
    ship_on: Ints
    invoice: Ints

    @staticmethod
    def join(batches: list[_Batch]) -> _Batch:
        return _Batch(
            *(ints(np.concatenate([getattr(b, name) for b in batches])) for name in _FIELDS)
        )

    def take(self, rows: Ints) -> _Batch:
        return _Batch(*(getattr(self, name)[rows] for name in _FIELDS))


_FIELDS = ("customer", "ordered", "amount", "status", "shipped", "ship_on", "invoice")


def _open_orders(
    rng: np.random.Generator, customers: Customers, risk: Risk, invoices: int, world: World
) -> list[_Batch]:
    """Confirmed and shipped orders of customers still trading; cancelled orders of anyone."""
    params = world.params
    trading = customers.activity * (risk.default_on == NEVER)
    weight = customers.activity
    open_count = round(invoices * params.open_order_share)
    cancelled_count = round(invoices * params.cancelled_order_share)
    batches = []
    if trading.sum() > 0 and open_count > 0:
        batches.append(_recent(rng, customers, trading, open_count, world))
    if cancelled_count > 0:
        batches.append(_cancelled(rng, customers, risk, weight, cancelled_count, world))
    return batches


def _recent(
    rng: np.random.Generator, customers: Customers, weight: Floats, count: int, world: World
) -> _Batch:
    customer = ints(rng.choice(customers.count, size=count, p=weight / weight.sum()))
    shipped = rng.random(count) < SHIPPED_SHARE
    window = np.where(shipped, SHIPPED_WINDOW_DAYS, CONFIRMED_WINDOW_DAYS)
    ordered = world.as_of - ints(rng.random(count) * window)
    amount = draw_amounts(rng, customers, customer, world)
    in_part = rng.random(count) < SHIPPED_IN_PART
    part = np.maximum(np.rint(amount * rng.uniform(0.3, 0.9, count)), 1).astype(np.int64)
    ship_on = ordered + rng.integers(3, 31, count)
    return _Batch(
        customer=customer,
        ordered=ordered,
        amount=amount,
        status=np.where(shipped, SHIPPED, CONFIRMED).astype(np.int64),
        shipped=np.where(shipped, np.where(in_part, part, amount), 0).astype(np.int64),
        ship_on=np.where(shipped, np.minimum(ship_on, world.as_of), ship_on).astype(np.int64),
        invoice=np.full(count, -1, dtype=np.int64),
    )


def _cancelled(
    rng: np.random.Generator,
    customers: Customers,
    risk: Risk,
    weight: Floats,
    count: int,
    world: World,
) -> _Batch:
    customer = ints(rng.choice(customers.count, size=count, p=weight / weight.sum()))
    last = last_trading_day(risk, world)[customer]
    ordered = uniform_days(rng, np.full(count, world.start, dtype=np.int64), last)
    return _Batch(
        customer=customer,
        ordered=ordered,
        amount=draw_amounts(rng, customers, customer, world),
        status=np.full(count, CANCELLED, dtype=np.int64),
        shipped=np.zeros(count, dtype=np.int64),
        ship_on=ordered + rng.integers(3, 31, count),
        invoice=np.full(count, -1, dtype=np.int64),
    )
