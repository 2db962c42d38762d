"""A customer's credit at a glance: grade, limits, suggested limit and terms, exposure."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from creditguard.clock import Clock, business_today
from creditguard.core.credit import Exposure, headroom
from creditguard.core.errors import DomainError
from creditguard.core.limits import CustomerFigures, suggest
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.credit import repository as repo
from creditguard.credit.schemas import (
    CreditLimitOut,
    CustomerCreditOut,
    ExposureOut,
    SuggestionLineOut,
    SuggestionOut,
)
from creditguard.credit.service.exposure import STAGES, standing
from creditguard.credit.service.policy import current
from creditguard.customers import service as customers
from creditguard.identity import service as identity
from creditguard.models import CreditLimit
from creditguard.reference import service as reference


def exposure_out(exposure: Exposure) -> ExposureOut:
    parts = {stage: getattr(exposure, stage).decimal_string() for stage in STAGES}
    return ExposureOut(
        **parts, insured=exposure.insured.decimal_string(), total=exposure.total.decimal_string()
    )


def _limit_out(row: CreditLimit | None, code: str) -> CreditLimitOut | None:
    if row is None:
        return None
    return CreditLimitOut(
        scope="group" if row.scope == "group" else "customer",
        customer_ref=code,
        amount=Money(row.amount_minor, row.currency).decimal_string(),
        currency=row.currency,
        term_days=row.term_days,
        expires_on=row.expires_on,
        source=row.source,
        revision=row.revision,
    )


def _figures(
    session: Session, company_id: int, customer_id: int, grade: str | None, base: str, as_of: date
) -> CustomerFigures:
    """Grade, annual revenue and equity (total assets - liabilities) of the latest statement,
    converted to the base currency."""
    row = repo.latest_statement(session, company_id, customer_id, as_of)
    if row is None:
        return CustomerFigures(grade)

    def money(minor: int | None) -> Money | None:
        if minor is None:
            return None
        return reference.convert(session, Money(minor, row.currency), base, as_of)

    equity = (
        None
        if row.total_assets_minor is None or row.total_liabilities_minor is None
        else row.total_assets_minor - row.total_liabilities_minor
    )
    return CustomerFigures(grade, money(row.revenue_minor), money(equity))


def _text(zh: str, en: str, locale: str) -> str:
    return zh if locale == "zh-CN" else en


def customer_credit(
    session: Session,
    actor: Actor,
    ref: str,
    clock: Clock,
    *,
    as_of: date | None = None,
    locale: str = "en",
) -> CustomerCreditOut:
    """The grade, the limit that holds (customer and group), the suggestion, the exposure."""
    company = identity.require_company(session, actor.company_id)
    base = company.base_currency
    day = as_of or business_today(clock, company.timezone)
    customer = customers.get_by_code(session, actor, ref, "ref")
    stored = current(session, actor.company_id)
    found = standing(session, actor.company_id, customer, base, day)
    grade = repo.grade(session, actor.company_id, customer.id, day)
    suggestion: SuggestionOut | None = None
    try:
        made = suggest(
            stored.policy, _figures(session, actor.company_id, customer.id, grade, base, day)
        )
        suggestion = SuggestionOut(
            grade=made.grade,
            limit=made.limit.decimal_string(),
            term_days=made.term_days,
            prepayment_percent=str(made.prepayment_percent),
            review_months=made.review_months,
            max_days_overdue=made.max_days_overdue,
            explanation=[
                SuggestionLineOut(code=line.code, message=_text(line.zh, line.en, locale))
                for line in made.explanation
            ],
        )
    except DomainError:  # the policy refuses unrated customers: no suggestion
        suggestion = None
    limit = (
        Money.zero(base)
        if found.limit is None
        else reference.convert(
            session, Money(found.limit.amount_minor, found.limit.currency), base, day
        )
    )
    available = headroom(limit, found.exposure.total)
    if found.group_limit is not None and found.group_exposure is not None:
        group = reference.convert(
            session, Money(found.group_limit.amount_minor, found.group_limit.currency), base, day
        )
        available = min(available, headroom(group, found.group_exposure.total))
    root_code = repo.customer_code(session, actor.company_id, found.root_id)
    return CustomerCreditOut(
        customer_ref=customer.code,
        as_of=day,
        currency=base,
        grade=grade,
        policy_version=stored.version,
        limit=_limit_out(found.limit, customer.code),
        group_limit=_limit_out(found.group_limit, root_code),
        suggestion=suggestion,
        exposure=exposure_out(found.exposure),
        group_exposure=None if found.group_exposure is None else exposure_out(found.group_exposure),
        available=available.decimal_string(),
        insurance=_text(
            "暂无信用保险：投保部分为 0", "no credit insurance yet: insured part is 0", locale
        ),
    )
