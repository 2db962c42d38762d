"""The limit policy matrix and approval ladder: versions in the database, defaults until then.

A company that stored no policy uses ``default_policy(base currency)`` and the default ladder
(credit_manager up to 1,000,000.00, then approver unbounded), reported as version 0 with
``default: true``. Each edit adds a version; the newest holds. Edits are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.clock import Clock
from creditguard.core.errors import InvalidInput, not_found
from creditguard.core.limits import (
    ApprovalLadder,
    LimitPolicy,
    Rung,
    default_policy,
    validate_policy,
)
from creditguard.core.money import Money
from creditguard.core.permissions import Actor, require
from creditguard.credit import codec
from creditguard.credit import repository as repo
from creditguard.credit.schemas import LimitPolicyIn, LimitPolicyOut, LimitPolicyVersionOut
from creditguard.identity import service as identity
from creditguard.models import LimitPolicy as PolicyRow


@dataclass(frozen=True)
class StoredPolicy:
    """The policy that holds for a company: its version (0: the default), matrix and ladder."""

    version: int
    policy: LimitPolicy
    ladder: ApprovalLadder
    default: bool


def default_ladder(currency: str) -> ApprovalLadder:
    """The credit manager approves up to 1,000,000.00; an approver (e.g. the CFO) above."""
    return ApprovalLadder(
        (Rung("credit_manager", Money.parse("1000000", currency)), Rung("approver", None))
    )


def _stored(row: PolicyRow, currency: str) -> StoredPolicy:
    return stored_of(row.version, row.body, currency)


_PARSED: dict[tuple[str, str], tuple[LimitPolicy, ApprovalLadder]] = {}


@cache
def _default(currency: str) -> StoredPolicy:
    """The defaults in ``currency``, built once per currency (a check reads them when no
    version is stored; like a parsed version, they are never changed)."""
    return StoredPolicy(0, default_policy(currency), default_ladder(currency), default=True)


def stored_of(version: int | None, body: str | None, currency: str) -> StoredPolicy:
    """The policy of a stored version's body (None: the defaults), parsed once per process.

    Stored versions are never edited, so a body always reads the same; the cache is bounded.
    """
    if version is None or body is None:
        return _default(currency)
    key = (body, currency)
    parsed = _PARSED.get(key)
    if parsed is None:
        policy, ladder, problems = codec.policy_from_schema(
            codec.policy_of_body(body, None), currency
        )
        if problems:  # stored versions were validated; only a base currency change gets here
            raise InvalidInput(problems)
        if len(_PARSED) >= 256:
            _PARSED.clear()
        parsed = _PARSED[key] = (policy, ladder)
    return StoredPolicy(version, parsed[0], parsed[1], default=False)


def current(session: Session, company_id: int) -> StoredPolicy:
    """The company's newest stored policy, or the default (version 0) if it stored none."""
    currency = identity.require_company(session, company_id).base_currency
    row = repo.latest_policy(session, company_id)
    if row is None:
        return StoredPolicy(0, default_policy(currency), default_ladder(currency), default=True)
    return _stored(row, currency)


def _out(stored: StoredPolicy, row: PolicyRow | None) -> LimitPolicyOut:
    data = codec.policy_to_schema(stored.policy, stored.ladder, None if row is None else row.note)
    return LimitPolicyOut(
        **data.model_dump(),
        currency=stored.policy.currency,
        version=stored.version,
        default=stored.default,
        created_at=None if row is None else row.created_at,
        created_by=None if row is None else row.created_by,
    )


def get_policy(session: Session, actor: Actor, version: int | None = None) -> LimitPolicyOut:
    """The policy that holds (or a stored ``version``), as the API shows it."""
    if version is None or version == 0:
        stored = current(session, actor.company_id)
        if version == 0 and not stored.default:
            currency = stored.policy.currency
            stored = StoredPolicy(
                0, default_policy(currency), default_ladder(currency), default=True
            )
            return _out(stored, None)
        row = None if stored.default else repo.latest_policy(session, actor.company_id)
        return _out(stored, row)
    row = repo.policy_version(session, actor.company_id, version)
    if row is None:
        raise not_found("limit policy", version, "version")
    currency = identity.require_company(session, actor.company_id).base_currency
    return _out(_stored(row, currency), row)


def versions(session: Session, actor: Actor) -> list[LimitPolicyVersionOut]:
    """Every stored version, newest first (empty: the default holds)."""
    return [
        LimitPolicyVersionOut(
            version=row.version, note=row.note, created_at=row.created_at, created_by=row.created_by
        )
        for row in repo.policy_versions(session, actor.company_id)
    ]


def put_policy(session: Session, actor: Actor, data: LimitPolicyIn, clock: Clock) -> LimitPolicyOut:
    """Validate ``data`` (every problem named by field) and save it as the next version."""
    require(actor, "credit:policy")
    currency = identity.require_company(session, actor.company_id).base_currency
    policy, ladder, problems = codec.policy_from_schema(data, currency)
    problems += validate_policy(policy)
    problems += codec.ladder_problems(ladder)
    if problems:
        raise InvalidInput(problems)
    latest = repo.latest_policy(session, actor.company_id)
    version = 1 if latest is None else latest.version + 1
    canonical = codec.policy_to_schema(policy, ladder, data.note)
    row = PolicyRow(
        company_id=actor.company_id,
        version=version,
        body=codec.policy_body(canonical),
        note=data.note,
        created_at=clock.now(),
        created_by=actor.principal,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.company_id,
        actor.principal,
        audit.Event(
            "limit_policy.set",
            f"limit_policy:{version}",
            {
                "version": version,
                "note": data.note,
                "policy": canonical.model_dump(mode="json"),
            },
        ),
        row.created_at,
    )
    return _out(StoredPolicy(version, policy, ladder, default=False), row)
