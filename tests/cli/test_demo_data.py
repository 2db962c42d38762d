"""The demo's sample portfolio: reproducible, and every entry one the ledger will accept."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from creditguard.cli.demo_data import Portfolio, generate
from creditguard.core.money import Money

TODAY = date(2026, 11, 22)


def portfolio(seed: int = 7) -> Portfolio:
    return generate(seed=seed, customers=120, invoices=1500, today=TODAY)


def test_the_same_seed_gives_the_same_portfolio() -> None:
    assert portfolio(7) == portfolio(7)
    assert portfolio(7).invoices != portfolio(8).invoices


def test_the_counts_asked_for() -> None:
    sample = portfolio()

    assert len(sample.customers) == 120
    assert len(sample.invoices) == 1500
    assert len({c.code for c in sample.customers}) == 120
    assert len({i.external_ref for i in sample.invoices}) == 1500


def test_groups_come_before_their_subsidiaries_and_exporters_bill_abroad() -> None:
    sample = portfolio()
    position = {c.code: n for n, c in enumerate(sample.customers)}

    children = [c for c in sample.customers if c.parent_code is not None]
    assert children
    assert all(position[c.parent_code] < position[c.code] for c in children if c.parent_code)
    exporters = [c for c in sample.customers if c.country != "CN"]
    assert exporters
    assert {c.currency for c in exporters} <= {"USD", "EUR"}
    domestic = [c for c in sample.customers if c.country == "CN"]
    assert all(c.currency == "CNY" and c.name.endswith("有限公司") for c in domestic)


def test_invoices_cover_the_two_years_before_today() -> None:
    issued = [i.issued_on for i in portfolio().invoices]

    assert issued == sorted(issued)
    assert min(issued) >= TODAY - timedelta(days=730)
    assert max(issued) < TODAY


def test_nothing_settles_more_than_an_invoice_holds() -> None:
    sample = portfolio()
    invoices = {i.external_ref: i for i in sample.invoices}
    settled: defaultdict[str, int] = defaultdict(int)

    for payment in sample.payments:
        assert payment.allocations is not None
        (allocation,) = payment.allocations
        invoice = invoices[allocation.invoice_ref]
        assert allocation.amount == payment.amount
        assert (payment.customer_ref, payment.currency) == (invoice.customer_ref, invoice.currency)
        assert invoice.issued_on <= payment.received_on <= TODAY
        settled[invoice.external_ref] += Money.parse(payment.amount, payment.currency).minor
    for note in sample.credit_notes:
        assert note.invoice_ref is not None
        invoice = invoices[note.invoice_ref]
        assert invoice.issued_on <= note.issued_on <= TODAY
        settled[invoice.external_ref] += Money.parse(note.amount, note.currency).minor
    for ref, minor in settled.items():
        invoice = invoices[ref]
        assert 0 < minor <= Money.parse(invoice.amount, invoice.currency).minor


def test_write_offs_and_disputes_touch_distinct_open_invoices() -> None:
    sample = portfolio()

    written_off = Counter(w.invoice_ref for w in sample.write_offs)
    disputed = Counter(d.invoice_ref for d in sample.disputes)
    assert sample.write_offs
    assert sample.disputes
    assert set(written_off.values()) == {1}
    assert set(disputed.values()) == {1}
    assert not set(written_off) & set(disputed)
    assert all(w.written_off_on <= TODAY for w in sample.write_offs)
