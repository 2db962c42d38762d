"""Invoices: how many per customer, when, how large, on which terms, due when.

Each customer gets at least one invoice; the rest are shared out by activity and by how long the
customer traded before as_of (or before its default). Within a customer, the month of each
invoice follows the customer's monthly order intensity: lower as its risk rises, with a sudden
drop or spike in the months before a default. Amounts are log-normal in yuan, converted to the
invoice currency. Invoices are numbered in issue-date order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.core.money import currency_exponent
from creditguard.synth import vocab
from creditguard.synth.arrays import (
    Bools,
    Floats,
    Ints,
    Singles,
    end_of_month,
    ints,
    pick_rows,
    sigmoid,
    uniform_days,
)
from creditguard.synth.customers import Customers
from creditguard.synth.params import World
from creditguard.synth.risk import Months, Risk, month_index, months

ANOMALY_MONTHS = 3  # order volumes jump or collapse over the months before a default
ANOMALY_FACTORS = (0.3, 2.0)
MIN_INVOICE_YUAN = 100.0
TERM_DAYS = ints([row[1] for row in vocab.TERMS])
TERM_EOM = np.asarray([row[2] for row in vocab.TERMS])


@dataclass(frozen=True, slots=True)
class Invoices:
    """One entry per invoice, in issue-date order (then customer order)."""

    customer: Ints
    issued: Ints  # day number
    amount: Ints  # minor units of the customer's currency
    terms: Ints  # index into vocab.TERMS
    due: Ints  # day number of the last instalment's due date
    risk: Singles  # the customer's default log-odds in the month of issue
    ordered: Bools  # comes from a sales order

    @property
    def count(self) -> int:
        return len(self.customer)


def last_trading_day(risk: Risk, world: World) -> Ints:
    """The last day a customer is invoiced: as_of, or the day before its default."""
    return np.minimum(risk.default_on - 1, world.as_of)


def make_invoices(
    rng: np.random.Generator, customers: Customers, risk: Risk, count: int, world: World
) -> Invoices:
    calendar = months(world)
    intensity = _intensity(rng, risk, calendar, world)
    per_customer = _counts(rng, customers.activity * intensity.sum(axis=1), count)
    customer = np.repeat(np.arange(customers.count, dtype=np.int64), per_customer)
    month = _months_drawn(rng, intensity, customer)
    del intensity
    last = last_trading_day(risk, world)[customer]
    issued = uniform_days(rng, calendar.first[month], np.minimum(calendar.last[month], last))
    order = np.argsort((issued - world.start) * customers.count + customer, kind="stable")
    customer, issued, month = customer[order], issued[order], month[order]
    logodds = risk.path[customer, month]
    terms = _terms(rng, risk.terms[customer], logodds, world.params.terms_change_share)
    return Invoices(
        customer=customer,
        issued=issued,
        amount=draw_amounts(rng, customers, customer, world),
        terms=terms,
        due=due_dates(issued, terms),
        risk=logodds,
        ordered=rng.random(len(customer)) < world.params.order_share,
    )


def _intensity(rng: np.random.Generator, risk: Risk, calendar: Months, world: World) -> Floats:
    """(customers, months): days traded in each month, scaled by the order rate."""
    last = last_trading_day(risk, world)
    days = np.minimum(calendar.last[None, :], last[:, None]) - calendar.first[None, :] + 1
    rate = np.exp(-world.params.volume_sensitivity * (risk.path - risk.base[:, None]))
    intensity = np.maximum(days, 0) * rate.astype(np.float64)
    rows = np.flatnonzero(risk.defaulted)
    default_month = month_index(risk.default_on[rows], world)
    near = np.arange(world.months)[None, :] >= (default_month[:, None] - ANOMALY_MONTHS)
    factor = np.asarray(ANOMALY_FACTORS)[rng.integers(0, len(ANOMALY_FACTORS), len(rows))]
    intensity[rows] *= np.where(near, factor[:, None], 1.0)
    return np.asarray(intensity)


def _counts(rng: np.random.Generator, weight: Floats, total: int) -> Ints:
    """At least one invoice each; the rest shared out in proportion to ``weight``."""
    share = weight / weight.sum()
    extra = rng.multinomial(total - len(weight), share) if total > len(weight) else 0
    return ints(1 + extra)


def _months_drawn(rng: np.random.Generator, intensity: Floats, customer: Ints) -> Ints:
    """The month of each invoice, following its customer's monthly intensity.

    Each customer's cumulative intensity is scaled into ``[c, c + 1)`` and laid end to end, so
    one ``searchsorted`` over all customers finds every invoice's month.
    """
    count, span = intensity.shape
    ladder = np.cumsum(intensity, axis=1)
    ladder /= ladder[:, -1:]
    ladder += np.arange(count, dtype=np.float64)[:, None]
    ladder[:, -1] = np.arange(1, count + 1)
    point = customer + rng.random(len(customer)) * (1 - 1e-9)
    found = np.searchsorted(ladder.ravel(), point, side="right") - customer * span
    return ints(np.clip(found, 0, span - 1))


def _terms(rng: np.random.Generator, own: Ints, logodds: Singles, change: float) -> Ints:
    """The customer's own terms, or (for a few invoices) terms fitting its current risk."""
    segment = ints(np.searchsorted(np.asarray(vocab.SEGMENT_LIMITS), sigmoid(logodds)))
    current = pick_rows(rng, vocab.TERMS_BY_SEGMENT, segment)
    return np.where(rng.random(len(own)) < change, current, own)


def due_dates(issued: Ints, terms: Ints) -> Ints:
    """The last due date under each invoice's terms, in calendar days (no holidays)."""
    start = np.where(TERM_EOM[terms], end_of_month(issued), issued)
    return ints(start + TERM_DAYS[terms])


def draw_amounts(
    rng: np.random.Generator, customers: Customers, customer: Ints, world: World
) -> Ints:
    """Log-normal yuan amounts, in minor units of the customer's currency."""
    yuan = customers.size[customer] * rng.lognormal(0.0, world.params.invoice_sigma, len(customer))
    return to_minor(np.maximum(yuan, MIN_INVOICE_YUAN), customers.currency[customer], world)


def to_minor(yuan: Floats, currency: Ints, world: World) -> Ints:
    """Yuan amounts in minor units of each row's currency (at the generator's rough rates)."""
    units = np.asarray([vocab.YUAN_PER_UNIT.get(code, 1.0) for code in world.currencies])
    scale = np.asarray([10.0 ** currency_exponent(code) for code in world.currencies])
    return ints(np.maximum(np.rint(yuan / units[currency] * scale[currency]), 1))
