"""What the rating use cases share: who may decide, the business date, the profile row."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from creditguard.clock import Clock, business_today
from creditguard.core.permissions import Actor, require
from creditguard.identity import service as identity
from creditguard.models import CreditProfile
from creditguard.rating import repository as repo


def require_manager(actor: Actor, operation: str) -> None:
    """Editing the scorecard and overriding a grade are credit decisions (DOMAIN.md: the credit
    manager sets policy and rates customers): ``rating:policy`` and ``rating:override``."""
    require(actor, operation)


def today(session: Session, actor: Actor, clock: Clock) -> date:
    """The business date in the company's time zone."""
    return business_today(clock, identity.require_company(session, actor.company_id).timezone)


def profile_of(session: Session, actor: Actor, customer_id: int, clock: Clock) -> CreditProfile:
    row = repo.profile(session, actor.company_id, customer_id)
    if row is None:
        row = CreditProfile(
            company_id=actor.company_id,
            customer_id=customer_id,
            updated_at=clock.now(),
            updated_by=actor.principal,
        )
        session.add(row)
    return row


def require_writer(actor: Actor) -> None:
    require(actor, "rating:rate")
