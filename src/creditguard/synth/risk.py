"""Latent risk: each customer's default log-odds, month by month, and who defaults when.

A customer's annual default log-odds is its own level (industry, province, age, size, group,
plus noise) with a personal drift, a monthly random walk, and the macro factors of its industry
and region (slow random walks with a few sudden shocks that fade). Defaults are drawn from the
monthly hazard this implies; over the months before a default the customer's behaviour worsens
(its log-odds climb), so that delays, partial payments and order anomalies precede it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.synth import vocab
from creditguard.synth.arrays import (
    NEVER,
    Bools,
    Floats,
    Ints,
    Singles,
    first_days,
    ints,
    months_of,
    pick_rows,
    sigmoid,
)
from creditguard.synth.customers import (
    CAPITAL_MEDIAN_YUAN,
    PROVINCES,
    REGIONS,
    YEARS_MEDIAN,
    Customers,
    years_in_business,
)
from creditguard.synth.params import World

MIN_HISTORY_DAYS = 30  # a default comes at least this long after the start of the history
EXPORT_OFFSET = -0.2
GROUP_OFFSET = -0.4
AGE_EFFECT = -0.3
SIZE_EFFECT = -0.15
SHOCK_RECOVERY_MONTHS = 12.0


@dataclass(frozen=True, slots=True)
class Shock:
    """A sudden rise of the default log-odds of an industry or a region, fading afterwards."""

    scope: str  # "industry" or "region"
    name: str
    month: int  # index into the months of the run
    shift: float  # log-odds at onset


@dataclass(frozen=True, slots=True)
class Risk:
    base: Floats  # the customer's own annual default log-odds (through the cycle)
    path: Singles  # (customers, months): log-odds each month, drift, macro and distress in
    default_on: Ints  # day number of the default, NEVER when none up to as_of
    kind: Ints  # index into vocab.DEFAULT_KINDS (meaningful for defaults only)
    segment: Ints  # A, B, C, D from the base annual PD
    terms: Ints  # the customer's own payment terms, index into vocab.TERMS
    shocks: tuple[Shock, ...]

    @property
    def defaulted(self) -> Bools:
        return np.asarray(self.default_on < NEVER)


@dataclass(frozen=True, slots=True)
class Months:
    """The months of the run, clipped to the history: first and last day, and length."""

    first: Ints
    last: Ints

    @property
    def days(self) -> Ints:
        return self.last - self.first + 1


def months(world: World) -> Months:
    numbers = world.month0 + np.arange(world.months, dtype=np.int64)
    first = np.maximum(first_days(numbers), world.start)
    last = np.minimum(first_days(numbers + 1) - 1, world.as_of)
    return Months(ints(first), ints(last))


def make_risk(rng: np.random.Generator, customers: Customers, world: World) -> Risk:
    base = _base(rng, customers, world)
    shocks = _shocks(rng, world)
    path = _path(rng, base, customers, world, shocks)
    default_on = _defaults(rng, path, world)
    _distress(rng, path, default_on, world)
    segment = np.searchsorted(np.asarray(vocab.SEGMENT_LIMITS), sigmoid(base), side="right")
    return Risk(
        base=base,
        path=path,
        default_on=default_on,
        kind=ints(rng.random(customers.count) >= world.params.bankruptcy_share),
        segment=ints(segment),
        terms=_terms(rng, ints(segment)),
        shocks=shocks,
    )


def _base(rng: np.random.Generator, customers: Customers, world: World) -> Floats:
    params = world.params
    industry = np.asarray([float(row[4]) for row in vocab.INDUSTRIES])
    region = np.asarray([vocab.PROVINCE_RISK.get(name, 0.0) for name in REGIONS])
    years = np.maximum(years_in_business(customers, world.as_of), 0.5)
    return np.asarray(
        params.base_logit
        + industry[customers.industry]
        + region[customers.region]
        + EXPORT_OFFSET * customers.export
        + GROUP_OFFSET * customers.group
        + AGE_EFFECT * np.log(years / YEARS_MEDIAN)
        + SIZE_EFFECT * np.log(customers.capital / CAPITAL_MEDIAN_YUAN)
        + rng.normal(0.0, params.base_sigma, customers.count)
    )


def _shocks(rng: np.random.Generator, world: World) -> tuple[Shock, ...]:
    params = world.params
    low, high = params.shock_logit
    drawn: list[Shock] = []
    scopes = (
        ("industry", [row[1] for row in vocab.INDUSTRIES], params.industry_shocks),
        ("region", list(PROVINCES), params.region_shocks),
    )
    for scope, names, count in scopes:
        for index in rng.choice(len(names), size=min(count, len(names)), replace=False):
            month = int(rng.integers(0, world.months))
            drawn.append(Shock(scope, names[int(index)], month, float(rng.uniform(low, high))))
    return tuple(drawn)


def _macro(rng: np.random.Generator, count: int, world: World) -> Singles:
    """Slow random walks: (count, months) log-odds shifts of industries or regions."""
    steps = rng.normal(0.0, world.params.macro_sigma, (count, world.months))
    return np.cumsum(steps, axis=1).astype(np.float32)


def _shock_effects(shocks: tuple[Shock, ...], scope: str, names: list[str], months: int) -> Singles:
    effect = np.zeros((len(names), months), dtype=np.float32)
    since = np.arange(months, dtype=np.float64)
    for shock in shocks:  # a handful of events
        if shock.scope != scope:
            continue
        elapsed = since - shock.month
        fade = np.where(elapsed >= 0, np.exp(-np.maximum(elapsed, 0) / SHOCK_RECOVERY_MONTHS), 0)
        effect[names.index(shock.name)] += (shock.shift * fade).astype(np.float32)
    return effect


def _path(
    rng: np.random.Generator,
    base: Floats,
    customers: Customers,
    world: World,
    shocks: tuple[Shock, ...],
) -> Singles:
    params = world.params
    count, span = customers.count, world.months
    years = ((np.arange(span) + 0.5) / 12.0).astype(np.float32)
    slope = rng.normal(0.0, params.drift_sigma, count).astype(np.float32)
    path = rng.standard_normal((count, span), dtype=np.float32)
    path *= np.float32(params.walk_sigma)
    np.cumsum(path, axis=1, out=path)
    path += base.astype(np.float32)[:, None]
    path += slope[:, None] * years[None, :]
    industries = [row[1] for row in vocab.INDUSTRIES]
    industry = _macro(rng, len(industries), world)
    industry += _shock_effects(shocks, "industry", industries, span)
    region = _macro(rng, len(REGIONS), world)
    region += _shock_effects(shocks, "region", list(REGIONS), span)
    path += industry[customers.industry]
    path += region[customers.region]
    return path


def _defaults(rng: np.random.Generator, path: Singles, world: World) -> Ints:
    """The default day of each customer (NEVER if none up to as_of), from the monthly hazard."""
    calendar = months(world)
    annual = sigmoid(path)
    hazard = (-np.log1p(-np.minimum(annual, 0.999)) * (calendar.days / 365.25)).astype(np.float32)
    del annual
    cumulative = np.cumsum(hazard, axis=1)
    threshold = rng.exponential(1.0, len(path)).astype(np.float32)
    defaulted = cumulative[:, -1] > threshold
    rows = np.flatnonzero(defaulted)
    month = np.argmax(cumulative[rows] > threshold[rows, None], axis=1)
    before = np.where(month > 0, cumulative[rows, np.maximum(month - 1, 0)], 0)
    into = (threshold[rows] - before) / np.maximum(hazard[rows, month], 1e-12)
    day = calendar.first[month] + (np.clip(into, 0, 0.999) * calendar.days[month]).astype(np.int64)
    default_on = np.full(len(path), NEVER, dtype=np.int64)
    default_on[rows] = np.clip(day, world.start + MIN_HISTORY_DAYS, world.as_of)
    return default_on


def _distress(rng: np.random.Generator, path: Singles, default_on: Ints, world: World) -> None:
    """Raise the log-odds of defaulting customers over the months before their default."""
    rows = np.flatnonzero(default_on < NEVER)
    span = world.params.distress_months
    month = month_index(default_on[rows], world)
    ramp = np.clip((np.arange(world.months)[None, :] - (month[:, None] - span)) / span, 0, 1)
    low, high = world.params.distress_logit
    path[rows] += (ramp * rng.uniform(low, high, len(rows))[:, None]).astype(np.float32)


def month_index(days: Ints, world: World) -> Ints:
    """Index into the months of the run of each day number."""
    return ints(np.clip(months_of(days) - world.month0, 0, world.months - 1))


def _terms(rng: np.random.Generator, segment: Ints) -> Ints:
    return pick_rows(rng, vocab.TERMS_BY_SEGMENT, segment)
