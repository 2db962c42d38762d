"""The hidden ground truth, kept apart from the import files.

Per customer: latent annual PD (its own level, and at as_of), risk segment, default date and
kind, registered capital, founding date, and the behaviour the generator gave it. Per invoice:
due date, settlement date, days late, what is still open, dispute and write-off. Per signal:
whether it was a true alarm. Also the macro shocks and the financial statements.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from creditguard.synth import vocab
from creditguard.synth.arrays import NEVER, ints, sigmoid
from creditguard.synth.customers import REGIONS, Customers
from creditguard.synth.financials import LINES, Financials
from creditguard.synth.formatting import amounts, dates, fixed, labels
from creditguard.synth.invoices import Invoices
from creditguard.synth.params import World
from creditguard.synth.payments import Settlement
from creditguard.synth.risk import Risk, months
from creditguard.synth.signals import Signals
from creditguard.synth.tables import COUNTRIES, Keys

PD_DECIMALS = 6
DAYS_DECIMALS = 1
SHIFT_DECIMALS = 4


def customers_truth(customers: Customers, risk: Risk, world: World, keys: Keys) -> pl.DataFrame:
    defaulted = risk.defaulted
    return pl.DataFrame(
        [
            keys.codes,
            fixed("latent_pd", sigmoid(risk.base), PD_DECIMALS),
            fixed("latent_pd_as_of", sigmoid(risk.path[:, -1]), PD_DECIMALS),
            labels("risk_segment", risk.segment, vocab.SEGMENTS),
            dates("default_on", risk.default_on),
            labels("default_kind", np.where(defaulted, risk.kind, -1), vocab.DEFAULT_KINDS),
            pl.Series("registered_capital", customers.capital),
            dates("founded_on", customers.founded),
            pl.Series("is_group", customers.group),
            labels("industry", customers.industry, [row[1] for row in vocab.INDUSTRIES]),
            labels("region", customers.region, REGIONS),
            labels("country", customers.country + 1, COUNTRIES),
            labels("currency", customers.currency, world.currencies),
            fixed("habit_days", customers.habit, DAYS_DECIMALS),
            pl.Series("payment_run", customers.batch),
        ]
    )


def invoices_truth(
    invoices: Invoices,
    customers: Customers,
    risk: Risk,
    settlement: Settlement,
    world: World,
    keys: Keys,
) -> pl.DataFrame:
    customer = invoices.customer
    default_on = risk.default_on[customer]
    settled = settlement.settled
    until = np.where(settled < NEVER, settled, world.as_of)
    late = np.maximum(until - invoices.due, 0)
    gone = (settlement.open > 0) & (default_on <= world.as_of - world.params.write_off_after_days)
    currency = customers.currency[customer]
    return pl.DataFrame(
        [
            keys.invoice_refs,
            keys.customer_codes(customer),
            dates("due_on", invoices.due),
            dates("settled_on", settled),
            pl.Series("days_late", ints(late)),
            amounts("open_amount", settlement.open, currency, world.currencies),
            pl.Series("disputed", settlement.disputed),
            labels("dispute_reason", settlement.dispute_reason, vocab.DISPUTE_REASONS),
            pl.Series("written_off", gone),
            fixed("pd_at_issue", sigmoid(invoices.risk), PD_DECIMALS),
        ]
    )


def signals_truth(signals: Signals, keys: Keys) -> pl.DataFrame:
    return pl.DataFrame(
        [
            keys.customer_codes(signals.customer),
            labels("signal", signals.kind, [row[0] for row in vocab.SIGNALS]),
            dates("observed_on", signals.observed),
            pl.Series("true_alarm", signals.true_alarm),
            labels("signal_zh", signals.kind, [row[1] for row in vocab.SIGNALS]),
            pl.Series("lead_days", np.ma.masked_array(signals.lead, mask=signals.lead < 0)),
        ]
    )


def financials_truth(
    financials: Financials, customers: Customers, world: World, keys: Keys
) -> pl.DataFrame:
    return pl.DataFrame(
        [
            keys.customer_codes(financials.customer),
            pl.Series("fiscal_year", financials.year),
            labels("currency", customers.currency[financials.customer], world.currencies),
            *(pl.Series(name, financials.columns[name]) for name in LINES),
        ]
    )


def shocks_truth(risk: Risk, world: World) -> pl.DataFrame:
    first = months(world).first
    return pl.DataFrame(
        {
            "scope": [shock.scope for shock in risk.shocks],
            "name": [shock.name for shock in risk.shocks],
            "starts_on": dates("starts_on", ints([first[shock.month] for shock in risk.shocks])),
        },
        schema_overrides={"scope": pl.String, "name": pl.String},
    ).with_columns(
        fixed("logit_shift", np.asarray([shock.shift for shock in risk.shocks]), SHIFT_DECIMALS)
    )
