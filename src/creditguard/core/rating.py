"""The expert scorecard: a policy and a customer's facts -> score 0-100, grade A/B/C/D, reasons.

Three dimensions (seed): basic qualification (基础资质), financial health (财务健康) and
transaction behaviour (交易行为). Each dimension has a weight (percent of the score); each
factor a weight within its dimension (percent), bins that map its value to points 0-100, and a
neutral number of points used when the customer has no data for it. A factor scores

    effective weight = dimension weight x factor weight / 100      (all factors add up to 100)
    contribution     = effective weight x points / 100

and the score is the sum of the contributions, rounded half up to 2 places. A factor's impact
is ``effective weight x (points - neutral) / 100``: the reason codes are the factors with the
largest impacts, either way. The grade is the best one whose cut-off the score reaches.

Policies are data (:data:`DEFAULT_POLICY` holds DOMAIN.md's defaults); :func:`validate_policy`
returns every problem of a policy edit, fields named. Pure: no clock (``as_of`` is passed in).
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final, Literal

from creditguard.core.errors import Problem
from creditguard.core.ratios import Ratios

DIMENSIONS: Final = ("qualification", "financial", "behaviour")
GRADES: Final = ("A", "B", "C", "D")
HUNDRED: Final = Decimal(100)
CENT: Final = Decimal("0.01")
Fact = Decimal | str | None
Status = Literal["scored", "missing"]

LICENCE_STATUSES: Final = ("valid", "expired", "revoked")
LEGAL_FORMS: Final = (
    "limited_company",
    "joint_stock",
    "state_owned",
    "partnership",
    "sole_proprietorship",
    "other",
)
CATEGORY_ZH: Final[Mapping[str, str]] = MappingProxyType(
    {
        "valid": "有效",
        "expired": "已过期",
        "revoked": "已吊销",
        "limited_company": "有限责任公司",
        "joint_stock": "股份有限公司",
        "state_owned": "国有企业",
        "partnership": "合伙企业",
        "sole_proprietorship": "个人独资企业",
        "other": "其他",
    }
)


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """What a factor measures: its dimension and, for a categorical factor, its categories."""

    dimension: str
    categories: tuple[str, ...] = ()


# The facts creditguard knows how to gather; a policy weighs and bins some or all of them.
CATALOG: Final[Mapping[str, FactorSpec]] = MappingProxyType(
    {
        "licence_status": FactorSpec("qualification", LICENCE_STATUSES),
        "years_in_business": FactorSpec("qualification"),
        "registered_capital": FactorSpec("qualification"),  # base-currency units
        "legal_form": FactorSpec("qualification", LEGAL_FORMS),
        "negative_records": FactorSpec("qualification"),
        "debt_ratio": FactorSpec("financial"),  # percent
        "current_ratio": FactorSpec("financial"),
        "quick_ratio": FactorSpec("financial"),
        "cash_ratio": FactorSpec("financial"),
        "operating_cash_flow_margin": FactorSpec("financial"),  # percent of revenue
        "revenue_trend": FactorSpec("financial"),  # percent growth
        "net_margin": FactorSpec("financial"),  # percent
        "average_days_late": FactorSpec("behaviour"),  # 12 months, amount-weighted
        "share_paid_late": FactorSpec("behaviour"),  # 12 months, percent of the amount
        "late_trend_days": FactorSpec("behaviour"),  # 3-month minus 12-month days late
    }
)


@dataclass(frozen=True, slots=True)
class Bin:
    """Points for values in ``[low, high)`` (``None``: unbounded), or for one ``category``."""

    points: Decimal
    low: Decimal | None = None
    high: Decimal | None = None
    category: str | None = None

    def holds(self, value: Fact) -> bool:
        """Tell whether ``value`` falls in this bin."""
        if self.category is not None or isinstance(value, str):
            return value == self.category
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)

    def label(self, locale: str) -> str:
        """Describe the bin in words: ``40 to 60``, ``below 40``, ``60 or more`` (or 中文)."""
        zh = locale.lower().startswith("zh")
        if self.category is not None:
            return CATEGORY_ZH.get(self.category, self.category) if zh else self.category
        if self.low is None and self.high is None:
            return "任意值" if zh else "any value"
        if self.low is None:
            return f"低于 {self.high}" if zh else f"below {self.high}"
        if self.high is None:
            return f"{self.low} 及以上" if zh else f"{self.low} or more"
        return f"{self.low} 至 {self.high}" if zh else f"{self.low} to {self.high}"


@dataclass(frozen=True, slots=True)
class Factor:
    """One factor of a policy: weight within its dimension (percent), bins and neutral points."""

    key: str
    dimension: str
    weight: Decimal
    neutral: Decimal
    bins: tuple[Bin, ...]
    name_en: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A scorecard policy: dimension weights, factors, grade cut-offs and review cycles."""

    dimension_weights: Mapping[str, Decimal]
    factors: tuple[Factor, ...]
    cutoffs: Mapping[str, Decimal]  # lowest score of A, B and C; below C's is D
    review_months: Mapping[str, int]  # months until the next review, by grade
    reason_count: int = 4


@dataclass(frozen=True, slots=True)
class RatingInputs:
    """What is known of a customer on the rating date (``None``: not known)."""

    licence_status: str | None = None
    registered_capital: Decimal | None = None  # in the company's base currency units
    founded_on: date | None = None
    legal_form: str | None = None
    negative_records: int | None = None
    ratios: Ratios | None = None
    average_days_late: Decimal | None = None
    share_paid_late: Decimal | None = None
    late_trend_days: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FactorScore:
    """How one factor scored: its value, bin (``None`` if missing), points and impact."""

    key: str
    dimension: str
    weight: Decimal  # effective: percent of the whole score
    value: Fact
    status: Status
    bin: int | None
    points: Decimal
    contribution: Decimal
    impact: Decimal


@dataclass(frozen=True, slots=True)
class Reason:
    """A factor that moved the score, with its message in English and Chinese."""

    key: str
    direction: Literal["raises", "lowers"]
    impact: Decimal
    message_en: str
    message_zh: str


@dataclass(frozen=True, slots=True)
class RatingResult:
    """The outcome: score, grade, every factor, the reasons, and how much weight was missing."""

    score: Decimal
    grade: str
    factors: tuple[FactorScore, ...]
    reasons: tuple[Reason, ...]
    missing_weight: Decimal
    next_review_on: date
    missing: tuple[str, ...] = field(default=())


def years_in_business(founded_on: date, as_of: date) -> int:
    """Whole years from ``founded_on`` to ``as_of`` (0 before the first anniversary)."""
    years = as_of.year - founded_on.year
    if (as_of.month, as_of.day) < (founded_on.month, founded_on.day):
        years -= 1
    return max(years, 0)


def _ratio_facts(ratios: Ratios | None) -> dict[str, Fact]:
    names = (
        "debt_ratio",
        "current_ratio",
        "quick_ratio",
        "cash_ratio",
        "operating_cash_flow_margin",
        "revenue_trend",
        "net_margin",
    )
    if ratios is None:
        return dict.fromkeys(names)
    found = ratios.as_dict()
    return {name: found[name].value for name in names}


def gather_facts(inputs: RatingInputs, as_of: date) -> dict[str, Fact]:
    """Every catalogue factor's value on ``as_of`` (``None`` where the data is missing)."""
    founded = inputs.founded_on
    records = inputs.negative_records
    return {
        "licence_status": inputs.licence_status,
        "years_in_business": None
        if founded is None or founded > as_of
        else Decimal(years_in_business(founded, as_of)),
        "registered_capital": inputs.registered_capital,
        "legal_form": inputs.legal_form,
        "negative_records": None if records is None else Decimal(records),
        **_ratio_facts(inputs.ratios),
        "average_days_late": inputs.average_days_late,
        "share_paid_late": inputs.share_paid_late,
        "late_trend_days": inputs.late_trend_days,
    }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def effective_weight(policy: Policy, factor: Factor) -> Decimal:
    """Return the factor's share of the whole score, in percent."""
    return policy.dimension_weights.get(factor.dimension, Decimal(0)) * factor.weight / HUNDRED


def score_factor(policy: Policy, factor: Factor, value: Fact) -> FactorScore:
    """Bin ``value`` and weigh its points; a value no bin holds (or none) scores neutral."""
    weight = effective_weight(policy, factor)
    index = next((i for i, b in enumerate(factor.bins) if b.holds(value)), None)
    status: Status = "missing" if index is None else "scored"
    points = factor.neutral if index is None else factor.bins[index].points
    return FactorScore(
        key=factor.key,
        dimension=factor.dimension,
        weight=weight,
        value=None if index is None else value,
        status=status,
        bin=index,
        points=points,
        contribution=weight * points / HUNDRED,
        impact=_cents(weight * (points - factor.neutral) / HUNDRED),
    )


def grade_of(score: Decimal, policy: Policy) -> str:
    """Return the best grade whose cut-off ``score`` reaches (exactly at a cut-off earns it)."""
    for grade in GRADES[:-1]:
        if score >= policy.cutoffs[grade]:
            return grade
    return GRADES[-1]


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, kept inside shorter months (31 Jan + 1 = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def next_review(as_of: date, grade: str, policy: Policy) -> date:
    """When a customer rated ``grade`` on ``as_of`` is due again (D monthly ... A yearly)."""
    return add_months(as_of, policy.review_months[grade])


def _value_text(value: Fact, locale: str) -> str:
    if isinstance(value, str):
        return CATEGORY_ZH.get(value, value) if locale.startswith("zh") else value
    return str(value)


def reason_for(factor: Factor, scored: FactorScore) -> Reason:
    """Explain, in both languages, a factor that moved the score."""
    assert scored.bin is not None  # only scored factors give reasons
    found = factor.bins[scored.bin]
    size = abs(scored.impact)
    # A category is its own bin; a number is shown with the range it fell in.
    en_bin = "" if found.category is not None else f" ({found.label('en')})"
    zh_bin = "" if found.category is not None else f"（{found.label('zh-CN')}）"
    if scored.impact > 0:
        en_verb, zh_verb = f"raises the score by {size}", f"使评分提高 {size} 分"
    else:
        en_verb, zh_verb = f"lowers the score by {size}", f"使评分降低 {size} 分"
    return Reason(
        key=factor.key,
        direction="raises" if scored.impact > 0 else "lowers",
        impact=scored.impact,
        message_en=f"{factor.name_en}: {_value_text(scored.value, 'en')}{en_bin} {en_verb} points",
        message_zh=f"{factor.name_zh}：{_value_text(scored.value, 'zh-CN')}{zh_bin}，{zh_verb}",
    )


def rate(policy: Policy, inputs: RatingInputs, as_of: date) -> RatingResult:
    """Score ``inputs`` with ``policy`` on ``as_of``: score, grade, reasons, next review."""
    facts = gather_facts(inputs, as_of)
    scores = tuple(score_factor(policy, f, facts.get(f.key)) for f in policy.factors)
    score = _cents(sum((s.contribution for s in scores), Decimal(0)))
    grade = grade_of(score, policy)
    by_key = {f.key: f for f in policy.factors}
    moved = sorted(
        (s for s in scores if s.status == "scored" and s.impact != 0),
        key=lambda s: (-abs(s.impact), s.key),
    )
    return RatingResult(
        score=score,
        grade=grade,
        factors=scores,
        reasons=tuple(reason_for(by_key[s.key], s) for s in moved[: policy.reason_count]),
        missing_weight=_cents(sum((s.weight for s in scores if s.status == "missing"), Decimal(0))),
        next_review_on=next_review(as_of, grade, policy),
        missing=tuple(s.key for s in scores if s.status == "missing"),
    )


# --- validation ---


def _problem(where: str, value: object, reason: str, reason_zh: str) -> Problem:
    return Problem(where, value, "invalid", {"reason": reason, "reason_zh": reason_zh})


def _check_range(where: str, value: Decimal, low: Decimal, high: Decimal) -> list[Problem]:
    if low <= value <= high:
        return []
    return [Problem(where, str(value), "out_of_range", {"low": low, "high": high})]


def _check_numeric_bins(where: str, bins: Sequence[Bin]) -> list[Problem]:
    problems: list[Problem] = []
    for j, item in enumerate(bins):
        at = f"{where}.bins[{j}]"
        if item.category is not None:
            problems.append(_problem(f"{at}.category", item.category, *_NOT_CATEGORICAL))
        expected = None if j == 0 else bins[j - 1].high
        if item.low != expected:
            problems.append(_problem(f"{at}.low", _text(item.low), *_gap(expected)))
        if item.low is not None and item.high is not None and item.high <= item.low:
            problems.append(_problem(f"{at}.high", _text(item.high), *_EMPTY_BIN))
    if bins and bins[-1].high is not None:
        last = f"{where}.bins[{len(bins) - 1}].high"
        problems.append(_problem(last, _text(bins[-1].high), *_OPEN_END))
    return problems


def _check_category_bins(where: str, bins: Sequence[Bin], spec: FactorSpec) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for j, item in enumerate(bins):
        at = f"{where}.bins[{j}].category"
        if item.category not in spec.categories or item.category in seen:
            allowed = ", ".join(spec.categories)
            problems.append(
                _problem(
                    at,
                    item.category,
                    f"must be one of {allowed}, each once",
                    f"须为以下之一且不重复：{allowed}",
                )
            )
        else:
            seen.add(item.category)
    left = [c for c in spec.categories if c not in seen]
    if left:
        text = ", ".join(left)
        problems.append(
            _problem(f"{where}.bins", text, f"no bin for {text}", f"以下取值没有分箱：{text}")
        )
    return problems


def _check_factor(where: str, factor: Factor) -> list[Problem]:
    spec = CATALOG.get(factor.key)
    if spec is None:
        known = ", ".join(CATALOG)
        return [
            _problem(
                f"{where}.key",
                factor.key,
                f"unknown factor; known: {known}",
                f"未知因子；可用：{known}",
            )
        ]
    problems: list[Problem] = []
    if factor.dimension != spec.dimension:
        problems.append(
            _problem(
                f"{where}.dimension",
                factor.dimension,
                f"{factor.key} belongs to {spec.dimension}",
                f"{factor.key} 属于维度 {spec.dimension}",
            )
        )
    for lang, name in (("en", factor.name_en), ("zh-CN", factor.name_zh)):
        if not name.strip():
            problems.append(_problem(f"{where}.name.{lang}", name, *_NAME_REQUIRED))
    problems += _check_range(f"{where}.weight", factor.weight, Decimal(0), HUNDRED)
    problems += _check_range(f"{where}.neutral", factor.neutral, Decimal(0), HUNDRED)
    for j, item in enumerate(factor.bins):
        problems += _check_range(f"{where}.bins[{j}].points", item.points, Decimal(0), HUNDRED)
    if spec.categories:
        return problems + _check_category_bins(where, factor.bins, spec)
    return problems + _check_numeric_bins(where, factor.bins)


def _check_weights(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    total = sum((policy.dimension_weights.get(d, Decimal(0)) for d in DIMENSIONS), Decimal(0))
    extra = sorted(set(policy.dimension_weights) - set(DIMENSIONS))
    for name in extra:
        problems.append(_problem(f"dimensions.{name}", name, *_UNKNOWN_DIMENSION))
    if total != HUNDRED:
        problems.append(_problem("dimensions", str(total), *_sum_reason("dimension", total)))
    for dimension in DIMENSIONS:
        weights = [f.weight for f in policy.factors if f.dimension == dimension]
        subtotal = sum(weights, Decimal(0))
        if policy.dimension_weights.get(dimension, Decimal(0)) > 0 and subtotal != HUNDRED:
            reason = _sum_reason(f"{dimension} factor", subtotal)
            problems.append(_problem(f"factors.{dimension}.weight", str(subtotal), *reason))
    return problems


def _check_grades(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    previous = HUNDRED
    for grade in GRADES[:-1]:
        cut = policy.cutoffs.get(grade)
        if cut is None:
            problems.append(Problem(f"cutoffs.{grade}", None, "required"))
            continue
        if not Decimal(0) < cut <= previous:
            problems.append(_problem(f"cutoffs.{grade}", str(cut), *_cutoff(previous)))
        previous = cut
    for grade in GRADES:
        months = policy.review_months.get(grade)
        if months is None:
            problems.append(Problem(f"review_months.{grade}", None, "required"))
        elif not 1 <= months <= 60:  # a review at least every five years
            problems.append(Problem(f"review_months.{grade}", months, "out_of_range", _MONTHS))
    return problems


def validate_policy(policy: Policy) -> list[Problem]:
    """Every problem of ``policy``, fields named (``factors[2].bins[1].low``); [] when valid.

    Weights: the dimensions add up to 100, and so do the factors of each weighted dimension.
    Bins: a numeric factor's bins run from minus to plus infinity, each starting where the one
    before ends (no gap, no overlap); a categorical factor has exactly one bin per category.
    Points and neutral points lie in 0-100; every factor is named in English and Chinese;
    cut-offs fall as grades worsen (100 >= A > B > C > 0); review cycles are 1-60 months.
    """
    problems = _check_weights(policy)
    keys: set[str] = set()
    for i, factor in enumerate(policy.factors):
        if factor.key in keys:
            problems.append(_problem(f"factors[{i}].key", factor.key, *_DUPLICATE))
        keys.add(factor.key)
        problems += _check_factor(f"factors[{i}]", factor)
    if not 1 <= policy.reason_count <= len(CATALOG):
        problems.append(
            Problem(
                "reason_count",
                policy.reason_count,
                "out_of_range",
                {"low": 1, "high": len(CATALOG)},
            )
        )
    return problems + _check_grades(policy)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _gap(expected: Decimal | None) -> tuple[str, str]:
    if expected is None:
        return ("the first bin must start unbounded (null)", "第一个分箱的下限须为空（无下限）")
    return (
        f"must be {expected}, where the bin before ends (no gap, no overlap)",
        f"须为 {expected}，即上一个分箱的上限（不得有间隙或重叠）",
    )


def _sum_reason(what: str, total: Decimal) -> tuple[str, str]:
    return (f"{what} weights add up to {total}, not 100", f"{what} 权重合计 {total}，不等于 100")


def _cutoff(previous: Decimal) -> tuple[str, str]:
    return (
        f"must be above 0 and not above {previous} (cut-offs fall from A to C)",
        f"须大于 0 且不高于 {previous}（分数线从 A 到 C 递减）",
    )


_NOT_CATEGORICAL = ("this factor is numeric: bins have low and high", "数值型因子的分箱只有上下限")
_EMPTY_BIN = ("must be above low", "须大于下限")
_OPEN_END = ("the last bin must end unbounded (null)", "最后一个分箱的上限须为空（无上限）")
_NAME_REQUIRED = ("a name is required in English and Chinese", "须提供中英文名称")
_UNKNOWN_DIMENSION = (
    f"unknown dimension; the dimensions are {', '.join(DIMENSIONS)}",
    f"未知维度；可用维度：{', '.join(DIMENSIONS)}",
)
_DUPLICATE = ("this factor appears twice", "该因子重复出现")
_MONTHS = {"low": 1, "high": 60}


def _bins(*edges_and_points: tuple[str | None, str]) -> tuple[Bin, ...]:
    """Numeric bins from (low, points) pairs: each bin ends where the next one starts."""
    lows = [None if low is None else Decimal(low) for low, _ in edges_and_points]
    highs = [*lows[1:], None]
    return tuple(
        Bin(Decimal(points), low, high)
        for (_, points), low, high in zip(edges_and_points, lows, highs, strict=True)
    )


def _categories(**points: str) -> tuple[Bin, ...]:
    return tuple(Bin(Decimal(p), category=c) for c, p in points.items())


def _factor(key: str, weight: str, names: tuple[str, str], bins: tuple[Bin, ...]) -> Factor:
    return Factor(
        key, CATALOG[key].dimension, Decimal(weight), Decimal(50), bins, names[0], names[1]
    )


# DOMAIN.md's defaults: grades A/B/C/D; reviews D monthly, C quarterly, B half-yearly, A yearly.
DEFAULT_POLICY: Final = Policy(
    dimension_weights=MappingProxyType(
        {"qualification": Decimal(30), "financial": Decimal(35), "behaviour": Decimal(35)}
    ),
    factors=(
        _factor(
            "licence_status",
            "30",
            ("Business licence", "营业执照状态"),
            _categories(valid="100", expired="20", revoked="0"),
        ),
        _factor(
            "years_in_business",
            "20",
            ("Years in business", "经营年限"),
            _bins((None, "20"), ("2", "50"), ("5", "75"), ("10", "100")),
        ),
        _factor(
            "registered_capital",
            "15",
            ("Registered capital", "注册资本"),
            _bins((None, "30"), ("1000000", "60"), ("10000000", "80"), ("50000000", "100")),
        ),
        _factor(
            "legal_form",
            "10",
            ("Legal form", "企业类型"),
            _categories(
                limited_company="70",
                joint_stock="90",
                state_owned="100",
                partnership="50",
                sole_proprietorship="30",
                other="40",
            ),
        ),
        _factor(
            "negative_records",
            "25",
            ("Negative records", "失信及负面记录"),
            _bins((None, "100"), ("1", "40"), ("2", "0")),
        ),
        _factor(
            "debt_ratio",
            "25",
            ("Debt ratio %", "资产负债率 %"),
            _bins((None, "100"), ("40", "75"), ("60", "40"), ("80", "10")),
        ),
        _factor(
            "current_ratio",
            "20",
            ("Current ratio", "流动比率"),
            _bins((None, "20"), ("1", "50"), ("1.5", "80"), ("2", "100")),
        ),
        _factor(
            "quick_ratio",
            "15",
            ("Quick ratio", "速动比率"),
            _bins((None, "20"), ("0.5", "60"), ("1", "100")),
        ),
        _factor(
            "cash_ratio",
            "10",
            ("Cash ratio", "现金比率"),
            _bins((None, "30"), ("0.1", "60"), ("0.3", "100")),
        ),
        _factor(
            "operating_cash_flow_margin",
            "10",
            ("Operating cash flow to revenue %", "经营现金流占收入 %"),
            _bins((None, "20"), ("0", "60"), ("5", "100")),
        ),
        _factor(
            "revenue_trend",
            "10",
            ("Revenue trend %", "收入增长率 %"),
            _bins((None, "20"), ("-10", "50"), ("0", "75"), ("10", "100")),
        ),
        _factor(
            "net_margin",
            "10",
            ("Net margin %", "净利率 %"),
            _bins((None, "10"), ("0", "60"), ("5", "100")),
        ),
        _factor(
            "average_days_late",
            "40",
            ("Average days late (12 months)", "平均逾期天数（12个月）"),
            _bins((None, "100"), ("1", "75"), ("15", "50"), ("30", "25"), ("60", "0")),
        ),
        _factor(
            "share_paid_late",
            "35",
            ("Share paid late % (12 months)", "逾期付款占比 %（12个月）"),
            _bins((None, "100"), ("10", "70"), ("30", "40"), ("60", "10")),
        ),
        _factor(
            "late_trend_days",
            "25",
            ("Lateness trend (3 vs 12 months, days)", "逾期趋势（3个月对比12个月，天）"),
            _bins((None, "100"), ("-5", "70"), ("5", "40"), ("15", "10")),
        ),
    ),
    cutoffs=MappingProxyType({"A": Decimal(80), "B": Decimal(65), "C": Decimal(50)}),
    review_months=MappingProxyType({"A": 12, "B": 6, "C": 3, "D": 1}),
)
