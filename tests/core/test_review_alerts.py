"""The review's rules for risk alerts, as decision tables; and may_propose agrees with review."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from creditguard.core.money import Money
from creditguard.core.review import (
    Alert,
    Facts,
    PlainFacts,
    Thresholds,
    may_propose,
    review,
)

AS_OF = date(2026, 11, 22)
STEP = Money.parse("10000", "CNY")
RULES = Thresholds()
CHANGED_AT = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)  # the limit's last change
AFTER = CHANGED_AT + timedelta(days=60)
LATE = date(2026, 11, 10)  # money applied late after the last change: the late cut's evidence


def cny(amount: str) -> Money:
    return Money.parse(amount, "CNY")


def alert(severity: str, *, kind: str = "litigation", recorded_at: datetime = AFTER,
          observed_on: date = date(2026, 11, 20)) -> Alert:  # fmt: skip
    return Alert(kind, severity, observed_on, "qichacha", recorded_at)


# Every increase condition holds (as in test_review.GOOD); the limit last changed on 1 September.
GOOD = Facts(
    customer_id=1,
    grade="A",
    current=cny("1015000"),
    suggested=cny("1200000"),
    max_days_late=15,
    days_late_3m=Decimal("2"),
    days_late_12m=Decimal("3"),
    share_late_3m=Decimal("10"),
    sales_recent=1_200_000_00,
    sales_before=1_000_000_00,
    changed_on=date(2026, 9, 1),
    changed_at=CHANGED_AT,
)


def _outcome(facts: Facts) -> tuple[str, str, tuple[str, ...]] | None:
    made = review(facts, RULES, STEP, AS_OF)
    if made is None:
        return None
    return made.kind, made.proposed.decimal_string(), tuple(line.code for line in made.explanation)


CUT_LINES = ("alert", "alert_cut", "inside_policy")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {},
            (
                "increase",
                "1200000.00",
                ("clean_record", "rising_volume", "good_grade", "inside_policy"),
            ),
        ),
        # a new critical alert: cut to zero; a high one: -50 %, rounded down to the step
        ({"alerts": (alert("critical"),)}, ("cut", "0.00", CUT_LINES)),
        ({"alerts": (alert("high"),)}, ("cut", "500000.00", CUT_LINES)),  # 507,500 -> 500,000
        (
            {"alerts": (alert("high"), alert("critical", kind="enforcement"))},
            ("cut", "0.00", ("alert", "alert", "alert_cut", "inside_policy")),
        ),
        # medium and low never change a limit, and no increase is proposed while they are open
        ({"alerts": (alert("medium"),)}, None),
        ({"alerts": (alert("low"),)}, None),
        # an alert recorded before the limit last changed (or at that instant) was known: no
        # cut; still open, it blocks the increase
        ({"alerts": (alert("critical", recorded_at=CHANGED_AT),)}, None),
        ({"alerts": (alert("high", recorded_at=CHANGED_AT - timedelta(days=1)),)}, None),
        (
            {"alerts": (alert("high", recorded_at=CHANGED_AT + timedelta(seconds=1)),)},
            ("cut", "500000.00", CUT_LINES),
        ),
        # a limit never changed: every alert is new
        (
            {
                "changed_on": None,
                "changed_at": None,
                "alerts": (alert("high", recorded_at=CHANGED_AT),),
            },
            ("cut", "500000.00", CUT_LINES),
        ),
        # an event observed after as_of is not yet an alert of the review
        (
            {"alerts": (alert("critical", observed_on=date(2026, 11, 23)),)},
            (
                "increase",
                "1200000.00",
                ("clean_record", "rising_volume", "good_grade", "inside_policy"),
            ),
        ),
        ({"alerts": (alert("critical", observed_on=AS_OF),)}, ("cut", "0.00", CUT_LINES)),
        # nothing to cut from
        ({"current": cny("0"), "alerts": (alert("critical"),)}, None),
    ],
)
def test_alerts(change: dict[str, object], expected: object) -> None:
    assert _outcome(replace(GOOD, **change)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # the lowest target wins among all cut reasons, every reason explained
        (
            {"share_late_3m": Decimal("31"), "last_late_on": LATE, "alerts": (alert("high"),)},
            ("cut", "500000.00", ("late_share", "late_cut", *CUT_LINES)),
        ),
        (
            {"suggested": cny("400000"), "alerts": (alert("high"),)},
            ("cut", "400000.00", ("above_suggestion", *CUT_LINES)),
        ),
        (
            {"suggested": cny("600000"), "alerts": (alert("high"),)},
            ("cut", "500000.00", ("above_suggestion", *CUT_LINES)),
        ),
        # a medium alert beside a late cut: the late cut alone
        (
            {"share_late_3m": Decimal("31"), "last_late_on": LATE, "alerts": (alert("medium"),)},
            ("cut", "760000.00", ("late_share", "late_cut", "inside_policy")),
        ),
    ],
)
def test_cuts_with_alerts(change: dict[str, object], expected: object) -> None:
    assert _outcome(replace(GOOD, **change)) == expected  # type: ignore[arg-type]


DECIDED = datetime(2026, 11, 21, 2, tzinfo=UTC)
YESTERDAY = {"changed_on": date(2026, 11, 21), "changed_at": DECIDED}
LATER = datetime(2026, 11, 21, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),  # quiet: a person decided yesterday
        ({"alerts": (alert("high", recorded_at=LATER),)}, ("cut", "500000.00", CUT_LINES)),
        ({"alerts": (alert("critical", recorded_at=LATER),)}, ("cut", "0.00", CUT_LINES)),
        ({"alerts": (alert("medium", recorded_at=LATER),)}, None),
        # the alert was known when the limit was decided
        ({"alerts": (alert("critical", recorded_at=DECIDED),)}, None),
        # inside quiet days only the alert's own cut: the late payments wait
        (
            {
                "share_late_3m": Decimal("31"),
                "suggested": cny("100000"),
                "alerts": (alert("high", recorded_at=LATER),),
            },
            ("cut", "500000.00", CUT_LINES),
        ),
    ],
)
def test_a_new_alert_overrides_quiet_days_for_its_cut(
    change: dict[str, object], expected: object
) -> None:
    facts = replace(GOOD, **{**YESTERDAY, **change})  # type: ignore[arg-type]
    assert _outcome(facts) == expected


def test_alert_lines_name_kind_severity_day_and_source_in_both_languages() -> None:
    made = review(replace(GOOD, alerts=(alert("high"),)), RULES, STEP, AS_OF)
    assert made is not None
    first, cut = made.explanation[0], made.explanation[1]
    assert first.en == "risk alert: litigation (high), observed on 2026-11-20, source qichacha"
    assert first.zh == "风险预警：诉讼（高），发生于 2026-11-20，来源 qichacha"
    assert (
        cut.en == "a high risk alert: the limit is cut by 50% (rounded down to a step of 10000.00)"
    )
    assert cut.zh == "高风险预警：额度下调 50%（按 10000.00 向下取整）"
    zero = review(replace(GOOD, alerts=(alert("critical", kind="bankruptcy_filing"),)), RULES,
                  STEP, AS_OF)  # fmt: skip
    assert zero is not None
    assert [(line.zh, line.en) for line in zero.explanation[:2]] == [
        ("风险预警：破产申请（严重），发生于 2026-11-20，来源 qichacha",
         "risk alert: bankruptcy filing (critical), observed on 2026-11-20, source qichacha"),
        ("严重风险预警：额度降至 0", "a critical risk alert: the limit is cut to zero"),
    ]  # fmt: skip


def test_the_alert_cut_percent_is_data() -> None:
    rules = Thresholds(alert_cut_percent=Decimal(30))
    made = review(replace(GOOD, alerts=(alert("high"),)), rules, STEP, AS_OF)
    assert made is not None
    assert made.proposed == cny("710000")  # 1,015,000 x 70 % = 710,500 -> 710,000


# --- may_propose never says "surely not" where review proposes ---


def plain(facts: Facts) -> PlainFacts:
    return (facts.current.minor, facts.suggested.minor, facts.grade, facts.max_days_late,
            facts.days_late_3m, facts.days_late_12m, facts.share_late_3m, facts.sales_recent,
            facts.sales_before, facts.changed_on, facts.changed_at, facts.alerts,
            facts.last_late_on)  # fmt: skip


def _ignoring_alerts(facts: PlainFacts, rules: Thresholds, as_of: date) -> bool:
    """A broken filter: the one from before alerts, which knows nothing of them."""
    return may_propose((*facts[:10], None, (), facts[12]), rules, as_of)


DAYS = st.integers(min_value=-5, max_value=60)
alerts = st.lists(
    st.builds(
        lambda severity, observed, recorded: Alert(
            "other", severity, AS_OF - timedelta(days=observed),
            "manual", CHANGED_AT + timedelta(hours=recorded),
        ),
        st.sampled_from(["low", "medium", "high", "critical"]),
        DAYS,
        st.integers(min_value=-48, max_value=48),
    ),
    max_size=3,
).map(tuple)  # fmt: skip
facts_strategy = st.builds(
    lambda current, suggested, grade, late, days, share, sales, changed, found, last: replace(
        GOOD,
        current=cny(str(current)),
        suggested=cny(str(suggested)),
        grade=grade,
        max_days_late=late,
        days_late_3m=days,
        share_late_3m=share,
        sales_recent=sales,
        changed_on=None if changed is None else CHANGED_AT.date() + timedelta(days=changed),
        changed_at=None if changed is None else CHANGED_AT + timedelta(days=changed),
        alerts=found,
        last_late_on=None if last is None else AS_OF - timedelta(days=last),
    ),
    st.sampled_from([0, 5000, 1015000, 1200000]),
    st.sampled_from([0, 1015000, 1200000, 2000000]),
    st.sampled_from(["A", "B", "C", None]),
    st.sampled_from([None, 0, 15, 16]),
    st.sampled_from([None, Decimal("2"), Decimal("8")]),
    st.sampled_from([None, Decimal("10"), Decimal("31")]),
    st.sampled_from([0, 1_100_000_00, 1_200_000_00]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
    alerts,
    st.one_of(st.none(), st.integers(min_value=0, max_value=95)),
)


@settings(max_examples=400, deadline=None)
@given(facts=facts_strategy)
def test_may_propose_is_true_wherever_review_proposes(facts: Facts) -> None:
    if review(facts, RULES, STEP, AS_OF) is not None:
        assert may_propose(plain(facts), RULES, AS_OF)


def test_the_broken_filter_is_caught() -> None:
    # The filter from before alerts would drop a customer a new alert cuts inside quiet days.
    facts = replace(GOOD, **{**YESTERDAY, "alerts": (alert("high", recorded_at=LATER),)})  # type: ignore[arg-type]
    assert review(facts, RULES, STEP, AS_OF) is not None
    assert may_propose(plain(facts), RULES, AS_OF)
    assert not _ignoring_alerts(plain(facts), RULES, AS_OF)


def test_the_property_finds_the_broken_filter_wrong() -> None:
    # The same search, run on the broken filter, finds a customer it would wrongly drop.
    def dropped(facts: Facts) -> bool:
        proposed = review(facts, RULES, STEP, AS_OF) is not None
        return proposed and not _ignoring_alerts(plain(facts), RULES, AS_OF)

    found = find(facts_strategy, dropped, settings=settings(max_examples=400, deadline=None))
    assert any(a.severity in ("high", "critical") for a in found.alerts)
