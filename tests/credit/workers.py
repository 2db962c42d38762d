"""Process bodies for the credit concurrency test (imported by spawned processes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditguard.core.permissions import Actor
from creditguard.credit import repository, service
from creditguard.credit.schemas import CheckIn
from creditguard.credit.service import checks
from creditguard.db import Database
from creditguard.models import Customer
from tests import builders as b

AMOUNT = "7.00"
WAIT_SECONDS = 60


def reserve_with_service(url: str, worker: int, tries: int, barrier: Any) -> int:
    """Run ``tries`` reserving checks of 7.00 for C1 through the service; count the approved."""
    db = Database(url)
    actor = Actor(1, f"worker:{worker}", "erp_client")
    approved = 0
    barrier.wait(timeout=60)
    for n in range(tries):
        data = CheckIn(
            customer_ref="C1",
            amount=AMOUNT,
            currency="CNY",
            order_ref=f"SO-{worker}-{n}",
            reserve=True,
        )
        with db.write() as session:
            out = service.run_check(session, actor, data, b.clock())
        approved += out.decision == "approved"
    db.dispose()
    return approved


def reserve_naively(url: str, worker: int, tries: int, barrier: Any) -> int:
    """The broken variant: the same service without the row lock (read exposure, then insert).

    The race is made certain rather than left to the scheduler (a loaded machine ran the 16
    processes nearly one at a time, and they did not over-commit): every process reads the
    exposure once all have finished their previous check, and writes once all have read. Each
    round the 16 read the same exposure, so the round that starts at 89,600 of 100,000 approves
    all 16: 144 approved, 100,800 reserved.
    """

    def load_unlocked(session: Session, company_id: int, code: str) -> repository.Locked:
        barrier.wait(timeout=WAIT_SECONDS)  # every earlier check committed
        row = session.execute(
            repository._customer_and_company().where(
                Customer.company_id == company_id, Customer.code == code
            )
        ).one()
        return repository.Locked(*row)

    repository.lock_customer = load_unlocked
    repository.lock_customers = lambda *_args, **_kwargs: None
    decide = checks.decide

    def decide_together(*args: Any, **kwargs: Any) -> Any:
        decision = decide(*args, **kwargs)
        barrier.wait(timeout=WAIT_SECONDS)  # every process has read this round's exposure
        return decision

    checks.decide = decide_together
    return reserve_with_service(url, worker, tries, barrier)


UNIT = 5  # checks per unit of work in the units' variants


def reserve_in_units(url: str, worker: int, tries: int, barrier: Any) -> int:
    """``tries`` reserving checks of 7.00 for C1 in units of ``UNIT`` (``service.run_checks``),
    each left unanswered then checked alone, as the API's fast path does; count the approved."""
    return _in_units(url, worker, tries, barrier, UNIT)


def _in_units(url: str, worker: int, tries: int, barrier: Any, unit: int) -> int:
    db = Database(url)
    actor = Actor(1, f"worker:{worker}", "erp_client")
    approved = 0
    barrier.wait(timeout=60)
    for start in range(0, tries, unit):
        asked = [
            service.Asked(
                actor,
                CheckIn(
                    customer_ref="C1",
                    amount=AMOUNT,
                    currency="CNY",
                    order_ref=f"SO-{worker}-{n}",
                    reserve=True,
                ),
            )
            for n in range(start, min(start + unit, tries))
        ]
        with db.write() as session:
            answers = service.run_checks(session, asked, b.clock())
        for one, out in zip(asked, answers, strict=True):
            if out is None:
                with db.write() as session:
                    out = service.run_check(session, actor, one.data, b.clock())
            approved += out.decision == "approved"
    db.dispose()
    return approved


def reserve_in_units_naively(url: str, worker: int, tries: int, barrier: Any) -> int:
    """The broken variant of the units: customers read without the row lock, in units of one
    check (a unit decides one check of a customer; the rest go alone, locked).

    Made certain as in :func:`reserve_naively`: every process reads the customer once all
    have committed their previous unit, and decides once all have read. Each round the 16 read
    the same exposure: 144 approved, 100,800 reserved."""

    def read_unlocked(
        session: Session, company_id: int, asked: Any, as_of: Any, *, draw: int = 0
    ) -> repository.Unit:
        barrier.wait(timeout=WAIT_SECONDS)
        codes = [code for code, _ in asked]
        rows = session.execute(
            repository._customer_and_company()
            .add_columns(Customer.code)
            .where(Customer.company_id == company_id, Customer.code.in_(codes))
        ).all()
        locked = {row[-1]: repository.Locked(*row[:-1]) for row in rows}
        return repository.Unit(locked, set(), None)  # facts and exposure read after this

    repository.lock_unit = read_unlocked
    decide = checks.decide

    def decide_together(*args: Any, **kwargs: Any) -> Any:
        decision = decide(*args, **kwargs)
        barrier.wait(timeout=WAIT_SECONDS)
        return decision

    checks.decide = decide_together
    return _in_units(url, worker, tries, barrier, 1)
