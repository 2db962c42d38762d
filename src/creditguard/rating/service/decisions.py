"""Ratings: the scorecard on the credit file and the ledger, batch runs, overrides."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from creditguard.analytics.behaviour import Behaviour
from creditguard.clock import Clock
from creditguard.core import rating as scorecard
from creditguard.core.errors import Conflict, InvalidInput
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.core.ratios import compute_ratios
from creditguard.customers import service as customers
from creditguard.identity import service as identity
from creditguard.models import CreditProfile, CreditRating, FinancialStatement, ScorecardPolicy
from creditguard.rating import codec, features
from creditguard.rating import repository as repo
from creditguard.rating.schemas import (
    BlendOut,
    FactorScoreOut,
    OverrideIn,
    RatingOut,
    RatingsOut,
    ReasonOut,
    RunOut,
)
from creditguard.rating.service import blend, dataset
from creditguard.rating.service.common import profile_of, require_manager, require_writer, today
from creditguard.rating.service.policies import core_policy, policy_row
from creditguard.reference import service as reference


def rating_out(row: CreditRating) -> RatingOut:
    details = json.loads(row.details)
    return RatingOut(
        id=row.id,
        customer_id=row.customer_id,
        kind=row.kind,
        trigger=row.trigger,
        as_of=row.as_of,
        score=str(row.score),
        scored_grade=row.scored_grade,
        grade=row.grade,
        policy_version=row.policy_version,
        missing_weight=str(row.missing_weight),
        missing=details["missing"],
        factors=[FactorScoreOut.model_validate(f) for f in details["factors"]],
        reasons=[ReasonOut.model_validate(r) for r in details["reasons"]],
        override_reason=row.override_reason,
        next_review_on=row.next_review_on,
        rated_at=row.rated_at,
        rated_by=row.rated_by,
        blend=None if details.get("blend") is None else BlendOut.model_validate(details["blend"]),
    )


RUN_CHUNK = 2000  # customers rated per round of reads


@dataclass(frozen=True, slots=True)
class Run:
    """One rating pass: who, on which business date, why, under which policy."""

    actor: Actor
    as_of: date
    clock: Clock
    trigger: str
    policy: ScorecardPolicy
    rules: scorecard.Policy  # the row's policy, read once per run
    base_currency: str


def _run(session: Session, actor: Actor, as_of: date, clock: Clock, trigger: str) -> Run:
    base = identity.require_company(session, actor.company_id).base_currency
    row = policy_row(session, actor, clock)
    return Run(actor, as_of, clock, trigger, row, core_policy(row), base)


def _capital_in_base(session: Session, run: Run, row: CreditProfile) -> Decimal | None:
    """Registered capital in the company's base currency (the policy's bins), if convertible."""
    if row.registered_capital_minor is None or row.registered_capital_currency is None:
        return None
    money = Money(row.registered_capital_minor, row.registered_capital_currency)
    try:
        return reference.convert(session, money, run.base_currency, run.as_of).amount
    except InvalidInput:  # no exchange rate on that date: the factor is missing, and says so
        return None


@dataclass(frozen=True, slots=True)
class Known:
    """What the credit file and the ledger hold of one customer on the run's date."""

    profile: CreditProfile | None
    statements: Sequence[FinancialStatement]
    behaviour: Behaviour | None


def inputs_of(session: Session, run: Run, known: Known) -> scorecard.RatingInputs:
    """The scorecard's inputs: qualification, the latest statement's ratios, the behaviour."""
    row, statements, behaviour = known.profile, known.statements, known.behaviour
    current = codec.statement_of(statements[-1]) if statements else None
    previous = codec.statement_of(statements[-2]) if len(statements) > 1 else None
    year = behaviour.windows[-1] if behaviour is not None else None
    return scorecard.RatingInputs(
        licence_status=None if row is None else row.licence_status,
        registered_capital=None if row is None else _capital_in_base(session, run, row),
        founded_on=None if row is None else row.founded_on,
        legal_form=None if row is None else row.legal_form,
        negative_records=None if row is None else row.negative_records,
        ratios=None if current is None else compute_ratios(current, previous),
        average_days_late=None if year is None else year.average_days_late,
        share_paid_late=None if year is None else year.share_late,
        late_trend_days=None if behaviour is None else behaviour.trend_days,
    )


def _record(
    session: Session, run: Run, customer_id: int, known: Known, models: blend.ModelScores
) -> CreditRating:
    result = scorecard.rate(run.rules, inputs_of(session, run, known), run.as_of)
    score, blended = blend.blend_details(models, customer_id, result.score)
    if blended is not None:
        grade = scorecard.grade_of(score, run.rules)
        body = json.loads(codec.details_body(result))
        body["blend"] = blended
        result = replace(
            result,
            score=score,
            grade=grade,
            next_review_on=scorecard.next_review(run.as_of, grade, run.rules),
        )
        details = json.dumps(body, ensure_ascii=False)
    else:
        details = codec.details_body(result)
    row = CreditRating(
        company_id=run.actor.company_id,
        customer_id=customer_id,
        policy_id=run.policy.id,
        policy_version=run.policy.version,
        kind="scorecard",
        trigger=run.trigger,
        as_of=run.as_of,
        score=result.score,
        scored_grade=result.grade,
        grade=result.grade,
        missing_weight=result.missing_weight,
        details=details,
        next_review_on=result.next_review_on,
        rated_at=run.clock.now(),
        rated_by=run.actor.principal,
    )
    session.add(row)
    profile = known.profile or profile_of(session, run.actor, customer_id, run.clock)
    profile.next_review_on = result.next_review_on
    return row


def _rate_all(session: Session, run: Run, customer_ids: Sequence[int]) -> list[CreditRating]:
    """Rate ``customer_ids``: the facts of all of them read in a few statements, not per row."""
    company = run.actor.company_id
    ids = list(customer_ids)
    # The chunk's ledger in columns, read through indexed paths: its payment behaviour (the
    # figures of analytics.behaviour) and, when a model is blended, its features.
    # The ledger as known on the date and its window sums are computed once for both.
    cut = features.Cut.of(dataset.read_ledger(session, run.actor, ids), run.as_of)
    behaviours = cut.behaviours(ids)
    profiles = repo.profiles(session, company, ids)
    statements = repo.statements_of(session, company, ids, run.as_of)
    models = blend.model_scores(session, run.actor, run.as_of, ids, cut=cut)
    made = [
        _record(
            session,
            run,
            c,
            Known(profiles.get(c), statements.get(c, []), behaviours.get(c)),
            models,
        )
        for c in ids
    ]
    session.flush()
    return made


def rate_customer(
    session: Session,
    actor: Actor,
    customer_id: int,
    clock: Clock,
    *,
    as_of: date | None = None,
    trigger: str = "on_demand",
) -> RatingOut:
    """Rate one customer now (on demand or on a trigger event) with the current policy."""
    require_writer(actor)
    customer = customers.get(session, actor, customer_id)
    day = as_of or today(session, actor, clock)
    run = _run(session, actor, day, clock, trigger)
    return rating_out(_rate_all(session, run, [customer.id])[0])


def run_due(
    session: Session, actor: Actor, as_of: date, clock: Clock, *, everyone: bool = False
) -> RunOut:
    """Re-rate every active customer due on ``as_of`` (never rated, or review date reached);
    with ``everyone``, every active customer."""
    require_writer(actor)
    due = repo.due_customers(session, actor.company_id, as_of, everyone=everyone)
    run = _run(session, actor, as_of, clock, "schedule")
    grades: Counter[str] = Counter()
    for start in range(0, len(due), RUN_CHUNK):  # bounded memory for a whole portfolio
        made = _rate_all(session, run, due[start : start + RUN_CHUNK])
        grades.update(r.grade for r in made)  # flushed rows are let go: the map holds them weakly
    counts = {g: grades[g] for g in scorecard.GRADES}
    return RunOut(as_of=as_of, rated=sum(counts.values()), grades=counts)


def ratings(session: Session, actor: Actor, customer_id: int) -> RatingsOut:
    customer = customers.get(session, actor, customer_id)
    rows = [rating_out(r) for r in repo.ratings(session, actor.company_id, customer.id)]
    return RatingsOut(latest=rows[0] if rows else None, history=rows)


def override(
    session: Session, actor: Actor, customer_id: int, data: OverrideIn, clock: Clock
) -> RatingOut:
    """Hold another grade than the scorecard's, with a reason; the score stays as scored."""
    require_manager(actor, "rating:override")
    customer = customers.get(session, actor, customer_id)
    latest = repo.latest_rating(session, actor.company_id, customer.id)
    if latest is None:
        raise Conflict.of(
            "customer_id",
            customer.id,
            "state",
            reason="the customer has no rating to override: rate it first",
            reason_zh="该客户尚无评级可覆盖：请先评级",
        )
    day = today(session, actor, clock)
    policy = repo.policy_version(session, actor.company_id, latest.policy_version)
    assert policy is not None  # ratings point to their policy (foreign key)
    row = CreditRating(
        company_id=actor.company_id,
        customer_id=customer.id,
        policy_id=latest.policy_id,
        policy_version=latest.policy_version,
        kind="override",
        trigger="override",
        as_of=day,
        score=latest.score,
        scored_grade=latest.scored_grade,
        grade=data.grade,
        missing_weight=latest.missing_weight,
        details=latest.details,
        override_reason=data.reason,
        next_review_on=scorecard.next_review(day, data.grade, core_policy(policy)),
        rated_at=clock.now(),
        rated_by=actor.principal,
    )
    session.add(row)
    profile_of(session, actor, customer.id, clock).next_review_on = row.next_review_on
    session.flush()
    return rating_out(row)
