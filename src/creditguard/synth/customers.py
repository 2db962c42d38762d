"""The customers: companies in industries and regions, groups and subsidiaries, exporters.

Attributes are drawn for all customers at once. Domestic customers are Chinese companies in a
city (their region is its province); export buyers are foreign companies invoiced in their own
currency when the run allows it (their region is their country). About 2% are parent groups;
a share of the domestic customers after a group belong to one of the groups before them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.synth import vocab
from creditguard.synth.arrays import Bools, Floats, Ints, ints, pick
from creditguard.synth.params import World

PROVINCES = tuple(dict.fromkeys(row[1] for row in vocab.CITIES))
REGIONS = PROVINCES + tuple(row[1] for row in vocab.EXPORT_COUNTRIES)
CITY_PROVINCE = ints([PROVINCES.index(row[1]) for row in vocab.CITIES])
CAPITAL_MEDIAN_YUAN = 5_000_000.0
YEARS_MEDIAN = 9.0


@dataclass(frozen=True, slots=True)
class Customers:
    """One entry per customer, in code order (C000001 first)."""

    count: int
    group: Bools  # a parent group (集团)
    parent: Ints  # index of the parent group, -1 for none (always an earlier customer)
    export: Bools  # a foreign buyer
    city: Ints  # index into vocab.CITIES (export buyers: 0, unused)
    country: Ints  # index into vocab.EXPORT_COUNTRIES, -1 for a Chinese company
    region: Ints  # index into REGIONS
    industry: Ints  # index into vocab.INDUSTRIES
    currency: Ints  # index into World.currencies
    trade: Ints  # trade name: two indices into vocab.TRADE_CHARS, as first * len + second
    founded: Ints  # day number
    capital: Ints  # registered capital, whole yuan
    activity: Floats  # relative number of orders
    size: Floats  # typical invoice, yuan
    habit: Floats  # usual days between due date and payment (negative: early)
    batch: Bools  # pays on a monthly payment run
    salesperson: Ints  # index into SALESPEOPLE (domestic) or EXPORT_SALESPEOPLE


def make_customers(rng: np.random.Generator, count: int, world: World) -> Customers:
    params = world.params
    group = rng.random(count) < params.group_share
    export = ~group & (rng.random(count) < params.export_share)
    parent = _parents(rng, group, export, params.subsidiary_share)
    city = pick(rng, [float(row[4]) for row in vocab.CITIES], count)
    country, currency = _markets(rng, export, world.currencies)
    trade = _trade_names(rng, count)
    trade = np.where(parent >= 0, trade[np.maximum(parent, 0)], trade)
    capital = _capital(rng, group)
    return Customers(
        count=count,
        group=group,
        parent=parent,
        export=export,
        city=city,
        country=country,
        region=np.where(export, len(PROVINCES) + country, CITY_PROVINCE[city]),
        industry=pick(rng, [float(row[5]) for row in vocab.INDUSTRIES], count),
        currency=currency,
        trade=trade,
        founded=_founded(rng, group, world.as_of),
        capital=capital,
        activity=rng.lognormal(0.0, params.activity_sigma, count),
        size=_typical_size(rng, capital, params.invoice_median_yuan, params.size_sigma),
        habit=_habits(rng, count),
        batch=rng.random(count) < params.batch_payer_share,
        salesperson=rng.integers(0, len(vocab.SALESPEOPLE), count),
    )


def _parents(rng: np.random.Generator, group: Bools, export: Bools, share: float) -> Ints:
    """A parent for some domestic customers: a group that comes before them in code order."""
    count = len(group)
    parent = np.full(count, -1, dtype=np.int64)
    groups = np.flatnonzero(group)
    earlier = np.searchsorted(groups, np.arange(count))  # groups before each customer
    chosen = ~group & ~export & (earlier > 0) & (rng.random(count) < share)
    which = (rng.random(count) * earlier).astype(np.int64)
    parent[chosen] = groups[which[chosen]]
    return parent


def _markets(
    rng: np.random.Generator, export: Bools, currencies: tuple[str, ...]
) -> tuple[Ints, Ints]:
    """Country and currency index of each customer: domestic ones in the main currency."""
    count = len(export)
    countries = vocab.EXPORT_COUNTRIES
    weight = np.asarray([float(row[4]) for row in countries])
    country = np.full(count, -1, dtype=np.int64)
    currency = np.zeros(count, dtype=np.int64)
    foreign = currencies[1:]
    if not foreign:  # one currency: exporters are invoiced in it too
        country[export] = pick(rng, weight, int(export.sum()))
        return country, currency
    uses = [np.asarray([row[2] == code for row in countries]) for code in foreign]
    currency_weight = [float(weight[mask].sum()) or 1.0 for mask in uses]
    rows = np.flatnonzero(export)
    drawn = pick(rng, currency_weight, len(rows))
    currency[rows] = drawn + 1
    for k, mask in enumerate(uses):  # a handful of currencies
        mine = rows[drawn == k]
        candidates = np.flatnonzero(mask) if mask.any() else np.arange(len(countries))
        country[mine] = candidates[pick(rng, weight[candidates], len(mine))]
    return country, currency


def _trade_names(rng: np.random.Generator, count: int) -> Ints:
    size = len(vocab.TRADE_CHARS)
    first = rng.integers(0, size, count)
    second = (first + 1 + rng.integers(0, size - 1, count)) % size
    return ints(first * size + second)


def _capital(rng: np.random.Generator, group: Bools) -> Ints:
    """Registered capital in yuan, rounded to 10,000 (万元), groups ten times larger."""
    yuan = rng.lognormal(np.log(CAPITAL_MEDIAN_YUAN), 1.1, len(group)) * np.where(group, 10, 1)
    return ints(np.maximum(np.rint(yuan / 10_000), 1) * 10_000)


def _founded(rng: np.random.Generator, group: Bools, as_of: int) -> Ints:
    years = np.clip(rng.lognormal(np.log(YEARS_MEDIAN), 0.6, len(group)) + 5 * group, 0.5, 45)
    return ints(as_of - np.rint(years * 365.25))


def _typical_size(rng: np.random.Generator, capital: Ints, median: float, sigma: float) -> Floats:
    """Typical invoice in yuan: log-normal, larger for larger companies."""
    scale = (capital / CAPITAL_MEDIAN_YUAN) ** 0.3
    return np.asarray(rng.lognormal(np.log(median), sigma, len(capital)) * scale)


def _habits(rng: np.random.Generator, count: int) -> Floats:
    """Usual payment delay in days: most pay around the due date, a quarter habitually late."""
    slow = rng.random(count) < 0.25
    return np.asarray(rng.normal(-1.0, 3.0, count) + slow * rng.exponential(8.0, count))


def years_in_business(customers: Customers, as_of: int) -> Floats:
    return np.asarray((as_of - customers.founded) / 365.25)
