"""Payment behaviour: amount-weighted days late, share paid late, windows and trend."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from creditguard.analytics import behaviour
from creditguard.api.app import create_app
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import ReversalIn
from tests import builders as b
from tests.api.test_api import add_user, login


def test_days_late_share_late_windows_and_undone_money(db: Database) -> None:
    actor = b.company(db)
    c1 = b.customer(db, actor, code="C1")
    # net 30: I1 due 2026-03-31 (Tue), I2 due 2026-08-31 (Mon), I3 due 2026-11-30 (Mon).
    b.invoice(db, actor, ref="I1", amount="300.00", issued_on=date(2026, 3, 1))
    b.invoice(db, actor, ref="I2", amount="1000.00", issued_on=date(2026, 8, 1))
    b.invoice(db, actor, ref="I3", amount="500.00", issued_on=date(2026, 10, 31))
    b.payment(
        db, actor, ref="P1", amount="300.00", received_on=date(2026, 4, 30), to={"I1": "300.00"}
    )
    b.payment(
        db, actor, ref="P2", amount="200.00", received_on=date(2026, 9, 15), to={"I2": "200.00"}
    )
    b.payment(
        db, actor, ref="P3", amount="500.00", received_on=date(2026, 11, 10), to={"I3": "500.00"}
    )
    wrong = b.payment(
        db, actor, ref="P4", amount="800.00", received_on=date(2026, 10, 31), to={"I2": "800.00"}
    )
    with db.write() as session:
        ledger.reverse(
            session, actor,
            ReversalIn(target_kind="payment", target_id=wrong, reversed_on=date(2026, 11, 2), reason="退票"),
            b.clock(),
        )  # fmt: skip
    with db.read() as session:
        found = behaviour.payment_behaviour(session, actor, date(2026, 11, 20))[c1]
    # 3 and 6 months: P2 15 days late on 200.00, P3 early on 500.00; the bounced P4 not at all.
    # 12 months adds P1, 30 days late on 300.00: (200 x 15 + 300 x 30) / 1000 = 12.
    assert [w.as_json() for w in found.windows] == [
        {"months": 3, "payments": 2, "average_days_late": "4.29", "share_paid_late": "28.57"},
        {"months": 6, "payments": 2, "average_days_late": "4.29", "share_paid_late": "28.57"},
        {"months": 12, "payments": 3, "average_days_late": "12.00", "share_paid_late": "50.00"},
    ]
    assert str(found.trend_days) == "-7.71"
    add_user(db, actor.company_id, "view@acme.cn", "viewer")
    with TestClient(create_app(db, b.clock())) as client:
        viewer = login(client, "ACME", "view@acme.cn")
        got = client.get(
            f"/api/v1/reports/payment-behaviour/{c1}",
            params={"as_of": "2026-11-20"},
            headers=viewer,
        )
        missing = client.get("/api/v1/reports/payment-behaviour/999999", headers=viewer)
    assert got.json() == found.as_json()
    assert missing.status_code == 404


def test_a_customer_who_never_paid_has_no_figures(db: Database) -> None:
    actor = b.company(db)
    c1 = b.customer(db, actor, code="C1")
    with db.read() as session:
        found = behaviour.payment_behaviour(session, actor, date(2026, 11, 20), [c1])[c1]
    assert [w.as_json()["average_days_late"] for w in found.windows] == [None, None, None]
    assert found.trend_days is None
