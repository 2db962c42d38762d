"""The nightly limit review (额度动态调整) over the whole portfolio, read column-wise.

Inputs in a few statements, never one query per customer: every customer limit (one query),
the grades that held on ``as_of`` (analytics ``grades_on``), the payment behaviour windows the
rules read (3 and 12 months, computed column-wise exactly as
:func:`creditguard.analytics.behaviour.payment_behaviour` does), the most days late and the sales
of the last 12 months from the portfolio snapshot, the latest financial statements, and the
open risk alerts (one query, with the instant each customer's limit last changed; about 1 %
of the customers have one). The rules are :func:`creditguard.core.review.review`. Inside
policy the change is applied at once (``credit_limits``: source ``review``, audited with its
explanation); outside it, a ``limit_requests`` row (origin ``review``, requested by
``system:review``) routed by the ladder. Writes go in bulk, in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy.orm import Session

from creditguard.analytics import repository as analytics
from creditguard.analytics.behaviour import netted
from creditguard.analytics.kpis import months_before
from creditguard.analytics.service import in_base, open_in
from creditguard.analytics.snapshot import View, snapshot_for
from creditguard.audit import service as audit
from creditguard.clock import Clock
from creditguard.core import kpis as formula
from creditguard.core.errors import Conflict, DomainError
from creditguard.core.limits import GRADES, CustomerFigures, LimitPolicy, suggest
from creditguard.core.money import Money
from creditguard.core.permissions import Actor, require
from creditguard.core.review import Alert, Facts, Proposal, Thresholds, may_propose, review
from creditguard.credit.service import policy as policies
from creditguard.identity import service as identity
from creditguard.limits import repository as repo
from creditguard.limits.schemas import ReviewOut
from creditguard.reference import service as reference

SYSTEM = "system:review"


def _max_days_late(view: View, as_of: date) -> pl.DataFrame:
    """Per customer, the most days late of money paid in the last 12 months, or of what is
    still open and past due on ``as_of`` (customer_id, max_days_late). As in the payment
    behaviour, money applied and later undone does not count, and reversed invoices are not
    open."""
    since = months_before(as_of, 12)
    paid = (
        view.entries.filter(
            pl.col("source_kind") == "payment",
            pl.col("applied_on") > since,
            pl.col("applied_on") <= as_of,
        )
        .group_by("customer_id", "source_id", "instalment_id")
        .agg(
            pl.col("amount_minor").sum(),
            pl.col("applied_on").filter(pl.col("amount_minor") > 0).min(),
        )
        .filter(pl.col("amount_minor") > 0)
        .join(view.items.select("instalment_id", "due_on"), on="instalment_id")
        .select("customer_id", late=(pl.col("applied_on") - pl.col("due_on")).dt.total_days())
    )
    still_open = open_in(view, as_of).select(
        "customer_id", late=(pl.lit(as_of) - pl.col("due_on")).dt.total_days()
    )
    return (
        pl.concat([paid, still_open])
        .group_by("customer_id")
        .agg(pl.col("late").max().clip(lower_bound=0).alias("max_days_late"))
    )


def _sales(session: Session, view: View, as_of: date, base: str) -> pl.DataFrame:
    """Per customer, invoiced in the last 6 months and in the 6 before, in the base currency."""
    frames = []
    for name, (after, until) in {
        "sales_recent": (months_before(as_of, 6), as_of),
        "sales_before": (months_before(as_of, 12), months_before(as_of, 6)),
    }.items():
        sums = (
            view.issued(after, until)
            .group_by("customer_id", "currency")
            .agg(pl.col("amount_minor").sum())
        )
        rates = {
            c: reference.rate(session, c, base, as_of).rate
            for c in sums["currency"].unique().to_list()
            if c != base
        }
        per = in_base(sums, "amount_minor", base, rates).group_by("customer_id")
        frames.append(per.agg(pl.col("base_minor").sum().alias(name)))
    recent, before = frames
    return recent.join(before, on="customer_id", how="full", coalesce=True).fill_null(0)


class Behaviour(NamedTuple):
    """What the rules read of a customer's payments (``None``: nothing paid in the window)."""

    days_late_3m: Decimal | None
    share_late_3m: Decimal | None
    days_late_12m: Decimal | None


def _behaviour(session: Session, company_id: int, as_of: date) -> dict[int, Behaviour]:
    """Per customer with money applied in the last 12 months, the 3- and 12-month windows of
    :func:`creditguard.analytics.behaviour.payment_behaviour` — the same netting, the same
    sums, the same rounding (``kpis.ratio``/``share``) — summed column-wise, without the
    6-month window and without building its objects."""
    rows = analytics.payments_applied(session, company_id, months_before(as_of, 12), as_of, None)
    net = netted(rows)
    sums = []
    for months in (3, 12):
        window = net.filter(pl.col("applied_on") > months_before(as_of, months))
        sums.append(
            window.group_by("customer_id").agg(
                pl.col("amount_minor").sum().alias(f"paid_{months}"),
                (pl.col("amount_minor") * pl.col("late")).sum().alias(f"weighted_{months}"),
                pl.col("amount_minor").filter(pl.col("late") > 0).sum().alias(f"late_{months}"),
            )
        )
    recent, year = sums
    both = year.join(recent, on="customer_id", how="full", coalesce=True).fill_null(0)
    names = ("customer_id", "paid_3", "weighted_3", "late_3", "paid_12", "weighted_12")
    columns = [both.get_column(name).to_list() for name in names]
    ratio, share = formula.ratio, formula.share
    return {
        customer: Behaviour(ratio(w3, p3), share(l3, p3), ratio(w12, p12))
        for customer, p3, w3, l3, p12, w12 in zip(*columns, strict=True)
    }


@dataclass(frozen=True, slots=True)
class Suggestions:
    """The policy's suggested limit: per grade, or per customer with a financial statement."""

    by_grade: Mapping[str | None, Money | None]
    by_customer: Mapping[int, Money | None]

    def of(self, customer_id: int, grade: str | None) -> Money | None:
        if customer_id in self.by_customer:
            return self.by_customer[customer_id]
        return self.by_grade.get(grade)


def _suggested(policy: LimitPolicy, figures: CustomerFigures) -> Money | None:
    try:
        return suggest(policy, figures).limit
    except DomainError:  # a policy that refuses unrated customers: no suggestion, no review
        return None


def _suggestions(
    session: Session, company_id: int, as_of: date, policy: LimitPolicy, grades: dict[int, str]
) -> Suggestions:
    base = policy.currency
    by_customer: dict[int, Money | None] = {}
    for customer_id, (currency, revenue, equity) in repo.latest_statements(
        session, company_id, as_of
    ).items():

        def money(minor: int | None, currency: str = currency) -> Money | None:
            if minor is None:
                return None
            return reference.convert(session, Money(minor, currency), base, as_of)

        figures = CustomerFigures(grades.get(customer_id), money(revenue), money(equity))
        by_customer[customer_id] = _suggested(policy, figures)
    by_grade = {g: _suggested(policy, CustomerFigures(g)) for g in (*GRADES, None)}
    return Suggestions(by_grade, by_customer)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the rules read, for every customer with a limit."""

    limits: pl.DataFrame  # limit_id, customer_id, amount_minor, revision, changed_on, ...
    grades: dict[int, str]
    behaviour: dict[int, Behaviour]  # customers with money applied in the last 12 months
    suggestions: Suggestions
    skipped: int  # customers left alone: a review request of theirs is still pending
    alerts: Mapping[int, CustomerAlerts]  # customers with an open alert


class CustomerAlerts(NamedTuple):
    """A customer's open alerts and the instant its limit last changed."""

    changed_at: datetime | None
    alerts: tuple[Alert, ...]


def _alerts(session: Session, company_id: int) -> dict[int, CustomerAlerts]:
    found: dict[int, CustomerAlerts] = {}
    for row in repo.open_alerts(session, company_id):
        alert = Alert(row.kind, row.severity, row.observed_on, row.source, row.created_at)
        held = found.get(row.customer_id)
        alerts = (alert,) if held is None else (*held.alerts, alert)
        found[row.customer_id] = CustomerAlerts(row.limit_changed_at, alerts)
    return found


def _inputs(session: Session, actor: Actor, as_of: date, policy: LimitPolicy) -> Inputs:
    company, base = actor.company_id, policy.currency
    limits = repo.customer_limits(session, company).filter(pl.col("currency") == base)
    pending = repo.pending_review_customers(session, company)
    if pending:
        limits = limits.filter(~pl.col("customer_id").is_in(list(pending)))
    view = snapshot_for(session, company)
    limits = (
        limits.join(_max_days_late(view, as_of), on="customer_id", how="left")
        .join(_sales(session, view, as_of, base), on="customer_id", how="left")
        .with_columns(pl.col("sales_recent", "sales_before").fill_null(0))
    )
    graded = analytics.grades_on(session, company, as_of)
    grades = dict(zip(graded["customer_id"].to_list(), graded["grade"].to_list(), strict=True))
    behaviour = _behaviour(session, company, as_of)
    suggestions = _suggestions(session, company, as_of, policy, grades)
    alerts = _alerts(session, company)
    return Inputs(limits, grades, behaviour, suggestions, len(pending), alerts)


class LimitRow(NamedTuple):
    """The limit a proposal changes: its id and the revision it has now."""

    limit_id: int
    revision: int


_FACT_COLUMNS = ("limit_id", "revision", "customer_id", "amount_minor", "max_days_late",
                 "sales_recent", "sales_before", "changed_on")  # fmt: skip


def _facts(
    inputs: Inputs, base: str, rules: Thresholds, as_of: date
) -> tuple[int, list[tuple[Facts, LimitRow]]]:
    """How many customers are reviewed, and the facts (with the limit row) of those the rules
    may change (:func:`may_propose`): the rest, most of them, are judged on plain values and
    no object is built for them. Read column by column: a million rows as dictionaries cost
    seconds."""
    columns = [inputs.limits.get_column(name).to_list() for name in _FACT_COLUMNS]
    grades, behaviour, suggestions = inputs.grades, inputs.behaviour, inputs.suggestions
    nothing, calm = Behaviour(None, None, None), CustomerAlerts(None, ())
    reviewed, found = 0, []
    for limit_id, revision, customer, amount, most_late, recent, before, changed in zip(
        *columns, strict=True
    ):
        grade = grades.get(customer)
        suggested = suggestions.of(customer, grade)
        if suggested is None:
            continue
        reviewed += 1
        days_3m, share_3m, days_12m = behaviour.get(customer, nothing)
        changed_at, alerts = inputs.alerts.get(customer, calm)
        plain = (amount, suggested.minor, grade, most_late, days_3m, days_12m, share_3m,
                 recent, before, changed, changed_at, alerts)  # fmt: skip
        if suggested.currency == base and not may_propose(plain, rules, as_of):
            continue
        facts = Facts(
            customer_id=customer,
            grade=grade,
            current=Money(amount, base),
            suggested=suggested,
            max_days_late=most_late,
            days_late_3m=days_3m,
            days_late_12m=days_12m,
            share_late_3m=share_3m,
            sales_recent=recent,
            sales_before=before,
            changed_on=changed,
            changed_at=changed_at,
            alerts=alerts,
        )
        found.append((facts, LimitRow(limit_id, revision)))
    return reviewed, found


def _lines(proposal: Proposal) -> list[dict[str, str]]:
    return [{"code": line.code, "zh": line.zh, "en": line.en} for line in proposal.explanation]


def _text(proposal: Proposal) -> str:
    """The request's reason: the proposal in both languages."""
    kind = {"increase": ("提额", "increase"), "cut": ("降额", "cut")}[proposal.kind]
    return (
        f"额度复评 {proposal.as_of}：{kind[0]} {proposal.current.amount} → "
        f"{proposal.proposed.amount} / limit review {proposal.as_of}: {kind[1]} "
        f"{proposal.current.amount} -> {proposal.proposed.amount}"
    )


@dataclass(frozen=True, slots=True)
class Plan:
    as_of: date
    applied: list[tuple[Proposal, LimitRow]]
    requested: list[Proposal]


def _limit_event(p: Proposal, revision: int) -> audit.Event:
    body = {
        "scope": "customer",
        "currency": p.current.currency,
        "before": p.current.decimal_string(),
        "after": p.proposed.decimal_string(),
        "source": "review",
        "request_id": None,
        "revision": revision,
        "as_of": p.as_of,
        "kind": p.kind,
        "explanation": _lines(p),
    }
    return audit.Event("limit.set", f"customer:{p.customer_id}", body)


def _request(company_id: int, p: Proposal, role: str, at: datetime) -> dict[str, Any]:
    """A ``limit_requests`` row, as the columns to insert."""
    return {
        "company_id": company_id,
        "customer_id": p.customer_id,
        "scope": "customer",
        "currency": p.current.currency,
        "amount_minor": p.proposed.minor,
        "previous_minor": p.current.minor,
        "term_days": None,
        "expires_on": None,
        "reason": _text(p),
        "explanation": json.dumps(_lines(p), ensure_ascii=False),
        "origin": "review",
        "required_role": role,
        "status": "pending",
        "requested_at": at,
        "requested_by": SYSTEM,
        "decided_at": None,
        "decided_by": None,
        "decision_note": None,
    }


def _request_event(request_id: int, row: Mapping[str, Any]) -> audit.Event:
    body = {
        "customer_id": row["customer_id"],
        "scope": row["scope"],
        "amount": Money(row["amount_minor"], row["currency"]).decimal_string(),
        "currency": row["currency"],
        "required_role": row["required_role"],
        "reason": row["reason"],
        "origin": "review",
    }
    return audit.Event("limit_request.create", f"limit_request:{request_id}", body)


def _write(session: Session, actor: Actor, plan: Plan, at: datetime) -> list[Proposal]:
    """Apply the changes inside policy and file the requests, in bulk, audited; the changes
    applied. A limit whose row moved since the review read it (another writer) is left alone
    and not audited: the review judged a value that no longer holds."""
    company = actor.company_id
    ladder = policies.current(session, company).ladder
    changes = [repo.LimitChange(row.limit_id, row.revision, p.proposed.minor)
               for p, row in plan.applied]  # fmt: skip
    values = {"source": "review", "request_id": None, "changed_on": plan.as_of,
              "updated_at": at, "updated_by": SYSTEM}  # fmt: skip
    changed = repo.set_limits(session, changes, values)
    applied = [(p, row) for p, row in plan.applied if row.limit_id in changed]
    events = [_limit_event(p, row.revision + 1) for p, row in applied]
    rows = [_request(company, p, ladder.approver_for(p.proposed), at) for p in plan.requested]
    ids = repo.add_requests(session, rows)
    events += [_request_event(i, r) for i, r in zip(ids, rows, strict=True)]
    audit.record_many(session, company, SYSTEM, events, at)
    return [p for p, _ in applied]


def _already_running(company_id: int) -> Conflict:
    return Conflict.of("company", company_id, "review_running")


def run_review(
    session: Session,
    actor: Actor,
    as_of: date,
    clock: Clock,
    *,
    dry_run: bool = False,
    rules: Thresholds | None = None,
) -> ReviewOut:
    """Review every customer's limit on ``as_of``: apply what is inside policy, send the rest
    for approval; ``dry_run`` counts what it would do and writes nothing.

    A review that writes runs alone: it first takes the company's review lock
    (:func:`repo.lock_review`), and while another review of the company holds it, it is
    refused at once (:class:`Conflict`), nothing written. On SQLite the database's write lock
    serialises writers instead: a second run waits for the first to commit, then reviews what
    the first left (what the first changed is too recent, its requests pending: skipped).
    Behind the lock, each limit is updated only if still at the revision read."""
    require(actor, "credit:policy")
    if not dry_run and not repo.lock_review(session, actor.company_id):
        raise _already_running(actor.company_id)
    rules = rules or Thresholds()
    base = identity.require_company(session, actor.company_id).base_currency
    policy = policies.current(session, actor.company_id).policy
    inputs = _inputs(session, actor, as_of, policy)
    plan = Plan(as_of, [], [])
    reviewed, candidates = _facts(inputs, base, rules, as_of)
    for facts, row in candidates:
        proposal = review(facts, rules, policy.step, as_of)
        if proposal is None:
            continue
        if proposal.auto:
            plan.applied.append((proposal, row))
        else:
            plan.requested.append(proposal)
    applied = [p for p, _ in plan.applied]
    if not dry_run:
        applied = _write(session, actor, plan, clock.now())
    kinds = [p.kind for p in applied]
    return ReviewOut(
        as_of=as_of,
        dry_run=dry_run,
        customers=repo.customer_count(session, actor.company_id),
        reviewed=reviewed,
        skipped_pending=inputs.skipped,
        skipped_moved=len(plan.applied) - len(applied),
        increased=kinds.count("increase"),
        cut=kinds.count("cut"),
        sent_for_approval=len(plan.requested),
    )
