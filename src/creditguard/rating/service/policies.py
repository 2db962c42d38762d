"""The scorecard policy: versions in the database, the defaults saved on first use."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core import rating as scorecard
from creditguard.core.errors import InvalidInput, not_found
from creditguard.core.permissions import Actor
from creditguard.models import ScorecardPolicy
from creditguard.rating import codec
from creditguard.rating import repository as repo
from creditguard.rating.schemas import PolicyIn, PolicyOut
from creditguard.rating.service.common import require_manager


def policy_row(session: Session, actor: Actor, clock: Clock) -> ScorecardPolicy:
    """The company's newest policy; the first use saves DOMAIN.md's defaults as version 1."""
    row = repo.latest_policy(session, actor.company_id)
    if row is None:
        row = ScorecardPolicy(
            company_id=actor.company_id,
            version=1,
            body=codec.policy_body(codec.policy_to_schema(scorecard.DEFAULT_POLICY)),
            note="default (DOMAIN.md)",
            created_at=clock.now(),
            created_by=actor.principal,
        )
        session.add(row)
        session.flush()
    return row


def policy_out(row: ScorecardPolicy) -> PolicyOut:
    data = codec.policy_of_body(row.body, row.note)
    return PolicyOut(
        **data.model_dump(),
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def get_policy(
    session: Session, actor: Actor, clock: Clock, version: int | None = None
) -> PolicyOut:
    if version is None:
        return policy_out(policy_row(session, actor, clock))
    row = repo.policy_version(session, actor.company_id, version)
    if row is None:
        raise not_found("scorecard policy", version, "version")
    return policy_out(row)


def put_policy(session: Session, actor: Actor, data: PolicyIn, clock: Clock) -> PolicyOut:
    """Validate ``data`` and save it as the next version; ratings keep the version they used."""
    require_manager(actor, "rating:policy")
    problems = scorecard.validate_policy(codec.policy_from_schema(data))
    if problems:
        raise InvalidInput(problems)
    latest = policy_row(session, actor, clock)
    row = ScorecardPolicy(
        company_id=actor.company_id,
        version=latest.version + 1,
        body=codec.policy_body(data),
        note=data.note,
        created_at=clock.now(),
        created_by=actor.principal,
    )
    session.add(row)
    session.flush()
    return policy_out(row)


def core_policy(row: ScorecardPolicy) -> scorecard.Policy:
    """The row's policy for the core. Parsed once per stored body: the body is the policy (a
    version's text never changes, and the note is not part of it) and the parsed policy is
    immutable, so every rating under the same text may share it."""
    return _parsed(row.body)


@lru_cache(maxsize=64)
def _parsed(body: str) -> scorecard.Policy:
    return codec.policy_from_schema(codec.policy_of_body(body, None))
