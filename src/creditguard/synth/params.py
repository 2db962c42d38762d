"""The knobs of the simulation, and the fixed facts of one run (dates, currencies).

The main rates and shares are defaults a caller may change (``SynthParams(export_share=0.2)``),
never constants buried in the code. Dates inside the generator are numpy day numbers (days since
1970-01-01, the integer behind ``datetime64[D]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from creditguard.core.errors import InvalidInput, Problem
from creditguard.core.money import CURRENCY_EXPONENTS

DEFAULT_CURRENCIES = ("CNY", "USD", "EUR")
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class SynthParams:
    """Shares, rates and scales of the synthetic portfolio (see DATA.md)."""

    history_days: int = 730  # invoices cover the two years before as_of
    # customers
    group_share: float = 0.02  # parent groups (集团) among the customers
    subsidiary_share: float = 0.2  # domestic customers belonging to an earlier group
    export_share: float = 0.08  # foreign buyers, invoiced in their own currency
    batch_payer_share: float = 0.3  # pay on a monthly payment run (several invoices at once)
    payment_run_day: int = 25  # day of the month (1-28)
    # latent risk: annual default log-odds per customer, drifting month by month
    base_logit: float = -4.3
    base_sigma: float = 0.9
    drift_sigma: float = 0.35  # per year
    walk_sigma: float = 0.12  # per month
    macro_sigma: float = 0.05  # per month, per industry and per region
    industry_shocks: int = 2
    region_shocks: int = 1
    shock_logit: tuple[float, float] = (0.5, 1.0)
    distress_months: int = 6  # behaviour worsens over the months before a default
    distress_logit: tuple[float, float] = (1.0, 2.5)
    bankruptcy_share: float = 0.35  # of the defaults
    # volumes and amounts
    activity_sigma: float = 1.0
    invoice_median_yuan: float = 30_000.0
    size_sigma: float = 1.0
    invoice_sigma: float = 0.6
    volume_sensitivity: float = 0.3  # fewer orders as risk rises
    terms_change_share: float = 0.1  # invoices on other terms than the customer's own
    order_share: float = 0.88  # invoices that come from a sales order
    open_order_share: float = 0.05  # confirmed or shipped, not invoiced yet (of the invoices)
    cancelled_order_share: float = 0.02
    # what becomes of an invoice
    return_share: float = 0.015
    dispute_base: float = 0.01
    dispute_risk: float = 0.06
    partial_base: float = 0.02
    partial_risk: float = 0.25
    remainder_paid: float = 0.65  # a partly paid invoice is paid in full later
    late_scale_days: float = 25.0
    discount_take: float = 0.8  # safe buyers on 2/10 net 30 who take the discount
    dispute_credit: float = 0.55  # disputes settled by a credit note (else paid)
    write_off_after_days: int = 180
    # external signals
    signal_share: float = 0.75  # defaults preceded by at least one signal
    extra_signals: float = 1.0  # mean number of further signals before a default
    alarm_window_days: int = 365  # a signal this close before a default is a true alarm
    noise_signals_per_year: float = 0.06
    financial_years: int = 3


@dataclass(frozen=True, slots=True)
class World:
    """The fixed facts of one run: dates as day numbers, currencies (first = main), params."""

    as_of: int
    start: int  # first day of the history
    month0: int  # months since 1970-01 of the start's month
    months: int  # months from the start's month to the as_of's month, both included
    currencies: tuple[str, ...]
    params: SynthParams = field(default_factory=SynthParams)


def day_number(day: date) -> int:
    return (day - EPOCH).days


def month_number(day: int) -> int:
    return int(np.datetime64(day, "D").astype("datetime64[M]").astype(np.int64))


def make_world(as_of: date, currencies: Sequence[str] | None, params: SynthParams) -> World:
    end = day_number(as_of)
    start = end - params.history_days + 1
    month0 = month_number(start)
    return World(
        as_of=end,
        start=start,
        month0=month0,
        months=month_number(end) - month0 + 1,
        currencies=checked_currencies(currencies),
        params=params,
    )


def checked_currencies(currencies: Sequence[str] | None) -> tuple[str, ...]:
    """Upper-cased, without repeats, in the given order; unknown codes refused all at once."""
    if currencies is None:
        return DEFAULT_CURRENCIES
    codes = tuple(dict.fromkeys(code.strip().upper() for code in currencies if code.strip()))
    problems = [
        Problem("currencies", code, "unknown_currency")
        for code in codes
        if code not in CURRENCY_EXPONENTS
    ]
    if not codes:
        problems.append(Problem("currencies", ",".join(currencies), "required"))
    if problems:
        raise InvalidInput(problems)
    return codes


def check_inputs(
    *, customers: int, invoices: int, currencies: Sequence[str] | None = None
) -> tuple[str, ...]:
    """Refuse sizes or currencies ``generate`` cannot use (every problem at once).

    Returns the currencies as ``generate`` will use them (upper-cased, first = main).
    """
    problems = _count_problems(customers, invoices)
    try:
        codes = checked_currencies(currencies)
    except InvalidInput as error:
        problems += error.problems
        codes = ()
    if problems:
        raise InvalidInput(problems)
    return codes


def _count_problems(customers: int, invoices: int) -> list[Problem]:
    """At least one customer, and at least as many invoices as customers."""
    problems: list[Problem] = []
    if customers <= 0:
        problems.append(Problem("customers", customers, "not_positive"))
    if invoices < max(customers, 1):
        problems.append(
            Problem(
                "invoices",
                invoices,
                "invalid",
                {
                    "reason": f"must be at least the number of customers ({customers})",
                    "reason_zh": f"不能少于客户数（{customers}）",
                },
            )
        )
    return problems
