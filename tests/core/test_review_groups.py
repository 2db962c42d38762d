"""The review's lines for a group limit: the ``group`` line, and an alert named by its member."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from creditguard.core.limits import Line
from creditguard.core.money import Money
from creditguard.core.review import Alert, Facts, Thresholds, group_line, review

AS_OF = date(2026, 11, 22)
STEP = Money.parse("10000", "CNY")
FACTS = Facts(
    customer_id=1,
    grade="A",
    current=Money.parse("1000000", "CNY"),
    suggested=Money.parse("5000000", "CNY"),
    changed_on=date(2026, 9, 1),
    changed_at=datetime(2026, 9, 1, 2, 0, tzinfo=UTC),
)
ALERT = Alert("litigation", "high", date(2026, 11, 20), "qichacha",
              datetime(2026, 11, 21, 2, 0, tzinfo=UTC))  # fmt: skip


@pytest.mark.parametrize(
    ("members", "zh", "en"),
    [
        (1, "集团额度：母公司 R-1 及 1 家成员，按集团合并的付款与销售复评",
         "group limit: parent R-1 and 1 member, reviewed on the group's pooled payments and sales"),
        (0, "集团额度：母公司 R-1 及 0 家成员，按集团合并的付款与销售复评",
         "group limit: parent R-1 and 0 members, reviewed on the group's pooled payments and "
         "sales"),
    ],
)  # fmt: skip
def test_the_group_line(members: int, zh: str, en: str) -> None:
    assert group_line("R-1", members) == Line("group", zh, en)


@pytest.mark.parametrize(
    ("member", "zh", "en"),
    [
        (None, "风险预警：诉讼（高），发生于 2026-11-20，来源 qichacha",
         "risk alert: litigation (high), observed on 2026-11-20, source qichacha"),
        ("M-7", "风险预警（成员 M-7）：诉讼（高），发生于 2026-11-20，来源 qichacha",
         "risk alert on member M-7: litigation (high), observed on 2026-11-20, source qichacha"),
    ],
)  # fmt: skip
def test_an_alert_on_a_member_is_named(member: str | None, zh: str, en: str) -> None:
    facts = replace(FACTS, alerts=(replace(ALERT, member=member),))
    made = review(facts, Thresholds(), STEP, AS_OF)
    assert made is not None
    assert (made.proposed.decimal_string(), made.explanation[0]) == (
        "500000.00", Line("alert", zh, en),
    )  # fmt: skip
