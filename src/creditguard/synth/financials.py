"""Annual financial statements of each customer, consistent with its latent risk.

For the last ``financial_years`` completed years before as_of (none after a default): revenue,
net profit, total assets and liabilities, current assets and liabilities, cash and operating
cash flow, in whole units of the customer's currency. Riskier years show higher debt ratios,
thinner liquidity and margins. No import format exists for statements yet: they are written
with the ground truth, for building and measuring credit models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.synth import vocab
from creditguard.synth.arrays import Floats, Ints, first_days, ints, sigmoid, years_of
from creditguard.synth.customers import Customers
from creditguard.synth.params import World
from creditguard.synth.risk import Risk, month_index

REVENUE_PER_INVOICE = 60.0  # a buyer's revenue, in typical invoices to us
DEBT_RATIO_LOGIT = 0.2
CURRENT_RATIO = 1.4


@dataclass(frozen=True, slots=True)
class Financials:
    """One entry per customer and fiscal year (customer order, then year)."""

    customer: Ints
    year: Ints
    columns: dict[str, Ints]  # statement line -> whole units of the customer's currency


LINES = (
    "revenue",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "current_assets",
    "current_liabilities",
    "cash",
    "operating_cash_flow",
)


def make_financials(
    rng: np.random.Generator, customers: Customers, risk: Risk, world: World
) -> Financials:
    as_of_year = int(years_of(ints([world.as_of]))[0])
    years = as_of_year - np.arange(world.params.financial_years, 0, -1)
    count = customers.count
    customer = np.repeat(np.arange(count, dtype=np.int64), len(years))
    year = np.tile(years, count).astype(np.int64)
    year_end = first_days((year - 1970 + 1) * 12) - 1
    filed = (year_end < risk.default_on[customer]) & (customers.founded[customer] <= year_end)
    customer, year = customer[filed], year[filed]
    mid_year = month_index(first_days((year - 1970) * 12 + 6), world)  # clipped to the run
    stress = risk.path[customer, mid_year].astype(np.float64) - world.params.base_logit
    yuan = _statements(rng, customers.size[customer] * REVENUE_PER_INVOICE, stress)
    units = np.asarray([vocab.YUAN_PER_UNIT.get(code, 1.0) for code in world.currencies])
    per_unit = units[customers.currency[customer]]
    columns = {name: ints(np.rint(value / per_unit)) for name, value in yuan.items()}
    return Financials(customer=ints(customer), year=year, columns=columns)


def _statements(rng: np.random.Generator, scale: Floats, stress: Floats) -> dict[str, Floats]:
    count = len(scale)
    revenue = scale * rng.lognormal(0.0, 0.4, count) * np.exp(-0.1 * stress)
    assets = revenue * rng.lognormal(np.log(0.9), 0.4, count)
    debt_ratio = sigmoid(DEBT_RATIO_LOGIT + 0.35 * stress + rng.normal(0.0, 0.4, count))
    liabilities = assets * debt_ratio
    current_liabilities = liabilities * rng.uniform(0.5, 0.85, count)
    current_ratio = np.exp(np.log(CURRENT_RATIO) - 0.2 * stress + rng.normal(0.0, 0.25, count))
    current_assets = np.minimum(current_liabilities * current_ratio, assets * 0.95)
    cash = current_assets * sigmoid(-1.7 - 0.3 * stress + rng.normal(0.0, 0.5, count))
    margin = 0.05 - 0.03 * stress + rng.normal(0.0, 0.03, count)
    profit = revenue * margin
    return {
        "revenue": revenue,
        "net_profit": profit,
        "total_assets": assets,
        "total_liabilities": liabilities,
        "current_assets": current_assets,
        "current_liabilities": current_liabilities,
        "cash": cash,
        "operating_cash_flow": profit * rng.uniform(0.4, 1.4, count)
        + revenue * rng.normal(0.0, 0.02, count),
    }
