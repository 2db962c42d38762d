"""External risk signals (litigation, enforcement, equity change, ...), true and false alarms.

Most defaults are preceded by one or more signals, each with a noisy lead time around its
type's median (a bankruptcy filing comes days before a bankruptcy, an equity change months
before). Every customer also draws unrelated signals at a rate that grows with its risk: the
false alarms. A signal is a true alarm when its customer defaults within ``alarm_window_days``
after it; that rule labels every signal, whichever way it was drawn. No signal is dated after
as_of, nor after its customer's default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.synth import vocab
from creditguard.synth.arrays import NEVER, Bools, Ints, ints, pick, uniform_days
from creditguard.synth.params import World
from creditguard.synth.risk import Risk

TRUE_WEIGHTS = [float(row[2]) for row in vocab.SIGNALS]
FALSE_WEIGHTS = [float(row[3]) for row in vocab.SIGNALS]
LEAD_MEDIANS = np.asarray([float(row[4]) for row in vocab.SIGNALS])
BANKRUPTCY = [row[0] for row in vocab.SIGNALS].index(vocab.BANKRUPTCY_SIGNAL)
LEAD_SIGMA = 0.6
MAX_NOISE_RATE = 2.0  # signals per customer and year, at most
NOISE_RISK_SLOPE = 0.5
MAX_FILING_LEAD_DAYS = 60


@dataclass(frozen=True, slots=True)
class Signals:
    """One entry per signal, in date order (then customer, then signal type)."""

    customer: Ints
    kind: Ints  # index into vocab.SIGNALS
    observed: Ints  # day number
    true_alarm: Bools
    lead: Ints  # days to the default for true alarms, -1 otherwise

    @property
    def count(self) -> int:
        return len(self.customer)


def make_signals(rng: np.random.Generator, risk: Risk, world: World) -> Signals:
    customer_a, kind_a, day_a = _before_defaults(rng, risk, world)
    customer_b, kind_b, day_b = _bankruptcies(rng, risk, world)
    customer_c, kind_c, day_c = _noise(rng, risk, world)
    customer = np.concatenate([customer_a, customer_b, customer_c])
    kind = np.concatenate([kind_a, kind_b, kind_c])
    observed = np.concatenate([day_a, day_b, day_c])
    default_on = risk.default_on[customer]
    keep = observed < np.minimum(default_on, world.as_of + 1)
    customer, kind, observed, default_on = (a[keep] for a in (customer, kind, observed, default_on))
    order = np.lexsort((kind, customer, observed))
    customer, kind, observed, default_on = (
        a[order] for a in (customer, kind, observed, default_on)
    )
    lead = default_on - observed
    true_alarm = (default_on < NEVER) & (lead <= world.params.alarm_window_days)
    return Signals(
        customer=ints(customer),
        kind=ints(kind),
        observed=ints(observed),
        true_alarm=true_alarm,
        lead=np.where(true_alarm, lead, -1).astype(np.int64),
    )


def _before_defaults(rng: np.random.Generator, risk: Risk, world: World) -> tuple[Ints, Ints, Ints]:
    """Signals ahead of a share of the defaults, with a log-normal lead time per type."""
    params = world.params
    defaulted = np.flatnonzero(risk.defaulted)
    seen = defaulted[rng.random(len(defaulted)) < params.signal_share]
    per = 1 + rng.poisson(params.extra_signals, len(seen))
    customer = np.repeat(seen, per)
    kind = pick(rng, TRUE_WEIGHTS, len(customer))
    lead = rng.lognormal(np.log(LEAD_MEDIANS[kind]), LEAD_SIGMA)
    lead = np.clip(np.rint(lead), 1, params.alarm_window_days).astype(np.int64)
    return ints(customer), kind, ints(risk.default_on[customer] - lead)


def _bankruptcies(rng: np.random.Generator, risk: Risk, world: World) -> tuple[Ints, Ints, Ints]:
    """A bankruptcy filing, days before each bankruptcy that the data provider sees."""
    bankrupt = risk.defaulted & (risk.kind == vocab.DEFAULT_KINDS.index("bankruptcy"))
    customer = np.flatnonzero(bankrupt)
    customer = customer[rng.random(len(customer)) < world.params.signal_share]
    lead = rng.lognormal(np.log(LEAD_MEDIANS[BANKRUPTCY]), LEAD_SIGMA, len(customer))
    lead = np.clip(np.rint(lead), 1, MAX_FILING_LEAD_DAYS)
    kind = np.full(len(customer), BANKRUPTCY, dtype=np.int64)
    return ints(customer), kind, ints(risk.default_on[customer] - lead.astype(np.int64))


def _noise(rng: np.random.Generator, risk: Risk, world: World) -> tuple[Ints, Ints, Ints]:
    """Signals unrelated to any default, more frequent for riskier customers."""
    params = world.params
    years = (world.as_of - world.start + 1) / 365.25
    lift = np.exp(NOISE_RISK_SLOPE * (risk.base - params.base_logit))
    rate = np.minimum(params.noise_signals_per_year * lift, MAX_NOISE_RATE)
    per = rng.poisson(rate * years)
    customer = np.repeat(np.arange(len(per), dtype=np.int64), per)
    kind = pick(rng, FALSE_WEIGHTS, len(customer))
    low = np.full(len(customer), world.start, dtype=np.int64)
    observed = uniform_days(rng, low, np.full(len(customer), world.as_of, dtype=np.int64))
    return ints(customer), kind, observed
