"""The small ledger of the review tests, written as a credit controller would.

UP (grade A, clean, sales +50 %) at 4,500,000 is raised to A's 5,000,000 at once (+11 %);
ASK (grade B, clean, sales +50 %) at 1,000,000 would go to B's 2,000,000 (+100 %): sent for
approval; CUT (grade A, paid 45 days late) is cut by 25 %; SAME (grade A, no sales) stays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from creditguard.clock import FixedClock
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.limits import service
from creditguard.limits.schemas import DecisionIn, LimitRequestIn
from creditguard.rating import service as rating
from creditguard.rating.schemas import OverrideIn
from tests import builders as b

AS_OF = date(2026, 11, 22)


def grade(db: Database, actor: Actor, customer_id: int, rated: str) -> None:
    with db.write() as session:
        rating.rate_customer(session, actor, customer_id, b.clock(), as_of=AS_OF)
        rating.override(
            session, actor, customer_id, OverrideIn(grade=rated, reason="test"), b.clock()
        )


def opening_limit(db: Database, owner: Actor, code: str, amount: str) -> None:
    """An opening limit, decided in September (long enough ago for the review to look)."""
    sales = Actor(owner.company_id, "user:7", "sales")
    data = LimitRequestIn(customer_ref=code, amount=amount, currency="CNY", reason="opening")
    september = FixedClock(datetime(2026, 9, 1, 2, 0, tzinfo=UTC))
    with db.write() as session:
        made = service.create(session, sales, data, september)
        service.approve(session, owner, made.id, DecisionIn(note=None), september)


def growing(db: Database, owner: Actor, code: str) -> None:
    """100,000 in January, 150,000 in July: both paid before they fell due."""
    b.invoice(
        db, owner, ref=f"{code}-1", customer=code, amount="100000", issued_on=date(2026, 1, 10)
    )
    b.payment(db, owner, ref=f"{code}-P1", customer=code, amount="100000",
              received_on=date(2026, 2, 1), to={f"{code}-1": "100000"})  # fmt: skip
    b.invoice(
        db, owner, ref=f"{code}-2", customer=code, amount="150000", issued_on=date(2026, 7, 1)
    )
    b.payment(db, owner, ref=f"{code}-P2", customer=code, amount="150000",
              received_on=date(2026, 7, 20), to={f"{code}-2": "150000"})  # fmt: skip


def ledger(db: Database, *, asking: bool = True) -> Actor:
    """The four customers (without ASK when not ``asking``: no request is filed)."""
    owner = b.company(db)
    for code, rated, amount in (
        ("UP", "A", "4500000"),
        ("ASK", "B", "1000000"),
        ("CUT", "A", "1000000"),
        ("SAME", "A", "1000000"),
    ):
        if code == "ASK" and not asking:
            continue
        customer_id = b.customer(db, owner, code=code)
        grade(db, owner, customer_id, rated)
        opening_limit(db, owner, code, amount)
    growing(db, owner, "UP")
    if asking:
        growing(db, owner, "ASK")
    # CUT: due 2026-08-31, paid 2026-10-15, 45 days late
    b.invoice(db, owner, ref="CUT-1", customer="CUT", amount="80000", issued_on=date(2026, 8, 1))
    b.payment(db, owner, ref="CUT-P1", customer="CUT", amount="80000",
              received_on=date(2026, 10, 15), to={"CUT-1": "80000"})  # fmt: skip
    return owner


def limits(db: Database) -> dict[str, tuple[str, int, str]]:
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT c.code, l.amount_minor, l.revision, l.source FROM credit_limits l "
                "JOIN customers c ON c.id = l.customer_id ORDER BY c.code"
            )
        ).all()
    return {
        code: (f"{amount / 100:.2f}", revision, source) for code, amount, revision, source in rows
    }
