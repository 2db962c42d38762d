"""``generate``: the whole synthetic portfolio, import files and ground truth, from one seed.

The simulation runs on numpy arrays (one ``np.random.default_rng(seed)``, drawn in a fixed
order), then the arrays become polars frames in the exact import formats. The same seed, sizes,
as_of, currencies and parameters always give the same frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

import numpy as np
import polars as pl

from creditguard.synth import tables, truth
from creditguard.synth.arrays import Ints
from creditguard.synth.customers import Customers, make_customers
from creditguard.synth.financials import Financials, make_financials
from creditguard.synth.invoices import Invoices, make_invoices
from creditguard.synth.orders import Orders, make_orders
from creditguard.synth.params import SynthParams, World, check_inputs, make_world
from creditguard.synth.payments import Settlement, settle
from creditguard.synth.risk import Risk, make_risk
from creditguard.synth.signals import Signals, make_signals

# Import kind -> file name, in the order an importer loads them.
IMPORT_FILES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "customers": "customers.csv",
        "orders": "orders.csv",
        "invoices": "invoices.csv",
        "credit-notes": "credit_notes.csv",
        "payments": "payments.csv",
    }
)
TRUTH_DIR: Final = "truth"
# The column whose sum per currency is each file's control total ("amount" when not listed).
TOTALLED: Final[Mapping[str, str]] = MappingProxyType({f"{TRUTH_DIR}/invoices.csv": "open_amount"})


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The frames of every file (import formats and ground truth) and their control totals."""

    seed: int
    as_of: date
    currencies: tuple[str, ...]  # the first is the main currency
    customers: pl.DataFrame
    invoices: pl.DataFrame
    payments: pl.DataFrame
    credit_notes: pl.DataFrame
    orders: pl.DataFrame
    truth_customers: pl.DataFrame
    truth_invoices: pl.DataFrame
    truth_signals: pl.DataFrame
    truth_financials: pl.DataFrame
    truth_shocks: pl.DataFrame
    totals: Mapping[str, Mapping[str, int]]  # file -> currency -> amount in minor units

    def imports(self) -> dict[str, pl.DataFrame]:
        """Import kind -> frame (the columns of ``FORMATS[kind]``), in loading order."""
        frames = {
            "customers": self.customers,
            "orders": self.orders,
            "invoices": self.invoices,
            "credit-notes": self.credit_notes,
            "payments": self.payments,
        }
        return {kind: frames[kind] for kind in IMPORT_FILES}

    def files(self) -> dict[str, pl.DataFrame]:
        """Relative path -> frame, for every file ``write`` produces (but the manifest)."""
        paths = {IMPORT_FILES[kind]: frame for kind, frame in self.imports().items()}
        return paths | {
            f"{TRUTH_DIR}/customers.csv": self.truth_customers,
            f"{TRUTH_DIR}/invoices.csv": self.truth_invoices,
            f"{TRUTH_DIR}/signals.csv": self.truth_signals,
            f"{TRUTH_DIR}/financials.csv": self.truth_financials,
            f"{TRUTH_DIR}/shocks.csv": self.truth_shocks,
        }


@dataclass(frozen=True, slots=True)
class _Model:
    """The simulated portfolio as arrays, before it becomes frames."""

    customers: Customers
    risk: Risk
    invoices: Invoices
    settlement: Settlement
    orders: Orders
    signals: Signals
    financials: Financials


def generate(
    *,
    customers: int,
    invoices: int,
    seed: int,
    as_of: date,
    currencies: Sequence[str] | None = None,
    params: SynthParams | None = None,
) -> Portfolio:
    """The synthetic portfolio of ``customers`` buyers and ``invoices`` invoices up to ``as_of``.

    ``currencies`` (default CNY, USD, EUR) lists the currencies to use, the first being the
    main one (domestic customers); export buyers are invoiced in the others. Raises
    :class:`~creditguard.core.errors.InvalidInput` for fewer than one customer, fewer invoices
    than customers, or an unknown currency.
    """
    codes = check_inputs(customers=customers, invoices=invoices, currencies=currencies)
    world = make_world(as_of, codes, params or SynthParams())
    rng = np.random.default_rng(seed)
    model = _simulate(rng, customers, invoices, world)
    return _tabulate(rng, model, world, seed=seed, as_of=as_of)


def _simulate(rng: np.random.Generator, customers: int, invoices: int, world: World) -> _Model:
    people = make_customers(rng, customers, world)
    risk = make_risk(rng, people, world)
    drawn = make_invoices(rng, people, risk, invoices, world)
    settlement = settle(rng, drawn, people, risk, world)
    return _Model(
        customers=people,
        risk=risk,
        invoices=drawn,
        settlement=settlement,
        orders=make_orders(rng, drawn, people, risk, world),
        signals=make_signals(rng, risk, world),
        financials=make_financials(rng, people, risk, world),
    )


def _tabulate(
    rng: np.random.Generator, model: _Model, world: World, *, seed: int, as_of: date
) -> Portfolio:
    people, invoices, settlement = model.customers, model.invoices, model.settlement
    keys = tables.make_keys(people, invoices, model.orders, world)
    return Portfolio(
        seed=seed,
        as_of=as_of,
        currencies=world.currencies,
        customers=tables.customers_frame(rng, people, model.risk, keys),
        invoices=tables.invoices_frame(invoices, people, model.orders, keys),
        payments=tables.payments_frame(rng, settlement.payments, invoices, people, keys),
        credit_notes=tables.credit_notes_frame(settlement.credits, invoices, people, keys),
        orders=tables.orders_frame(model.orders, people, keys),
        truth_customers=truth.customers_truth(people, model.risk, world, keys),
        truth_invoices=truth.invoices_truth(invoices, people, model.risk, settlement, world, keys),
        truth_signals=truth.signals_truth(model.signals, keys),
        truth_financials=truth.financials_truth(model.financials, people, world, keys),
        truth_shocks=truth.shocks_truth(model.risk, world),
        totals=_totals(model, world),
    )


def _totals(model: _Model, world: World) -> dict[str, dict[str, int]]:
    """Control totals per file and currency, from the integer amounts."""
    currency = model.customers.currency
    invoice_currency = currency[model.invoices.customer]
    settlement = model.settlement
    sources: dict[str, tuple[Ints, Ints]] = {
        IMPORT_FILES["invoices"]: (model.invoices.amount, invoice_currency),
        IMPORT_FILES["payments"]: (
            settlement.payments.amount,
            invoice_currency[settlement.payments.invoice],
        ),
        IMPORT_FILES["credit-notes"]: (
            settlement.credits.amount,
            invoice_currency[settlement.credits.invoice],
        ),
        IMPORT_FILES["orders"]: (model.orders.amount, currency[model.orders.customer]),
        f"{TRUTH_DIR}/invoices.csv": (settlement.open, invoice_currency),
    }
    return {
        name: {
            code: int(amount[index == k].sum())  # exact: integer minor units
            for k, code in enumerate(world.currencies)
            if (index == k).any()
        }
        for name, (amount, index) in sources.items()
    }
