"""The import files as polars frames: customers, invoices, payments, credit notes, orders.

Each frame has exactly the columns of its import kind (``FORMATS[kind]``), in order, with blank
cells where a column does not apply. Payments that a customer makes on the same day are one
payment (one ``payment_ref``) split over the invoices it settles, one row per invoice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from creditguard.synth import names, vocab
from creditguard.synth.arrays import Ints, ints, pick, sort_order, yyyymmdd
from creditguard.synth.customers import REGIONS, Customers
from creditguard.synth.formatting import amounts, conform, dates, labels, text, width, yearly
from creditguard.synth.invoices import Invoices
from creditguard.synth.orders import Orders
from creditguard.synth.params import World
from creditguard.synth.payments import Receipts
from creditguard.synth.risk import Risk

COUNTRIES = ("CN", *(row[0] for row in vocab.EXPORT_COUNTRIES))
TERM_CODES = tuple(row[0] for row in vocab.TERMS)
DESCRIPTIONS = tuple(
    line for row in vocab.INDUSTRIES for line in (f"{row[2]}一批", f"{row[3]}, one lot")
)
TRANSFER = vocab.PAYMENT_METHODS.index("bank_transfer")
REFERENCE_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Keys:
    """What several frames share: customer codes, invoice and order references."""

    codes: pl.Series  # customer codes, in customer order
    invoice_refs: pl.Series  # external_ref of each invoice, in invoice order
    order_refs: pl.Series  # order_ref of each order, in order order
    currencies: tuple[str, ...]

    def customer_codes(self, customer: Ints, name: str = "customer_code") -> pl.Series:
        """The code of each customer index (-1: blank)."""
        return _gather(self.codes, customer, name)

    def order_ref(self, order: Ints) -> pl.Series:
        """The reference of each order index (-1: blank)."""
        return _gather(self.order_refs, order, "order_ref")


def _gather(values: pl.Series, index: Ints, name: str) -> pl.Series:
    masked = np.ma.masked_array(np.maximum(index, 0), mask=index < 0)
    return values.gather(pl.Series(masked, dtype=pl.Int64)).alias(name)


def customer_codes(count: int) -> pl.Series:
    return text("code", ["C", (np.arange(1, count + 1, dtype=np.int64), width(count))])


def customers_frame(
    rng: np.random.Generator, customers: Customers, risk: Risk, keys: Keys
) -> pl.DataFrame:
    contact_name, email, phone = names.contacts(rng, customers, keys.codes)
    return conform(
        "customers",
        [
            keys.codes,
            names.company_names(rng, customers),
            keys.customer_codes(customers.parent, "parent_code"),
            labels("industry", customers.industry, [row[1] for row in vocab.INDUSTRIES]),
            labels("region", customers.region, REGIONS),
            labels("country", customers.country + 1, COUNTRIES),
            labels("currency", customers.currency, keys.currencies),
            labels("payment_terms", risk.terms, TERM_CODES),
            names.salespeople(customers),
            names.tax_ids(rng, customers),
            contact_name,
            email,
            phone,
        ],
    )


def invoices_frame(
    invoices: Invoices, customers: Customers, orders: Orders, keys: Keys
) -> pl.DataFrame:
    currency = customers.currency[invoices.customer]
    customer = invoices.customer
    description = customers.industry[customer] * 2 + customers.export[customer]
    return conform(
        "invoices",
        [
            keys.invoice_refs,
            keys.customer_codes(customer),
            dates("issued_on", invoices.issued),
            labels("currency", currency, keys.currencies),
            amounts("amount", invoices.amount, currency, keys.currencies),
            labels("payment_terms", invoices.terms, TERM_CODES),
            keys.order_ref(orders.number),
            labels("description", ints(description), DESCRIPTIONS),
        ],
    )


def orders_frame(orders: Orders, customers: Customers, keys: Keys) -> pl.DataFrame:
    currency = customers.currency[orders.customer]
    return conform(
        "orders",
        [
            keys.order_refs,
            keys.customer_codes(orders.customer),
            dates("ordered_on", orders.ordered),
            labels("currency", currency, keys.currencies),
            amounts("amount", orders.amount, currency, keys.currencies),
            labels("status", orders.status, vocab.ORDER_STATUSES),
            amounts(
                "shipped_amount",
                orders.shipped,
                currency,
                keys.currencies,
                blank=orders.shipped == 0,
            ),
            dates("expected_ship_on", orders.ship_on),
        ],
    )


@dataclass(frozen=True, slots=True)
class _PaymentRows:
    """Payment rows sorted by day, customer and invoice; one row per payment and invoice."""

    day: Ints
    customer: Ints
    invoice: Ints
    amount: Ints
    group: Ints  # the payment (index into ``first``) each row belongs to
    first: Ints  # the first row of each payment


def _payment_rows(payments: Receipts, invoices: Invoices) -> _PaymentRows:
    """Rows of one customer on one day form one payment; parts for one invoice are merged."""
    customer = invoices.customer[payments.invoice]
    order = sort_order(payments.date, customer, payments.invoice)
    day, customer, invoice = payments.date[order], customer[order], payments.invoice[order]
    new_payment = np.ones(len(day), dtype=bool)
    new_payment[1:] = (day[1:] != day[:-1]) | (customer[1:] != customer[:-1])
    new_row = new_payment.copy()
    new_row[1:] |= invoice[1:] != invoice[:-1]
    rows = np.flatnonzero(new_row)
    amount = np.add.reduceat(payments.amount[order], rows) if len(rows) else rows
    new_payment = new_payment[rows]
    return _PaymentRows(
        day=day[rows],
        customer=customer[rows],
        invoice=invoice[rows],
        amount=ints(amount),
        group=ints(np.cumsum(new_payment) - 1),
        first=ints(np.flatnonzero(new_payment)),
    )


def payments_frame(
    rng: np.random.Generator,
    payments: Receipts,
    invoices: Invoices,
    customers: Customers,
    keys: Keys,
) -> pl.DataFrame:
    """One row per invoice paid; a customer's payments of one day share one payment_ref."""
    paid = _payment_rows(payments, invoices)
    first, group = paid.first, paid.group
    method = pick(rng, vocab.PAYMENT_METHOD_WEIGHTS, len(first))
    method = np.where(customers.export[paid.customer[first]], TRANSFER, method)
    currency = customers.currency[paid.customer]
    return conform(
        "payments",
        [
            yearly("payment_ref", "RCPT-", paid.day[first]).gather(group),
            keys.customer_codes(paid.customer),
            dates("received_on", paid.day),
            labels("currency", currency, keys.currencies),
            amounts("amount", paid.amount, currency, keys.currencies),
            keys.invoice_refs.gather(paid.invoice).alias("invoice_ref"),
            labels("method", method, vocab.PAYMENT_METHODS).gather(group),
            _bank_references(rng, paid.day[first], method).gather(group),
        ],
    )


def _bank_references(rng: np.random.Generator, day: Ints, method: Ints) -> pl.Series:
    """Bank statement references of the transfers: value date and a serial, 20261120-088812."""
    serial = rng.integers(0, 10**REFERENCE_DIGITS, len(day))
    reference = text("bank_reference", [(yyyymmdd(day), 8), "-", (serial, REFERENCE_DIGITS)])
    frame = pl.DataFrame({"reference": reference, "transfer": method == TRANSFER})
    return frame.select(pl.when("transfer").then("reference").alias("bank_reference")).to_series()


def credit_notes_frame(
    notes: Receipts, invoices: Invoices, customers: Customers, keys: Keys
) -> pl.DataFrame:
    customer = invoices.customer[notes.invoice]
    order = sort_order(notes.date, customer, notes.invoice)
    day, customer = notes.date[order], customer[order]
    currency = customers.currency[customer]
    return conform(
        "credit-notes",
        [
            yearly("external_ref", "CN-", day),
            keys.customer_codes(customer),
            dates("issued_on", day),
            labels("currency", currency, keys.currencies),
            amounts("amount", notes.amount[order], currency, keys.currencies),
            labels("reason", notes.reason[order], vocab.CREDIT_REASONS),
            keys.invoice_refs.gather(notes.invoice[order]).alias("invoice_ref"),
        ],
    )


def make_keys(customers: Customers, invoices: Invoices, orders: Orders, world: World) -> Keys:
    numbers = np.arange(1, orders.count + 1, dtype=np.int64)
    return Keys(
        codes=customer_codes(customers.count),
        invoice_refs=yearly("external_ref", "INV-", invoices.issued),
        order_refs=text("order_ref", ["SO-", (numbers, width(orders.count, 7))]),
        currencies=world.currencies,
    )
