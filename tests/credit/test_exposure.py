"""Exposure by stage on a literal ledger, in the base currency (a USD invoice converted)."""

from __future__ import annotations

from datetime import date

from creditguard.clock import FixedClock
from creditguard.core.money import Money
from creditguard.credit import service
from creditguard.credit.schemas import CheckIn
from creditguard.db import Database
from tests import builders as b
from tests.credit import helpers as h

AS_OF = date(2026, 11, 22)


def test_exposure_by_stage_with_a_foreign_currency_invoice(db: Database) -> None:
    actor = b.company(db)
    b.customer(db, actor, code="C1")
    h.rate(db, actor, code="C1", grade="A", as_of=date(2026, 11, 1))
    h.set_limit(db, actor, code="C1", amount="5000.00")
    # past due: USD 100.00 (6.652882... CNY per USD on 2026-10-30, the last ECB rate) and
    # CNY 50.00 of which 20.00 paid
    b.invoice(
        db, actor, ref="INV-USD", amount="100.00", currency="USD", issued_on=date(2026, 10, 1)
    )
    b.invoice(db, actor, ref="INV-OLD", amount="50.00", issued_on=date(2026, 10, 1))
    b.payment(
        db, actor, ref="P-1", amount="20.00", received_on=date(2026, 10, 5), to={"INV-OLD": "20.00"}
    )
    # not due: 400.00 (net 30 from 2026-11-10); due today counts as not due (day 0)
    b.invoice(db, actor, ref="INV-NEW", amount="400.00", issued_on=date(2026, 11, 10))
    # orders: 300.00 of 1,000.00 shipped; USD 10.00 confirmed; cancelled and invoiced: nothing
    h.order(db, actor, ref="O-1", code="C1", amount="1000.00", shipped="300.00", status="shipped")
    h.order(db, actor, ref="O-4", code="C1", amount="10.00", currency="USD")
    h.order(db, actor, ref="O-2", code="C1", amount="500.00", status="cancelled")
    h.order(db, actor, ref="O-3", code="C1", amount="200.00", shipped="200.00", status="invoiced")
    # reserved by a check: 250.00, and a reservation whose order arrived (counted in orders)
    for ref, amount in (("SO-R", "250.00"), ("O-1", "1000.00")):
        with db.write() as session:
            data = CheckIn(
                customer_ref="C1", amount=amount, currency="CNY", order_ref=ref, reserve=True
            )
            assert service.run_check(session, actor, data, b.clock()).decision == "approved"
    with db.read() as session:
        out = service.customer_credit(session, actor, "C1", FixedClock(b.NOW), as_of=AS_OF)
    assert out.exposure.model_dump() == {
        "open_receivables": "695.29",  # 665.29 (USD 100.00) + 30.00
        "invoiced_not_due": "400.00",
        "shipped_not_invoiced": "300.00",
        "confirmed_not_shipped": "766.53",  # 700.00 + 66.53 (USD 10.00)
        "reserved": "250.00",
        "insured": "0.00",
        "total": "2411.82",
    }
    total = Money.parse("695.29", "CNY") + Money.parse("400.00", "CNY")
    total += Money.parse("300.00", "CNY") + Money.parse("766.53", "CNY")
    assert (total + Money.parse("250.00", "CNY")).decimal_string() == "2411.82"
    assert out.available == "2588.18"
