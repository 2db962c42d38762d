"""What becomes of each invoice: credit notes, payments (on time, late, in part), disputes.

Every invoice's amount is planned out in pieces that add up to at most the amount: a credit
note (goods returned, the 2/10 cash discount, or a settled dispute) and up to four payments
(the 30% prepayment, the payment of the balance or its first part, the rest of a partial
payment, the disputed part once settled). A piece is kept only if it falls on or before as_of
and before the customer's default; what is not kept stays open. So no receipt ever exceeds what
is still open on its invoice. Risk (the customer's log-odds in the month of issue) drives
lateness, partial payments and disputes; a habitual delay and a monthly payment run are the
customer's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creditguard.synth import vocab
from creditguard.synth.arrays import (
    NEVER,
    Bools,
    Ints,
    ints,
    next_run_day,
    pick,
    sigmoid,
    softplus,
)
from creditguard.synth.customers import Customers
from creditguard.synth.invoices import Invoices
from creditguard.synth.params import World
from creditguard.synth.risk import Risk

TERM_DISCOUNT = np.asarray([row[3] for row in vocab.TERMS])
TERM_PREPAY = np.asarray([row[4] for row in vocab.TERMS])
RETURNED = 0  # index into vocab.CREDIT_REASONS
DISCOUNTED = 1
DISPUTE_SETTLED = 2  # first of the dispute reasons
# Shapes of the simulation (shares of the amount, days); the rates are in SynthParams.
RETURNED_SHARE = (0.05, 0.25)
RETURN_DAYS = (3, 30)
DISPUTED_SHARE = (0.1, 0.6)
DISPUTE_DAYS = (15, 120)  # from the due date to the settlement of a dispute
PARTIAL_SHARE = (0.3, 0.8)  # paid first, of a partly paid balance
REMAINDER_DAYS = (15, 90)  # from the first part to the rest
PREPAYMENT_LAG_DAYS = 3.0  # mean, plus a share of the customer's lateness
PREPAYMENT_LATENESS = 0.3
DELAY_NOISE_DAYS = 2.0
LATENESS_OFFSET = 3.0  # lateness = scale * softplus(log-odds + offset)
DISPUTE_OFFSET = 2.0  # riskier buyers dispute and pay in part more often
DISCOUNT_OFFSET = 3.0  # safer buyers take the cash discount


@dataclass(frozen=True, slots=True)
class Receipts:
    """Payment rows or credit notes, each on one invoice."""

    invoice: Ints
    date: Ints
    amount: Ints
    reason: Ints  # credit notes: index into vocab.CREDIT_REASONS; payments: unused

    @property
    def count(self) -> int:
        return len(self.invoice)


@dataclass(frozen=True, slots=True)
class Settlement:
    payments: Receipts
    credits: Receipts
    open: Ints  # open at as_of, minor units
    settled: Ints  # day the invoice was fully settled, NEVER if open
    disputed: Bools
    dispute_reason: Ints  # index into vocab.DISPUTE_REASONS, -1 when not disputed


@dataclass(slots=True)
class _Piece:
    """One piece of every invoice (zero where an invoice has no such piece)."""

    amount: Ints
    date: Ints

    @classmethod
    def none(cls, count: int) -> _Piece:
        return cls(np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64))


@dataclass(slots=True)
class _Plan:
    """The pieces of every invoice, built up step by step (arrays over all invoices)."""

    credit: _Piece
    reason: Ints
    disputed: Bools
    dispute_reason: Ints
    prepayment: _Piece
    balance: _Piece
    remainder: _Piece
    dispute_paid: _Piece

    @property
    def payments(self) -> list[_Piece]:
        return [self.prepayment, self.balance, self.remainder, self.dispute_paid]


def settle(
    rng: np.random.Generator,
    invoices: Invoices,
    customers: Customers,
    risk: Risk,
    world: World,
) -> Settlement:
    delay = _delays(rng, invoices, customers, world)
    plan = _credits(rng, invoices, world)
    balance = _dispute(rng, plan, invoices, delay, invoices.amount - plan.credit.amount, world)
    _balance(rng, plan, invoices, delay, balance, world)
    _payment_runs(plan, invoices, customers, world)
    return _kept(plan, invoices, risk, world)


def _delays(
    rng: np.random.Generator, invoices: Invoices, customers: Customers, world: World
) -> Ints:
    """Days from due date to payment: the customer's habit, plus lateness growing with risk."""
    count = invoices.count
    lateness = softplus(invoices.risk + LATENESS_OFFSET) * world.params.late_scale_days
    days = (
        customers.habit[invoices.customer]
        + lateness * rng.exponential(1.0, count)
        + rng.normal(0.0, DELAY_NOISE_DAYS, count)
    )
    return ints(np.rint(days))


def _credits(rng: np.random.Generator, invoices: Invoices, world: World) -> _Plan:
    """Returns, disputes and cash discounts (one credit note at most per invoice)."""
    params = world.params
    count, amount, issued = invoices.count, invoices.amount, invoices.issued
    draw = rng.random(count)  # one draw: disputed, returned or neither
    risk = sigmoid(invoices.risk + DISPUTE_OFFSET)
    disputed = draw < params.dispute_base + params.dispute_risk * risk
    ceiling = params.dispute_base + params.dispute_risk  # above any dispute probability
    returned = (draw >= ceiling) & (draw < ceiling + params.return_share)
    takes = params.discount_take * (1.0 - sigmoid(invoices.risk + DISCOUNT_OFFSET))
    discount = (amount * vocab.DISCOUNT_PERCENT + 50) // 100  # rounded half up
    discounted = TERM_DISCOUNT[invoices.terms] & ~disputed & ~returned & (discount > 0)
    discounted &= rng.random(count) < takes
    share = rng.uniform(*RETURNED_SHARE, count)
    credit = np.where(returned, np.maximum(np.rint(amount * share), 1).astype(np.int64), 0)
    credit = np.where(discounted, discount, credit)
    on = issued + np.where(
        discounted,
        rng.integers(1, vocab.DISCOUNT_DAYS + 1, count),
        rng.integers(RETURN_DAYS[0], RETURN_DAYS[1] + 1, count),
    )
    return _Plan(
        credit=_Piece(ints(credit), ints(on)),
        reason=np.where(discounted, DISCOUNTED, RETURNED).astype(np.int64),
        disputed=disputed,
        dispute_reason=np.where(
            disputed, pick(rng, vocab.DISPUTE_REASON_WEIGHTS, count), -1
        ).astype(np.int64),
        prepayment=_Piece.none(count),
        balance=_Piece.none(count),
        remainder=_Piece.none(count),
        dispute_paid=_Piece.none(count),
    )


def _dispute(
    rng: np.random.Generator,
    plan: _Plan,
    invoices: Invoices,
    delay: Ints,
    balance: Ints,
    world: World,
) -> Ints:
    """A disputed part, settled weeks after the due date by a credit note or a payment."""
    count = invoices.count
    share = rng.uniform(*DISPUTED_SHARE, count)
    part = np.where(plan.disputed, np.clip(np.rint(balance * share), 1, balance), 0)
    part = part.astype(np.int64)
    resolved = invoices.due + rng.integers(DISPUTE_DAYS[0], DISPUTE_DAYS[1] + 1, count)
    by_credit = plan.disputed & (rng.random(count) < world.params.dispute_credit)
    plan.credit.amount = np.where(by_credit, part, plan.credit.amount)
    plan.credit.date = np.where(by_credit, resolved, plan.credit.date)
    plan.reason = np.where(by_credit, DISPUTE_SETTLED + plan.dispute_reason, plan.reason)
    paid = np.where(plan.disputed & ~by_credit, part, 0)
    plan.dispute_paid = _Piece(ints(paid), ints(resolved + np.maximum(delay, 0)))
    return ints(balance - part)


def _balance(
    rng: np.random.Generator,
    plan: _Plan,
    invoices: Invoices,
    delay: Ints,
    balance: Ints,
    world: World,
) -> None:
    """The undisputed balance: a prepayment, then the rest at the due date plus the delay."""
    params = world.params
    count, issued = invoices.count, invoices.issued
    discounted = (plan.reason == DISCOUNTED) & (plan.credit.amount > 0)
    prepay = TERM_PREPAY[invoices.terms] & ~discounted
    first = np.where(prepay, balance * vocab.PREPAY_PERCENT // 100, 0)
    lag = rng.exponential(PREPAYMENT_LAG_DAYS, count) + PREPAYMENT_LATENESS * np.maximum(delay, 0)
    plan.prepayment = _Piece(ints(first), ints(issued + np.rint(lag)))
    rest = balance - first
    on = np.where(discounted, plan.credit.date, invoices.due + delay)
    partial = ~discounted & (rest >= 2)
    risk = sigmoid(invoices.risk + DISPUTE_OFFSET)
    partial &= rng.random(count) < params.partial_base + params.partial_risk * risk
    part = np.clip(np.rint(rest * rng.uniform(*PARTIAL_SHARE, count)), 1, np.maximum(rest - 1, 1))
    now = np.where(partial, part.astype(np.int64), rest)
    later = np.where(partial & (rng.random(count) < params.remainder_paid), rest - now, 0)
    plan.balance = _Piece(ints(now), ints(on))
    lag_days = rng.integers(REMAINDER_DAYS[0], REMAINDER_DAYS[1] + 1, count)
    plan.remainder = _Piece(ints(later), ints(on + lag_days))


def _payment_runs(plan: _Plan, invoices: Invoices, customers: Customers, world: World) -> None:
    """Customers on a payment run pay on the run day at or after the planned date."""
    batch = customers.batch[invoices.customer]
    run_day = world.params.payment_run_day
    on_run = batch & (plan.reason != DISCOUNTED)  # the discount is taken within ten days
    for piece in (plan.balance, plan.remainder, plan.dispute_paid):
        piece.date = np.where(on_run, next_run_day(piece.date, run_day), piece.date)


def _kept(plan: _Plan, invoices: Invoices, risk: Risk, world: World) -> Settlement:
    """Keep the pieces dated up to as_of and before the customer's default."""
    limit = np.minimum(risk.default_on[invoices.customer] - 1, world.as_of)
    pieces = [plan.credit, *plan.payments]
    settled = np.full(invoices.count, -1, dtype=np.int64)
    received = np.zeros(invoices.count, dtype=np.int64)
    for piece in pieces:  # five pieces
        piece.date = np.maximum(piece.date, invoices.issued)
        piece.amount = np.where(piece.date <= limit, piece.amount, 0)
        received += piece.amount
        settled = np.where(piece.amount > 0, np.maximum(settled, piece.date), settled)
    open_ = invoices.amount - received
    return Settlement(
        payments=_receipts(plan.payments),
        credits=_receipts([plan.credit], plan.reason),
        open=open_,
        settled=np.where((open_ == 0) & (settled >= 0), settled, NEVER).astype(np.int64),
        disputed=plan.disputed,
        dispute_reason=plan.dispute_reason,
    )


def _receipts(pieces: list[_Piece], reason: Ints | None = None) -> Receipts:
    """The kept (non-zero) pieces as rows, piece after piece."""
    rows = [np.flatnonzero(piece.amount > 0) for piece in pieces]
    invoice = ints(np.concatenate(rows))
    return Receipts(
        invoice=invoice,
        date=ints(np.concatenate([p.date[r] for p, r in zip(pieces, rows, strict=True)])),
        amount=ints(np.concatenate([p.amount[r] for p, r in zip(pieces, rows, strict=True)])),
        reason=np.zeros(len(invoice), dtype=np.int64) if reason is None else reason[invoice],
    )
