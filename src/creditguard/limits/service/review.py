"""The nightly limit review (额度动态调整) over the whole portfolio, read column-wise.

Inputs in a few statements, never one query per customer: every customer limit and every
group limit (a query each), the grades that held on ``as_of`` (analytics ``grades_on``), the
payment behaviour windows the rules read (3 and 12 months, computed column-wise exactly as
:func:`creditguard.analytics.behaviour.payment_behaviour` does), the most days late and the sales
of the last 12 months from the portfolio snapshot (summed in :mod:`.review_sums`), the latest
financial statements, and the open risk alerts (one query, with the instant each customer's
limit last changed; about 1 % of the customers have one). The rules are
:func:`creditguard.core.review.review`. Inside policy the change is applied at once
(``credit_limits``: source ``review``, audited with its explanation); outside it, a
``limit_requests`` row (origin ``review``, requested by ``system:review``) routed by the
ladder. Writes go in bulk, in the caller's transaction.

Group limits (集团额度, held on the group's parent, shared by the members: customers whose
``parent_id`` is the parent) are reviewed beside, by the same rules, on the group's facts
pooled: the worst grade of its rated customers, the policy's suggestion for that grade with
the parent's figures, every payment and sale of the group together (each row's customer
mapped to its group's parent before the sums: amount-weighted, not an average of customers),
every open alert of any of its customers (new against the group limit's last change). The
groups' customers come from the snapshot's customers; groups are few, so their facts add a
join of a small frame to the rows already read, not a query per group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy.orm import Session

from creditguard.analytics import repository as analytics
from creditguard.analytics.behaviour import netted
from creditguard.analytics.kpis import months_before
from creditguard.analytics.snapshot import snapshot_for
from creditguard.audit import service as audit
from creditguard.clock import Clock
from creditguard.core.errors import Conflict, DomainError
from creditguard.core.limits import GRADES, CustomerFigures, LimitPolicy, Line, suggest
from creditguard.core.money import Money
from creditguard.core.permissions import Actor, require
from creditguard.core.review import (
    Alert,
    Facts,
    Proposal,
    Thresholds,
    group_line,
    may_propose,
    review,
)
from creditguard.credit.service import policy as policies
from creditguard.identity import service as identity
from creditguard.limits import repository as repo
from creditguard.limits.schemas import ReviewOut
from creditguard.limits.service import review_sums as sums
from creditguard.reference import service as reference

SYSTEM = "system:review"


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


Statements = Mapping[int, tuple[str, int | None, int | None]]  # repo.latest_statements


def _suggestions(
    session: Session,
    statements: Statements,
    as_of: date,
    policy: LimitPolicy,
    grades: Mapping[int, str],
) -> Suggestions:
    """The suggestions for each holder's grade (``grades``) and figures (``statements``): a
    group's are its worst grade and its parent's statement."""
    base = policy.currency
    by_customer: dict[int, Money | None] = {}
    for customer_id, (currency, revenue, equity) in statements.items():

        def money(minor: int | None, currency: str = currency) -> Money | None:
            if minor is None:
                return None
            return reference.convert(session, Money(minor, currency), base, as_of)

        figures = CustomerFigures(grades.get(customer_id), money(revenue), money(equity))
        by_customer[customer_id] = _suggested(policy, figures)
    by_grade = {g: _suggested(policy, CustomerFigures(g)) for g in (*GRADES, None)}
    return Suggestions(by_grade, by_customer)


class CustomerAlerts(NamedTuple):
    """A customer's (or a group's) open alerts and the instant its limit last changed."""

    changed_at: datetime | None
    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class Held:
    """The limits of one scope under review and the facts the rules read of their holders —
    customers (``customer``), or groups by their parent (``group``)."""

    scope: str
    limits: pl.DataFrame  # limit_id, customer_id, amount_minor, revision, changed_on, ...
    grades: Mapping[int, str]
    suggestions: Suggestions
    behaviour: Mapping[int, sums.Behaviour]  # those with money applied in the last 12 months
    alerts: Mapping[int, CustomerAlerts]  # those with an open alert


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the rules read, for every customer limit and every group limit."""

    customers: Held
    groups: Held
    skipped: int  # limits left alone: a review request of theirs is still pending
    described: Mapping[int, Line]  # per group parent, the proposal's first line (``group``)


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The rows read once for the whole portfolio, summed per customer and per group."""

    people: pl.DataFrame  # the snapshot's customers: customer_id, customer (code), parent_id
    late: pl.DataFrame  # sums.lateness
    issued: Mapping[str, pl.DataFrame]  # sums.issued
    net: pl.DataFrame  # netted payment applications of the last 12 months
    grades: dict[int, str]
    statements: Statements
    alerts: list[repo.OpenAlert]


def _alerts(rows: list[repo.OpenAlert]) -> dict[int, CustomerAlerts]:
    found: dict[int, CustomerAlerts] = {}
    for row in rows:
        alert = Alert(row.kind, row.severity, row.observed_on, row.source, row.created_at)
        held = found.get(row.customer_id)
        alerts = (alert,) if held is None else (*held.alerts, alert)
        found[row.customer_id] = CustomerAlerts(row.limit_changed_at, alerts)
    return found


def _with_figures(
    session: Session,
    limits: pl.DataFrame,
    data: Portfolio,
    as_of: date,
    base: str,
    roots: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``limits`` with each holder's most days late and sales (per group with ``roots``)."""
    return (
        limits.join(sums.max_days_late(data.late, roots), on="customer_id", how="left")
        .join(sums.sales(session, data.issued, as_of, base, roots), on="customer_id", how="left")
        .with_columns(pl.col("sales_recent", "sales_before").fill_null(0))
    )


def _inputs(session: Session, actor: Actor, as_of: date, policy: LimitPolicy) -> Inputs:
    company, base = actor.company_id, policy.currency
    limits = repo.customer_limits(session, company).filter(pl.col("currency") == base)
    pending = repo.pending_review_customers(session, company)
    waiting = [customer for customer, scope in pending if scope == "customer"]
    if waiting:
        limits = limits.filter(~pl.col("customer_id").is_in(waiting))
    view = snapshot_for(session, company)
    graded = analytics.grades_on(session, company, as_of)
    rows = analytics.payments_applied(session, company, months_before(as_of, 12), as_of, None)
    data = Portfolio(
        view.people,
        sums.lateness(view, as_of),
        sums.issued(view, as_of),
        netted(rows),
        dict(zip(graded["customer_id"].to_list(), graded["grade"].to_list(), strict=True)),
        repo.latest_statements(session, company, as_of),
        repo.open_alerts(session, company),
    )
    customers = Held(
        "customer",
        _with_figures(session, limits, data, as_of, base),
        data.grades,
        _suggestions(session, data.statements, as_of, policy, data.grades),
        sums.behaviour(data.net, as_of),
        _alerts(data.alerts),
    )
    held = [
        g
        for g in repo.group_limits(session, company)
        if g.currency == base and (g.customer_id, "group") not in pending
    ]
    groups, described = _groups(session, held, data, policy, as_of)
    return Inputs(customers, groups, len(pending), described)


_GROUP_LIMITS = {"limit_id": pl.Int64, "customer_id": pl.Int64, "amount_minor": pl.Int64,
                 "revision": pl.Int64, "changed_on": pl.Date}  # fmt: skip


def _groups(
    session: Session, held: list[repo.GroupLimit], data: Portfolio, policy: LimitPolicy, as_of: date
) -> tuple[Held, dict[int, Line]]:
    """The group limits under review with their groups' pooled facts, and each group's
    ``group`` line (its parent's code and how many members)."""
    base, parents = policy.currency, [g.customer_id for g in held]
    people = data.people
    members = people.filter(pl.col("parent_id").is_in(parents))
    roots = pl.concat(
        [
            pl.DataFrame({"customer_id": parents, "root_id": parents}, schema=_ROOTS),
            members.select("customer_id", root_id="parent_id"),
        ]
    )
    codes = people.filter(pl.col("customer_id").is_in(roots["customer_id"].to_list()))
    code = dict(zip(codes["customer_id"].to_list(), codes["customer"].to_list(), strict=True))
    of = dict(zip(roots["customer_id"].to_list(), roots["root_id"].to_list(), strict=True))
    limits = pl.DataFrame(
        [(g.limit_id, g.customer_id, g.amount_minor, g.revision, g.changed_on) for g in held],
        schema=_GROUP_LIMITS,
        orient="row",
    )
    changed = {g.customer_id: g.updated_at for g in held}
    worst = _worst_grades(data.grades, of)
    statements = {p: data.statements[p] for p in parents if p in data.statements}
    groups = Held(
        "group",
        _with_figures(session, limits, data, as_of, base, roots),
        worst,
        _suggestions(session, statements, as_of, policy, worst),
        sums.behaviour(data.net, as_of, roots),
        _group_alerts(data.alerts, of, code, changed),
    )
    counts = members.group_by("parent_id").len()
    size = dict(zip(counts["parent_id"].to_list(), counts["len"].to_list(), strict=True))
    return groups, {p: group_line(code[p], size.get(p, 0)) for p in parents}


_ROOTS = {"customer_id": pl.Int64, "root_id": pl.Int64}


def _worst_grades(grades: Mapping[int, str], of: Mapping[int, int]) -> dict[int, str]:
    """Per group parent, the worst grade (``GRADES`` runs best to worst) held by any of the
    group's rated customers; a group none of whose customers is rated is absent."""
    worst: dict[int, str] = {}
    for customer, root in of.items():
        grade = grades.get(customer)
        if grade is None:
            continue  # unrated: ignored
        held = worst.get(root)
        if held is None or GRADES.index(grade) > GRADES.index(held):
            worst[root] = grade
    return worst


def _group_alerts(
    rows: list[repo.OpenAlert],
    of: Mapping[int, int],
    code: Mapping[int, str],
    changed: Mapping[int, datetime],
) -> dict[int, CustomerAlerts]:
    """Per group parent, the open alerts of every customer of the group — a member's named by
    its code — new against the group limit's last change (``changed``)."""
    found: dict[int, list[Alert]] = {}
    for row in rows:
        root = of.get(row.customer_id)
        if root is None:
            continue
        member = None if row.customer_id == root else code[row.customer_id]
        alert = Alert(row.kind, row.severity, row.observed_on, row.source, row.created_at, member)
        found.setdefault(root, []).append(alert)
    return {root: CustomerAlerts(changed[root], tuple(a)) for root, a in found.items()}


class LimitRow(NamedTuple):
    """The limit a proposal changes: its id, the revision it has now and its scope."""

    limit_id: int
    revision: int
    scope: str


_FACT_COLUMNS = ("limit_id", "revision", "customer_id", "amount_minor", "max_days_late",
                 "sales_recent", "sales_before", "changed_on")  # fmt: skip


def _facts(
    held: Held, base: str, rules: Thresholds, as_of: date
) -> tuple[int, list[tuple[Facts, LimitRow]]]:
    """How many of ``held``'s limits are reviewed, and the facts (with the limit row) of those
    the rules may change (:func:`may_propose`): the rest, most of them, are judged on plain
    values and no object is built for them. Read column by column: a million rows as
    dictionaries cost seconds."""
    columns = [held.limits.get_column(name).to_list() for name in _FACT_COLUMNS]
    grades, behaviour, suggestions = held.grades, held.behaviour, held.suggestions
    nothing, calm = sums.Behaviour(None, None, None, None), CustomerAlerts(None, ())
    reviewed, found = 0, []
    for limit_id, revision, customer, amount, most_late, recent, before, changed in zip(
        *columns, strict=True
    ):
        grade = grades.get(customer)
        suggested = suggestions.of(customer, grade)
        if suggested is None:
            continue
        reviewed += 1
        days_3m, share_3m, days_12m, last_late = behaviour.get(customer, nothing)
        changed_at, alerts = held.alerts.get(customer, calm)
        plain = (amount, suggested.minor, grade, most_late, days_3m, days_12m, share_3m,
                 recent, before, changed, changed_at, alerts, last_late)  # fmt: skip
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
            last_late_on=last_late,
        )
        found.append((facts, LimitRow(limit_id, revision, held.scope)))
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
    requested: list[tuple[Proposal, LimitRow]]


def _limit_event(p: Proposal, row: LimitRow) -> audit.Event:
    body = {
        "scope": row.scope,
        "currency": p.current.currency,
        "before": p.current.decimal_string(),
        "after": p.proposed.decimal_string(),
        "source": "review",
        "request_id": None,
        "revision": row.revision + 1,
        "as_of": p.as_of,
        "kind": p.kind,
        "explanation": _lines(p),
    }
    return audit.Event("limit.set", f"customer:{p.customer_id}", body)


def _request(company_id: int, p: Proposal, scope: str, role: str, at: datetime) -> dict[str, Any]:
    """A ``limit_requests`` row, as the columns to insert."""
    return {
        "company_id": company_id,
        "customer_id": p.customer_id,
        "scope": scope,
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
    events = [_limit_event(p, row) for p, row in applied]
    rows = [_request(company, p, row.scope, ladder.approver_for(p.proposed), at)
            for p, row in plan.requested]  # fmt: skip
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
    """Review every customer limit and every group limit on ``as_of``: apply what is inside
    policy, send the rest for approval; ``dry_run`` counts what it would do and writes nothing.
    The counts take both scopes together (a group limit is one limit reviewed, one cut, ...).

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
    plan, reviewed = Plan(as_of, [], []), 0
    for held in (inputs.customers, inputs.groups):
        count, candidates = _facts(held, base, rules, as_of)
        reviewed += count
        for facts, row in candidates:
            proposal = review(facts, rules, policy.step, as_of)
            if proposal is None:
                continue
            if row.scope == "group":  # opened by whose limit it is and what it was judged on
                lines = (inputs.described[facts.customer_id], *proposal.explanation)
                proposal = replace(proposal, explanation=lines)
            (plan.applied if proposal.auto else plan.requested).append((proposal, row))
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
