"""Order credit checks (订单信用检查): decide, reserve the limit, hold, release or reject.

A check locks the customer's row, and the group root's first (PostgreSQL: SELECT ... FOR
UPDATE; SQLite: every write transaction began IMMEDIATE), then reads the exposure: two checks
of one customer or one group never decide on the same headroom.

Idempotent by ``order_ref``: an order with an open reservation or a held check answers the
same again, and nothing is counted twice; the same ``order_ref`` with another customer, amount
or currency is a conflict (409) naming ``order_ref``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.clock import Clock, business_today
from creditguard.core.credit import CheckFacts, Decision, Exposure, Reason, check
from creditguard.core.errors import Conflict, DomainError, Forbidden, Problem, invalid, not_found
from creditguard.core.money import Money, check_currency
from creditguard.core.permissions import Actor, require
from creditguard.credit import repository as repo
from creditguard.credit.schemas import CancelOut, CheckIn, CheckOut, CheckReasonOut, HeldOut
from creditguard.credit.service import notify
from creditguard.credit.service.exposure import check_exposure, exposures_of
from creditguard.credit.service.policy import stored_of
from creditguard.db.direct import Step
from creditguard.db.engine import lock_first
from creditguard.identity import service as identity
from creditguard.models import CreditCheck, CreditReservation
from creditguard.reference import service as reference


def _conflict(field: str, value: object, en: str, zh: str) -> Conflict:
    return Conflict([Problem(field, value, "state", {"reason": en, "reason_zh": zh})])


def reasons_of(row: CreditCheck) -> list[Reason]:
    return [
        Reason(r["code"], r["message_en"], r["message_zh"], r.get("data", {}))
        for r in json.loads(row.reasons)
    ]


def _reasons_body(reasons: tuple[Reason, ...]) -> str:
    return json.dumps(
        [
            {
                "code": r.code,
                "message_en": r.message_en,
                "message_zh": r.message_zh,
                "data": r.data,
            }
            for r in reasons
        ],
        ensure_ascii=False,
    )


def _message(reason: Reason, locale: str) -> CheckReasonOut:
    return CheckReasonOut(
        code=reason.code, message=reason.message_zh if locale == "zh-CN" else reason.message_en
    )


def answer(row: CreditCheck, base: str, locale: str) -> CheckOut:
    """The API's answer for a check row (the same again for a repeated order)."""
    decision = "approved" if row.decision == "approved" else "held"
    return CheckOut(
        decision=decision,
        reasons=[_message(r, locale) for r in reasons_of(row)],
        available=Money(row.available_minor, base).decimal_string(),
        currency=base,
        check_id=row.id,
    )


def _in_base(session: Session, limit: repo.LimitFacts, base: str, as_of: date) -> Money:
    return reference.convert(session, Money(limit.amount_minor, limit.currency), base, as_of)


def _expiry(*limits: repo.LimitFacts | None) -> date | None:
    days = [row.expires_on for row in limits if row is not None and row.expires_on is not None]
    return min(days) if days else None


def decide(  # noqa: PLR0913 - keyword-only beyond the first four
    session: Session,
    customer: repo.Locked,
    known: repo.Facts,
    order: Money,
    *,
    exposure: Exposure,
    group_exposure: Exposure | None,
    prepaid: bool,
    as_of: date,
) -> Decision:
    """Run the core check on what the database holds for the customer (and its group)."""
    base = customer.base_currency
    policy = stored_of(known.policy_version, known.policy_body, base).policy
    limit = Money.zero(base) if known.limit is None else _in_base(session, known.limit, base, as_of)
    group_limit = (
        None if known.group_limit is None else _in_base(session, known.group_limit, base, as_of)
    )
    facts = CheckFacts(
        grade=known.grade,
        blocked=customer.status != "active",
        prepaid=prepaid,
        oldest_overdue_due_on=known.oldest_overdue,
        limit_expires_on=_expiry(known.limit, known.group_limit),
        group_exposure=group_exposure if group_limit is not None else None,
        group_limit=group_limit,
    )
    return check(order, exposure, limit, facts, policy, as_of)


def _same_order(
    row: CreditCheck | CreditReservation, customer: repo.Locked, data: CheckIn, amount: Money
) -> None:
    original = row if isinstance(row, CreditCheck) else None
    differs = row.customer_id != customer.id or (
        original is not None
        and (original.currency, original.amount_minor) != (amount.currency, amount.minor)
    )
    if differs:
        raise _conflict(
            "order_ref",
            data.order_ref,
            "this order was already checked for another customer or amount; "
            "cancel it first or use a new order reference",
            "该订单已按其他客户或金额检查过；请先取消，或使用新的订单号",
        )


def _repeat(
    session: Session, actor: Actor, customer: repo.Locked, data: CheckIn, amount: Money
) -> CreditCheck | None:
    """The check that already answers this order: its open reservation's, or the held one."""
    company_id = actor.company_id
    held = repo.pending_check(session, company_id, data.order_ref)
    if held is not None:
        _same_order(held, customer, data, amount)
        return held
    reserved = repo.reservation(session, company_id, data.order_ref)
    if reserved is None:
        return None
    original = repo.get_check(session, company_id, reserved.check_id)
    assert original is not None
    _same_order(original, customer, data, amount)
    if reserved.status != "reserved":
        raise _conflict(
            "order_ref",
            data.order_ref,
            f"the order's reservation is already {reserved.status}; use a new order reference",
            f"该订单的额度预占已{_STATUS_ZH[reserved.status]}；请使用新的订单号",
        )
    return original


_STATUS_ZH = {"released": "释放", "invoiced": "开票", "cancelled": "取消", "reserved": "预占"}


def _amount(data: CheckIn) -> Money:
    currency = check_currency(data.currency)
    amount = Money.parse(data.amount, currency, "amount")
    if amount.minor <= 0:
        raise invalid("amount", data.amount, "not_positive")
    return amount


def run_check(
    session: Session, actor: Actor, data: CheckIn, clock: Clock, locale: str = "en"
) -> CheckOut:
    """Check an order; approved + ``reserve`` reserves its amount, held waits for a decision.

    Round trips on the usual path (PostgreSQL): BEGIN with the lock (customer + company),
    facts (with the limits), exposure, the check row with its reservation (one statement), and
    COMMIT. Written with Core statements built once: no ORM objects on the hot path.
    The lock is the unit of work's first statement (no separate transaction id on PostgreSQL,
    see :func:`creditguard.db.engine.lock_first`).
    """
    amount = _amount(data)
    lock_first(session)
    customer = repo.lock_customer(session, actor.company_id, data.customer_ref)
    if customer is None:
        raise not_found("customer", data.customer_ref, "customer_ref")
    if customer.parent_id is not None:  # the group root's row after the member's
        repo.lock_customers(session, actor.company_id, [customer.parent_id])
    return _decide_locked(session, Asked(actor, data, locale), amount, customer, clock)


@dataclass(frozen=True, slots=True)
class Asked:
    """One order credit check asked of :func:`run_checks`: by whom, what, in which language."""

    actor: Actor
    data: CheckIn
    locale: str = "en"


def run_checks(
    session: Session,
    asked: Sequence[Asked],
    clock: Clock,
    *,
    commit: bool = False,
    admit: Callable[[int], bool] | None = None,
    answered: Answered | None = None,
) -> list[CheckOut | None]:
    """Several order credit checks in one unit of work, each decided as :func:`run_check`
    decides it alone, in a few round trips for them all. On PostgreSQL: BEGIN with the locks
    of the customers and their group roots, the facts and the exposures (once the company's
    time zone is known: see :data:`_zones`); the rows (with ``commit=True`` and the unit's
    COMMIT: the session must then run nothing more, as its commit is sent).

    An answer is None where the check is not decided here and nothing was written for it: the
    caller checks it alone, with :func:`run_check`, once this unit of work has committed. So
    are: an invalid amount or currency, an unknown customer (the single check raises the
    error), a customer whose row (or whose group root's) another transaction holds (locked
    here with SKIP LOCKED: never waiting, so never deadlocking with a single check), an order
    reference already checked (its repeat or conflict is answered alone), the same order
    reference again, any domain error while deciding (raised before any row is written), and
    every check after the first of one group (a group root and its members, or one customer):
    the exposures are read once for the unit, before its rows are written, so a second check
    of a group must read them again after the first's reservation, alone. So is a check
    ``admit`` refuses: asked of each check's index once the unit's first round trip has run
    (the caller's statements sent with it are then done: see
    :func:`creditguard.db.direct.ahead`).

    ``answered`` (PostgreSQL): called with each company's answers (index, answer) before their
    rows are written, their ids drawn ahead with the lock; the statements it returns are sent
    with the rows, after them (the responses stored under their keys, say), and with the
    COMMIT when ``commit``.
    """
    if answered is not None and session.get_bind().dialect.name != "postgresql":
        raise ValueError("answers before their rows: PostgreSQL only (ids drawn ahead)")
    answers: list[CheckOut | None] = [None] * len(asked)
    chosen: dict[int, list[tuple[int, Money]]] = {}  # company -> (index, amount)
    orders: set[tuple[int, str]] = set()
    for index, one in enumerate(asked):
        company_id, data = one.actor.company_id, one.data
        try:
            amount = _amount(data)
        except DomainError:
            continue
        if (company_id, data.order_ref) not in orders:
            orders.add((company_id, data.order_ref))
            chosen.setdefault(company_id, []).append((index, amount))
    lock_first(session)
    last = len(chosen) - 1
    for n, (company_id, wanted) in enumerate(chosen.items()):
        listed = [(i, asked[i], amount) for i, amount in wanted]
        unit = _lock_unit(session, company_id, listed, clock, admit, draw=answered is not None)
        done = _decide_unit(
            session, company_id, unit, clock, commit=commit and n == last, answered=answered
        )
        for index, out in done:
            answers[index] = out
    return answers


Ready = tuple[int, Asked, Money, repo.Locked]  # index in the unit, the check, amount, customer
# Told a unit's answers (index, answer) before their rows are written: statements to send
# with the rows (run_checks).
Answered = Callable[[list[tuple[int, CheckOut]]], Sequence[Step]]

# The time zone of each company, as its last unit of checks found it: the guess of the next
# unit's business day, whose facts are then read with its locks (repo.lock_unit). The locked
# rows tell the zone; a guess they refute costs a round trip more, never a wrong decision.
_zones: dict[int, str] = {}


@dataclass(frozen=True, slots=True)
class _Unit:
    """The checks of a unit of work that may be decided in it, and what the lock read."""

    asked: list[tuple[str, str]]  # (customer code, order reference) of every check wanted
    ready: list[tuple[int, Ready]]  # those to decide: the position in ``asked``, the check
    locked: repo.Unit


def _lock_unit(
    session: Session,
    company_id: int,
    wanted: Sequence[tuple[int, Asked, Money]],
    clock: Clock,
    admit: Callable[[int], bool] | None,
    *,
    draw: bool,
) -> _Unit:
    """Lock what nobody else holds of the customers, and their group roots: the checks that
    may be decided in this unit, one per group. Their facts are read with the locks when the
    company's time zone is known (see :data:`_zones`)."""
    asked = [(one.data.customer_ref, one.data.order_ref) for _, one, _ in wanted]
    zone = _zones.get(company_id)
    guess = None if zone is None else business_today(clock, zone)
    locked = repo.lock_unit(session, company_id, asked, guess, draw=len(asked) if draw else 0)
    groups: set[int] = set()
    ready: list[tuple[int, Ready]] = []
    for position, (index, one, amount) in enumerate(wanted):
        customer = locked.locked.get(one.data.customer_ref)
        if customer is None or (admit is not None and not admit(index)):
            continue
        if not _group_taken(groups, customer.root_id):
            ready.append((position, (index, one, amount, customer)))
    return _Unit(asked, ready, locked)


def _group_taken(groups: set[int], root_id: int) -> bool:
    """Whether the unit has a check of this group (its root, or a lone customer) already; if
    not, it has now."""
    if root_id in groups:
        return True
    groups.add(root_id)
    return False


def _decide_unit(
    session: Session,
    company_id: int,
    unit: _Unit,
    clock: Clock,
    *,
    commit: bool,
    answered: Answered | None,
) -> list[tuple[int, CheckOut]]:
    """The decisions of the unit's ready checks (a member whose group root another
    transaction holds is left to be checked alone), and their rows (one round trip, with the
    COMMIT when ``commit``). The facts and exposures are those read with the lock, or, read
    for another day (the company's time zone not known, or changed), read again now."""
    if not unit.ready:
        return []
    first = unit.ready[0][1][3]  # one company: one base currency and one business day
    base, as_of = first.base_currency, business_today(clock, first.timezone)
    _zones[company_id] = first.timezone
    read = unit.locked.read
    if read is None or read.as_of != as_of:
        read = repo.read_unit(session, company_id, unit.asked, unit.locked.locked, as_of)
    roots = unit.locked.roots
    todo = [
        (r, k)
        for r, k in ((r, read.facts[position]) for position, r in unit.ready)
        if k is not None
        and not k.checked_before
        and (r[3].parent_id is None or r[3].parent_id in roots)
    ]
    customer_ids = {c.id for _, (_, _, _, c) in unit.ready}
    sums = {key: minor for key, minor in read.sums.items() if key[0] in customer_ids}
    own = exposures_of(session, sums, sorted(customer_ids), base, as_of)
    decided: list[tuple[int, Asked, Money, Money, Decision, repo.Locked]] = []
    for (index, one, amount, customer), k in todo:
        try:
            order, decision = _decision(
                session, one, amount, customer, k, as_of=as_of, own=own.get(customer.id)
            )
        except DomainError:  # nothing written for it yet: the single check answers
            continue
        decided.append((index, one, amount, order, decision, customer))
    now = clock.now()
    rows = [
        (
            _check_values(
                one, amount, order, decision, customer_id=customer.id, as_of=as_of, now=now
            ),
            base if decision.decision == "approved" and one.data.reserve else None,
        )
        for _, one, amount, order, decision, customer in decided
    ]
    if answered is None:
        return _outs(decided, repo.add_checks(session, rows, commit=commit), base)
    if unit.locked.ids is None:
        raise RuntimeError("no check ids drawn with the lock: the answers need theirs")
    ids = unit.locked.ids[: len(decided)]  # the answers first, their rows after
    outs = _outs(decided, ids, base)
    then = answered(outs) if outs else []
    repo.add_checks(session, rows, commit=commit, ids=ids, then=then)
    return outs


def _outs(
    decided: Sequence[tuple[int, Asked, Money, Money, Decision, repo.Locked]],
    ids: Sequence[int],
    base: str,
) -> list[tuple[int, CheckOut]]:
    return [
        (index, _check_out(decision, base, one.locale, check_id))
        for (index, one, _, _, decision, _), check_id in zip(decided, ids, strict=True)
    ]


def _decision(  # noqa: PLR0913 - keyword-only beyond the first five
    session: Session,
    asked: Asked,
    amount: Money,
    customer: repo.Locked,
    known: repo.Facts,
    *,
    as_of: date,
    own: Exposure | None,
) -> tuple[Money, Decision]:
    """The order in the base currency and its decision. ``own``: the customer's exposure when
    it was read already (used only without a group limit); otherwise it is read here."""
    base = customer.base_currency
    order = reference.convert(session, amount, base, as_of)
    if own is not None and known.group_limit is None:
        exposure, group = own, None
    else:
        exposure, group = check_exposure(
            session,
            asked.actor.company_id,
            customer,
            base,
            as_of,
            grouped=known.group_limit is not None,
        )
    decision = decide(
        session,
        customer,
        known,
        order,
        exposure=exposure,
        group_exposure=group,
        prepaid=asked.data.prepaid,
        as_of=as_of,
    )
    return order, decision


def _check_values(  # noqa: PLR0913 - the row's parts
    asked: Asked,
    amount: Money,
    order: Money,
    decision: Decision,
    *,
    customer_id: int,
    as_of: date,
    now: datetime,
) -> dict[str, Any]:
    """The ``credit_checks`` row of a decided check."""
    return {
        "company_id": asked.actor.company_id,
        "customer_id": customer_id,
        "order_ref": asked.data.order_ref,
        "currency": amount.currency,
        "amount_minor": amount.minor,
        "base_amount_minor": order.minor,
        "decision": decision.decision,
        "status": decision.decision,
        "reasons": _reasons_body(decision.reasons),
        "available_minor": decision.available.minor,
        "reserve": asked.data.reserve,
        "checked_on": as_of,
        "requested_at": now,
        "requested_by": asked.actor.principal,
    }


def _check_out(decision: Decision, base: str, locale: str, check_id: int) -> CheckOut:
    return CheckOut(
        decision="approved" if decision.decision == "approved" else "held",
        reasons=[_message(r, locale) for r in decision.reasons],
        available=decision.available.decimal_string(),
        currency=base,
        check_id=check_id,
    )


def _decide_locked(
    session: Session,
    asked: Asked,
    amount: Money,
    customer: repo.Locked,
    clock: Clock,
) -> CheckOut:
    """Decide a check whose customer (and group root) this unit of work has locked, and write
    it; an order reference already checked is answered as it was (or is a conflict)."""
    actor, data, locale = asked.actor, asked.data, asked.locale
    base = customer.base_currency
    as_of = business_today(clock, customer.timezone)
    known = repo.facts(
        session, actor.company_id, customer.id, customer.root_id, data.order_ref, as_of
    )
    repeated = _repeat(session, actor, customer, data, amount) if known.checked_before else None
    if repeated is not None:
        return answer(repeated, base, locale)
    order, decision = _decision(session, asked, amount, customer, known, as_of=as_of, own=None)
    values = _check_values(
        asked, amount, order, decision, customer_id=customer.id, as_of=as_of, now=clock.now()
    )
    reserves = decision.decision == "approved" and data.reserve
    check_id = repo.add_check(session, values, reserve_in=base if reserves else None)
    return _check_out(decision, base, locale, check_id)


def _reserve(session: Session, row: CreditCheck, by: str, clock: Clock) -> CreditReservation:
    assert row.order_ref is not None
    reservation = CreditReservation(
        company_id=row.company_id,
        customer_id=row.customer_id,
        check_id=row.id,
        order_ref=row.order_ref,
        currency=identity.require_company(session, row.company_id).base_currency,
        amount_minor=row.base_amount_minor,
        status="reserved",
        created_at=clock.now(),
        created_by=by,
    )
    session.add(reservation)
    session.flush()
    return reservation


def cancel(session: Session, actor: Actor, order_ref: str, clock: Clock) -> CancelOut:
    """The order is cancelled: its reservation is released (status ``cancelled``) and a held
    check of it no longer waits for a decision (status ``cancelled``)."""
    reserved = repo.reservation(session, actor.company_id, order_ref)
    held = repo.pending_check(session, actor.company_id, order_ref)
    if reserved is None and held is None:
        raise not_found("order", order_ref, "order_ref")
    if reserved is not None:
        repo.lock_customers(session, actor.company_id, [reserved.customer_id])
        session.refresh(reserved)
        if reserved.status != "reserved":
            raise _conflict(
                "order_ref",
                order_ref,
                f"the reservation is already {reserved.status}",
                f"该额度预占已{_STATUS_ZH[reserved.status]}",
            )
        reserved.status = "cancelled"
        reserved.closed_at = clock.now()
        reserved.closed_by = actor.principal
    if held is not None:
        held.status = "cancelled"
    session.flush()
    base = identity.require_company(session, actor.company_id).base_currency
    return CancelOut(
        order_ref=order_ref,
        released=Money(0 if reserved is None else reserved.amount_minor, base).decimal_string(),
        currency=base,
        held_check_cancelled=held.id if held is not None else None,
    )


# --- held orders ---


def held_out(row: CreditCheck, code: str, base: str, locale: str) -> HeldOut:
    return HeldOut(
        id=row.id,
        customer_ref=code,
        order_ref=row.order_ref,
        amount=Money(row.amount_minor, row.currency).decimal_string(),
        currency=row.currency,
        base_amount=Money(row.base_amount_minor, base).decimal_string(),
        decision="approved" if row.decision == "approved" else "held",
        status=row.status,
        reserve=row.reserve,
        reasons=[_message(r, locale) for r in reasons_of(row)],
        available=Money(row.available_minor, base).decimal_string(),
        checked_on=row.checked_on,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
    )


STATUSES = ("approved", "held", "released", "rejected", "cancelled")


def list_checks(
    session: Session, actor: Actor, status: str | None, locale: str = "en", limit: int = 500
) -> list[HeldOut]:
    if status is not None and status not in STATUSES:
        raise invalid(
            "status",
            status,
            "invalid",
            reason=f"the statuses are {', '.join(STATUSES)}",
            reason_zh=f"可用状态为 {'、'.join(STATUSES)}",
        )
    base = identity.require_company(session, actor.company_id).base_currency
    return [
        held_out(row, code, base, locale)
        for row, code in repo.checks(session, actor.company_id, status, limit)
    ]


def decide_held(  # noqa: PLR0913 - keyword-only beyond the first three
    session: Session,
    actor: Actor,
    check_id: int,
    *,
    verdict: str,
    note: str,
    clock: Clock,
    locale: str = "en",
) -> HeldOut:
    """Release or reject a held order; never by its requester. Audited; the requester told.

    Releasing a reserving check reserves the order's amount (authority overrides the limit).
    """
    require(actor, "credit:decide")
    row = repo.get_check(session, actor.company_id, check_id)
    if row is None:
        raise not_found("credit check", check_id)
    repo.lock_customers(session, actor.company_id, [row.customer_id])
    session.refresh(row)
    if row.status != "held":
        raise _conflict(
            "status",
            row.status,
            f"only a held order can be decided; this one is {row.status}",
            f"只有待审订单可以处理；该订单状态为 {row.status}",
        )
    if row.requested_by == actor.principal:
        raise Forbidden(
            [
                Problem(
                    "decided_by",
                    actor.principal,
                    "invalid",
                    {
                        "rule": "self_approval",
                        "reason": "the requester may not decide their own held order",
                        "reason_zh": "申请人不得处理自己提交的待审订单",
                    },
                )
            ]
        )
    if not note.strip():
        raise invalid("note", note, "required")
    now = clock.now()
    row.status = "released" if verdict == "release" else "rejected"
    row.decided_at = now
    row.decided_by = actor.principal
    row.decision_note = note
    session.flush()
    releases = verdict == "release" and row.reserve and row.order_ref is not None
    if releases and repo.reservation(session, actor.company_id, str(row.order_ref)) is None:
        _reserve(session, row, actor.principal, clock)
    code = repo.customer_code(session, actor.company_id, row.customer_id)
    base = identity.require_company(session, actor.company_id).base_currency
    audit.record(
        session,
        actor.company_id,
        actor.principal,
        audit.Event(
            f"credit_check.{row.status}",
            f"credit_check:{row.id}",
            {
                "order_ref": row.order_ref,
                "customer": code,
                "amount_minor": row.amount_minor,
                "currency": row.currency,
                "requested_by": row.requested_by,
                "note": note,
            },
        ),
        now,
    )
    notify.tell_requester(session, row, code, now)
    return held_out(row, code, base, locale)
