"""The nightly limit review (额度动态调整): propose increases and cuts, each explained.

One customer at a time, from facts the caller gathered column-wise for the whole portfolio
(payment behaviour, sales volume, the grade that holds, the limit that holds and the policy's
suggestion for the grade). Pure: the caller passes ``as_of``; thresholds are data. A group
limit (集团额度) goes through the same rules with the group's facts pooled by the caller (the
worst grade of the group, its payments and sales together, every member's alerts), its
proposal opened by :func:`group_line`.

Rules (defaults in :class:`Thresholds`):

* **Cut** (降额) when the grade's suggested limit is now below the current limit (a downgrade:
  cut to the suggestion), or when payments are getting later — the 3-month amount-weighted days
  late exceeds the 12-month one by ``rising_days`` or more, or the share paid late in the last
  3 months is above ``late_share_percent`` (cut by ``cut_percent``, rounded down to the step).
  Both: the lower amount. A cut is always inside policy (it lowers risk): applied at once.
  The late cut needs new evidence: money applied late after the limit last changed
  (``last_late_on`` after ``changed_on``). The payments the last change saw — a person's
  decision, or the review's own cut — are not counted twice: without this, the same late
  month would cut again each time ``quiet_days`` ran out while it is still in the window.
* **Increase** (提额) when the record is clean (nothing more than ``clean_days`` late in the
  last 12 months, nothing open more than that past due), sales are rising (the last 6 months
  at least ``growth_percent`` above the 6 before), the grade is one of ``increase_grades`` and
  the current limit is below the suggestion: proposed = the suggestion. Inside policy — and
  applied at once — when it is at most ``auto_increase_percent`` above the current limit;
  otherwise it goes to the approval ladder.
* **Risk alerts** (风险预警信号, :mod:`creditguard.core.alerts`). The caller passes the
  customer's open alerts (status ``open`` when the review runs); one observed after ``as_of``
  is ignored. An alert is *new* when it was recorded after the limit last changed (its
  ``recorded_at`` after the limit's ``changed_at``; a limit never changed: every alert is
  new) — information no one has acted on. Instants, not business days: an alert recorded the
  same day as a change but after it is new, whereas with dates a feed's alert of the morning
  after a night review (which changed the limit that business day) would never count. A new
  **critical** alert cuts the limit to zero; a new **high** one by ``alert_cut_percent``
  (rounded down to the step); several: one cut, the lowest. The limit the review then sets
  is newer than the alert, so the alert is not new the next night: no compounding. A new
  alert overrides ``quiet_days`` for its own cut (a person's decision is second-guessed only
  with information that person did not have); the other cuts still wait. **Medium** and
  **low** alerts never change a limit on their own; no increase is proposed while any alert
  is open (new or not).
* Cuts win over increases; among cuts, the lowest target. A limit changed less than
  ``quiet_days`` ago — by an approved request or by the review — is otherwise left alone: a
  person's decision is not second-guessed the next night, running twice the same night
  changes nothing twice, and a cut is not compounded every night while the late payments are
  still in the 3-month window. A customer without a limit is not reviewed (a first limit is
  set through a request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Final, Literal

from creditguard.core.alerts import kind_label, severity_label
from creditguard.core.limits import Line
from creditguard.core.money import Money

HUNDRED: Final = Decimal(100)
CUTTING: Final = ("critical", "high")  # the severities a new alert cuts for


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The review's thresholds; every one is data, with these defaults."""

    clean_days: int = 15  # a clean record: nothing more than 15 days late in 12 months
    growth_percent: Decimal = Decimal(20)  # last 6 months' sales vs the 6 before
    increase_grades: tuple[str, ...] = ("A", "B")
    auto_increase_percent: Decimal = Decimal(20)  # increases up to +20 % apply at once
    rising_days: Decimal = Decimal(5)  # 3-month days late minus 12-month: rising when >= 5
    late_share_percent: Decimal = Decimal(30)  # share of the amount paid late, last 3 months
    cut_percent: Decimal = Decimal(25)  # a cut for late payments takes 25 % off
    quiet_days: int = 30  # after any change (a person's or the review's), leave it this long
    alert_cut_percent: Decimal = Decimal(50)  # a new high alert takes 50 % off


@dataclass(frozen=True, slots=True)
class Alert:
    """An open risk alert of a customer, as the review reads it (:mod:`creditguard.core.alerts`).

    ``recorded_at``: the instant it was recorded, compared with the limit's last change.
    ``member``: the code of the group member it is on, when a group limit is reviewed and the
    alert is not on the group's parent (named in the explanation: the group is many customers).
    """

    kind: str
    severity: str
    observed_on: date
    source: str
    recorded_at: datetime
    member: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the review knows of one customer on ``as_of`` (amounts in the base currency).

    ``max_days_late``: the most days late of money paid in the last 12 months or of an item
    still open (``None``: no payment and nothing open). ``days_late_3m`` / ``days_late_12m``:
    amount-weighted days late; ``share_late_3m``: percent of the amount paid late;
    ``last_late_on``: the last day in those 3 months money was applied late (``None``: none).
    """

    customer_id: int
    grade: str | None
    current: Money
    suggested: Money
    max_days_late: int | None = None
    days_late_3m: Decimal | None = None
    days_late_12m: Decimal | None = None
    share_late_3m: Decimal | None = None
    sales_recent: int = 0  # the last 6 months, minor units
    sales_before: int = 0  # the 6 months before
    changed_on: date | None = None  # business day the limit last changed (request or review)
    changed_at: datetime | None = None  # the instant it changed (read where there are alerts)
    alerts: tuple[Alert, ...] = ()  # open alerts (status open when the review runs)
    last_late_on: date | None = None  # the late cut's new evidence (see the module's rules)


PlainFacts = tuple[
    int, int, str | None, int | None, Decimal | None, Decimal | None, Decimal | None, int, int,
    date | None, datetime | None, tuple[Alert, ...], date | None,
]  # fmt: skip
""":class:`Facts` as plain values, for :func:`may_propose` (see there)."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A new limit for one customer: applied at once (``auto``) or sent for approval."""

    customer_id: int
    kind: Literal["increase", "cut"]
    current: Money
    proposed: Money
    auto: bool
    as_of: date
    explanation: tuple[Line, ...]


Cut = tuple[Money, list[Line]]


def _cut(
    facts: Facts, rules: Thresholds, step: Money, cutting: Sequence[Alert], *, quiet: bool
) -> Cut | None:
    """Return the lowest of the cuts that apply, with their lines (``None``: none applies).

    Inside ``quiet_days`` only a new alert's cut is considered (see the module's rules).
    """
    found = [_alert_cut(facts.current, rules, step, cutting)]
    if not quiet:
        found = [_suggestion_cut(facts), _late_cut(facts, rules, step), *found]
    cuts = [cut for cut in found if cut is not None and cut[0].minor < facts.current.minor]
    if not cuts:
        return None
    target = min((t for t, _ in cuts), key=lambda t: t.minor)
    return target, [line for _, lines in cuts for line in lines]


def _floor(amount: Money, step: Money) -> Money:
    """``amount`` rounded down to a whole number of steps."""
    return Money(amount.minor // step.minor * step.minor, amount.currency)


def _suggestion_cut(facts: Facts) -> Cut | None:
    if not facts.suggested < facts.current:
        return None
    line = Line(
        "above_suggestion",
        f"{facts.grade or '未评'} 级建议额度 {facts.suggested.amount} 低于现有额度 "
        f"{facts.current.amount}，降至建议额度",
        f"the suggested limit for grade {facts.grade or 'unrated'} "
        f"({facts.suggested.amount}) is below the current limit ({facts.current.amount}): "
        "cut to the suggestion",
    )
    return facts.suggested, [line]


def _late_cut(facts: Facts, rules: Thresholds, step: Money) -> Cut | None:
    if not _late_since(facts.last_late_on, facts.changed_on):
        return None
    late = _late_lines(facts, rules)
    if not late:
        return None
    kept = facts.current.times((HUNDRED - rules.cut_percent) / HUNDRED)
    late.append(
        Line(
            "late_cut",
            f"付款延迟：额度下调 {rules.cut_percent}%（按 {step.amount} 向下取整）",
            f"paying later: the limit is cut by {rules.cut_percent}% (rounded down to a "
            f"step of {step.amount})",
        )
    )
    return _floor(kept, step), late


def _alert_line(alert: Alert) -> Line:
    kind_zh, kind_en = kind_label(alert.kind)
    severity_zh, severity_en = severity_label(alert.severity)
    on_zh = "" if alert.member is None else f"（成员 {alert.member}）"
    on_en = "" if alert.member is None else f" on member {alert.member}"
    return Line(
        "alert",
        f"风险预警{on_zh}：{kind_zh}（{severity_zh}），发生于 {alert.observed_on}，"
        f"来源 {alert.source}",
        f"risk alert{on_en}: {kind_en} ({severity_en}), observed on {alert.observed_on}, "
        f"source {alert.source}",
    )


def group_line(parent: str, members: int) -> Line:
    """Return the first line of a group limit's proposal: whose limit and on what it was judged.

    A group limit (集团额度) is held on the group's parent and shared by its members; the
    review judges it on the group's facts pooled (the worst grade, every payment and sale of
    the group, every open alert), not on the parent's own.
    """
    noun = "member" if members == 1 else "members"
    return Line(
        "group",
        f"集团额度：母公司 {parent} 及 {members} 家成员，按集团合并的付款与销售复评",
        f"group limit: parent {parent} and {members} {noun}, reviewed on the group's pooled "
        "payments and sales",
    )


def _alert_cut(
    current: Money, rules: Thresholds, step: Money, cutting: Sequence[Alert]
) -> Cut | None:
    """Cut to zero for a new critical alert, by ``alert_cut_percent`` for a new high one."""
    if not cutting:
        return None
    lines = [_alert_line(alert) for alert in cutting]
    if any(alert.severity == "critical" for alert in cutting):
        lines.append(
            Line(
                "alert_cut",
                "严重风险预警：额度降至 0",
                "a critical risk alert: the limit is cut to zero",
            )
        )
        return Money(0, current.currency), lines
    kept = current.times((HUNDRED - rules.alert_cut_percent) / HUNDRED)
    lines.append(
        Line(
            "alert_cut",
            f"高风险预警：额度下调 {rules.alert_cut_percent}%（按 {step.amount} 向下取整）",
            f"a high risk alert: the limit is cut by {rules.alert_cut_percent}% (rounded down "
            f"to a step of {step.amount})",
        )
    )
    return _floor(kept, step), lines


def new_alerts(alerts: Sequence[Alert], changed_at: datetime | None, as_of: date) -> list[Alert]:
    """Return the alerts that are new information on ``as_of``.

    New: observed by then and recorded after the limit last changed (a limit never changed:
    every one observed by then).
    """
    return [
        alert
        for alert in alerts
        if alert.observed_on <= as_of and (changed_at is None or alert.recorded_at > changed_at)
    ]


def _cutting(alerts: Sequence[Alert], changed_at: datetime | None, as_of: date) -> list[Alert]:
    """Return the new alerts severe enough to cut (critical, high)."""
    if not alerts:  # most customers: nothing to look at
        return []
    return [a for a in new_alerts(alerts, changed_at, as_of) if a.severity in CUTTING]


def _any_open(alerts: Sequence[Alert], as_of: date) -> bool:
    """Whether an alert observed by ``as_of`` is open: no increase is proposed then."""
    return any(alert.observed_on <= as_of for alert in alerts)


def _quiet(changed_on: date | None, rules: Thresholds, as_of: date) -> bool:
    return changed_on is not None and (as_of - changed_on).days < rules.quiet_days


def _late_since(last_late_on: date | None, changed_on: date | None) -> bool:
    """Return whether money was applied late after the limit last changed (new evidence).

    Payments the last change already saw (a person's decision, or the review's own cut) stay
    in the 3-month window for up to 3 months; without this they would cut again every
    ``quiet_days`` for the same late payments.
    """
    if changed_on is None:
        return True
    return last_late_on is not None and last_late_on > changed_on


def _late_lines(facts: Facts, rules: Thresholds) -> list[Line]:
    lines = []
    recent, year = facts.days_late_3m, facts.days_late_12m
    if recent is not None and year is not None and recent - year >= rules.rising_days:
        lines.append(
            Line(
                "late_rising",
                f"近 3 个月加权逾期天数 {recent} 比近 12 个月 {year} 增加 {recent - year} 天"
                f"（阈值 {rules.rising_days}）",
                f"amount-weighted days late rising: {recent} over 3 months vs {year} over 12 "
                f"(+{recent - year}, threshold {rules.rising_days})",
            )
        )
    share = facts.share_late_3m
    if share is not None and share > rules.late_share_percent:
        lines.append(
            Line(
                "late_share",
                f"近 3 个月逾期付款金额占比 {share}% 高于 {rules.late_share_percent}%",
                f"{share}% of the amount paid in 3 months was paid late "
                f"(above {rules.late_share_percent}%)",
            )
        )
    return lines


def _growth(facts: Facts) -> Decimal | None:
    """Sales growth in percent, last 6 months vs the 6 before (``None``: nothing before)."""
    return _growth_of(facts.sales_recent, facts.sales_before)


def _growth_of(recent: int, before: int) -> Decimal | None:
    if before <= 0:
        return None
    change = Decimal(recent - before) * HUNDRED / before
    return change.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def _rising(
    recent: Decimal | None, year: Decimal | None, share: Decimal | None, rules: Thresholds
) -> bool:
    """Whether payments are getting later (the late cut's conditions)."""
    if recent is not None and year is not None and recent - year >= rules.rising_days:
        return True
    return share is not None and share > rules.late_share_percent


def _may_increase(facts: PlainFacts, rules: Thresholds) -> bool:
    (current, suggested, grade, most_late, _, _, _, sales, before, *_) = facts
    if not (
        current < suggested
        and grade in rules.increase_grades
        and most_late is not None
        and most_late <= rules.clean_days
        and before > 0
    ):
        return False
    growth = _growth_of(sales, before)
    return growth is not None and growth >= rules.growth_percent


def may_propose(
    facts: PlainFacts,
    rules: Thresholds,
    as_of: date,
) -> bool:
    """Whether :func:`review` can propose anything for these plain facts (``False``: surely not).

    Decided before any object is built (most customers, most nights). ``facts``: current and
    suggested limit (minor units, one currency), grade, max_days_late, days_late_3m,
    days_late_12m, share_late_3m, sales_recent, sales_before, changed_on, changed_at, alerts,
    last_late_on, as in :class:`Facts`.
    """
    (current, suggested, _, _, recent, year, share, _, _, changed, changed_at, alerts,
     last_late) = facts  # fmt: skip
    if current > 0 and _cutting(alerts, changed_at, as_of):
        return True  # a new alert's cut, even inside quiet days
    if _quiet(changed, rules, as_of):
        return False
    if suggested < current:
        return True  # a cut to the suggestion
    if _rising(recent, year, share, rules) and _late_since(last_late, changed):
        return True  # a cut for late payments
    if alerts and _any_open(alerts, as_of):
        return False  # no increase while an alert is open
    return _may_increase(facts, rules)


def _plain(facts: Facts) -> PlainFacts:
    return (facts.current.minor, facts.suggested.minor, facts.grade, facts.max_days_late,
            facts.days_late_3m, facts.days_late_12m, facts.share_late_3m, facts.sales_recent,
            facts.sales_before, facts.changed_on, facts.changed_at, facts.alerts,
            facts.last_late_on)  # fmt: skip


def _increase(facts: Facts, rules: Thresholds) -> list[Line] | None:
    """Return the lines of an increase when every condition holds (``None``: no increase)."""
    growth = _growth(facts)
    clean = facts.max_days_late is not None and facts.max_days_late <= rules.clean_days
    if not (
        facts.grade in rules.increase_grades
        and clean
        and growth is not None
        and growth >= rules.growth_percent
        and facts.current < facts.suggested
    ):
        return None
    return [
        Line(
            "clean_record",
            f"近 12 个月无超过 {rules.clean_days} 天的逾期（最长 {facts.max_days_late} 天）",
            f"clean record: nothing more than {rules.clean_days} days late in 12 months "
            f"(at most {facts.max_days_late})",
        ),
        Line(
            "rising_volume",
            f"近 6 个月销售额较前 6 个月增长 {growth}%（阈值 {rules.growth_percent}%）",
            f"sales up {growth}% in the last 6 months vs the 6 before "
            f"(threshold {rules.growth_percent}%)",
        ),
        Line(
            "good_grade",
            f"评级 {facts.grade}，建议额度 {facts.suggested.amount}",
            f"grade {facts.grade}, suggested limit {facts.suggested.amount}",
        ),
    ]


def review(facts: Facts, rules: Thresholds, step: Money, as_of: date) -> Proposal | None:
    """Propose a cut or an increase for one customer, explained; ``None``: leave it as it is.

    A cut is always applied at once; an increase up to ``auto_increase_percent`` above the
    current limit too, a larger one goes for approval (see the module's rules).
    """
    cutting = _cutting(facts.alerts, facts.changed_at, as_of)
    quiet = _quiet(facts.changed_on, rules, as_of)
    if quiet and not cutting:
        return None
    if facts.current.currency == facts.suggested.currency and not may_propose(
        _plain(facts), rules, as_of
    ):
        return None
    cut = _cut(facts, rules, step, cutting, quiet=quiet)
    if cut is not None:
        target, lines = cut
        lines.append(_auto_line(auto=True, rules=rules))
        return Proposal(
            facts.customer_id, "cut", facts.current, target, auto=True, as_of=as_of,
            explanation=tuple(lines),
        )  # fmt: skip
    if quiet or _any_open(facts.alerts, as_of):
        return None  # no increase inside quiet days, nor while an alert is open
    lines_up = _increase(facts, rules)
    if lines_up is None:
        return None
    band = facts.current.times((HUNDRED + rules.auto_increase_percent) / HUNDRED)
    auto = facts.current.minor > 0 and facts.suggested <= band
    lines_up.append(_auto_line(auto=auto, rules=rules))
    return Proposal(
        facts.customer_id, "increase", facts.current, facts.suggested, auto, as_of, tuple(lines_up)
    )


def _auto_line(*, auto: bool, rules: Thresholds) -> Line:
    if auto:
        return Line(
            "inside_policy",
            f"在政策范围内（降额，或提额不超过 {rules.auto_increase_percent}%），自动生效",
            f"inside policy (a cut, or an increase of at most {rules.auto_increase_percent}%): "
            "applied automatically",
        )
    return Line(
        "needs_approval",
        f"提额超过 {rules.auto_increase_percent}%，按审批权限提交审批",
        f"an increase above {rules.auto_increase_percent}%: sent for approval by authority",
    )
