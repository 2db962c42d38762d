"""Input and output shapes of the credit file, the scorecard policy and the ratings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from creditguard.core.rating import DEFAULT_POLICY, Bin
from creditguard.identity.schemas import Strict, example

LicenceStatus = Literal["valid", "expired", "revoked"]
LegalForm = Literal[
    "limited_company", "joint_stock", "state_owned", "partnership", "sole_proprietorship", "other"
]
DocumentKind = Literal["licence", "contract", "statement", "other"]
Grade = Literal["A", "B", "C", "D"]
Dimension = Literal["qualification", "financial", "behaviour"]
Language = Literal["en", "zh-CN"]

# Money travels as decimal strings in the currency's units ("1234.50"), never as JSON numbers.
AMOUNT = r"^-?\d{1,16}(\.\d{1,4})?$"
STATEMENT_AMOUNTS = (
    "revenue",
    "cost_of_sales",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "current_assets",
    "current_liabilities",
    "inventory",
    "cash",
    "operating_cash_flow",
)

QUALIFICATION_IN: JsonDict = {
    "licence_status": "valid",
    "registered_capital": "50000000.00",
    "registered_capital_currency": "CNY",
    "founded_on": "2012-05-18",
    "legal_form": "limited_company",
    "negative_records": 1,
    "negative_notes": "2024 被执行人记录（已履行） / 2024 enforcement record (settled)",
}
STATEMENT_IN: JsonDict = {
    "period_end": "2025-12-31",
    "currency": "CNY",
    "revenue": "120000000.00",
    "cost_of_sales": "90000000.00",
    "net_profit": "6000000.00",
    "total_assets": "80000000.00",
    "total_liabilities": "44000000.00",
    "current_assets": "50000000.00",
    "current_liabilities": "30000000.00",
    "inventory": "15000000.00",
    "cash": "6000000.00",
    "operating_cash_flow": "7200000.00",
}


AT: Final = "2026-11-22T01:30:00Z"
BY: Final = "user:12"
QUALIFICATION_OUT: JsonDict = {
    **QUALIFICATION_IN,
    "years_in_business": 14,
    "next_review_on": "2027-05-22",
    "updated_at": AT,
    "updated_by": BY,
}
STATEMENT_OUT: JsonDict = {
    "id": 3,
    "period_end": "2025-12-31",
    "currency": "CNY",
    "amounts": {k: v for k, v in STATEMENT_IN.items() if k not in {"period_end", "currency"}},
    "ratios": {
        "debt_ratio": {"value": "55.00", "reason": None},
        "current_ratio": {"value": "1.6667", "reason": None},
        "quick_ratio": {"value": "1.1667", "reason": None},
        "cash_ratio": {"value": "0.2000", "reason": None},
        "gross_margin": {"value": "25.00", "reason": None},
        "net_margin": {"value": "5.00", "reason": None},
        "operating_cash_flow_margin": {"value": "6.00", "reason": None},
        "revenue_trend": {"value": None, "reason": "no_previous_period"},
    },
    "created_at": AT,
    "created_by": BY,
}
DOCUMENT_IN: JsonDict = {
    "kind": "licence",
    "file_name": "营业执照.pdf",
    "sha256": "9f2c" * 16,
    "size_bytes": 482113,
}
DOCUMENT_OUT: JsonDict = {
    "id": 7,
    **DOCUMENT_IN,
    "content_type": "application/pdf",
    "stored": True,
    "uploaded_at": AT,
    "uploaded_by": BY,
}
FACTOR_SCORE_OUT: JsonDict = {
    "key": "debt_ratio",
    "dimension": "financial",
    "weight": "8.75",
    "value": "55.00",
    "status": "scored",
    "bin": 1,
    "points": "75",
    "impact": "2.19",
}
REASON_OUT: JsonDict = {
    "key": "licence_status",
    "direction": "raises",
    "impact": "4.50",
    "message": {
        "en": "Business licence: valid raises the score by 4.50 points",
        "zh-CN": "营业执照状态：有效，使评分提高 4.50 分",
    },
}
OVERRIDE_IN: JsonDict = {"grade": "C", "reason": "集团担保撤销 / the group guarantee was withdrawn"}
RATING_OUT: JsonDict = {
    "id": 41,
    "customer_id": 17,
    "kind": "override",
    "trigger": "override",
    "as_of": "2026-11-22",
    "score": "68.56",
    "scored_grade": "B",
    "grade": "C",
    "policy_version": 1,
    "missing_weight": "38.50",
    "missing": ["revenue_trend", "average_days_late", "share_paid_late", "late_trend_days"],
    "factors": [FACTOR_SCORE_OUT],
    "reasons": [REASON_OUT],
    "override_reason": OVERRIDE_IN["reason"],
    "next_review_on": "2027-02-22",
    "rated_at": AT,
    "rated_by": BY,
}
CREDIT_FILE_OUT: JsonDict = {
    "customer_id": 17,
    "qualification": QUALIFICATION_OUT,
    "statements": [STATEMENT_OUT],
    "documents": [DOCUMENT_OUT],
    "rating": RATING_OUT,
}
FACTOR_IN: JsonDict = {
    "key": "debt_ratio",
    "dimension": "financial",
    "weight": "25",
    "neutral": "50",
    "name": {"en": "Debt ratio %", "zh-CN": "资产负债率 %"},
    "bins": [
        {"points": "100", "high": "40"},
        {"points": "75", "low": "40", "high": "60"},
        {"points": "40", "low": "60", "high": "80"},
        {"points": "10", "low": "80"},
    ],
}


def _bin_example(item: Bin) -> JsonDict:
    if item.category is not None:
        return {"points": str(item.points), "category": item.category}
    shown: JsonDict = {"points": str(item.points)}
    if item.low is not None:
        shown["low"] = str(item.low)
    if item.high is not None:
        shown["high"] = str(item.high)
    return shown


# The documented policy is the one a company starts with (DOMAIN.md's defaults).
POLICY_IN: JsonDict = {
    "dimensions": {k: str(v) for k, v in DEFAULT_POLICY.dimension_weights.items()},
    "factors": [
        {
            "key": f.key,
            "dimension": f.dimension,
            "weight": str(f.weight),
            "neutral": str(f.neutral),
            "name": {"en": f.name_en, "zh-CN": f.name_zh},
            "bins": [_bin_example(b) for b in f.bins],
        }
        for f in DEFAULT_POLICY.factors
    ],
    "cutoffs": {k: str(v) for k, v in DEFAULT_POLICY.cutoffs.items()},
    "review_months": dict(DEFAULT_POLICY.review_months),
    "reason_count": DEFAULT_POLICY.reason_count,
    "note": "default (DOMAIN.md)",
}
POLICY_OUT: JsonDict = {**POLICY_IN, "version": 1, "created_at": AT, "created_by": BY}


Amount = Annotated[str | None, Field(pattern=AMOUNT, examples=["1234567.50"])]


class QualificationIn(Strict):
    """The basic qualification (基础资质); a PUT replaces every field."""

    model_config = example(QUALIFICATION_IN)

    licence_status: LicenceStatus | None = Field(
        None, description="Business licence: valid, expired or revoked (营业执照状态)."
    )
    registered_capital: str | None = Field(
        None, pattern=AMOUNT, description="Registered capital (注册资本), a decimal string."
    )
    registered_capital_currency: str | None = Field(
        None, min_length=3, max_length=3, description="Currency of the registered capital."
    )
    founded_on: date | None = Field(None, description="Date of establishment (成立日期).")
    legal_form: LegalForm | None = Field(None, description="Legal form (企业类型).")
    negative_records: int | None = Field(
        None, ge=0, le=100000, description="Negative records such as 失信被执行人 entries."
    )
    negative_notes: str | None = Field(
        None, max_length=2000, description="What the negative records are."
    )


class QualificationOut(BaseModel):
    model_config = example(QUALIFICATION_OUT)

    licence_status: LicenceStatus | None = Field(description="Business licence status.")
    registered_capital: str | None = Field(description="Registered capital, decimal string.")
    registered_capital_currency: str | None = Field(description="Its currency.")
    founded_on: date | None = Field(description="Date of establishment.")
    years_in_business: int | None = Field(description="Whole years in business on as_of.")
    legal_form: LegalForm | None = Field(description="Legal form.")
    negative_records: int | None = Field(description="Negative records count.")
    negative_notes: str | None = Field(description="Notes on the negative records.")
    next_review_on: date | None = Field(description="When the customer is next due a rating.")
    updated_at: datetime | None = Field(description="Last change (UTC).")
    updated_by: str | None = Field(description="Who changed it last.")


class StatementIn(Strict):
    """One period of the buyer's financial statements; amounts are decimal strings."""

    model_config = example(STATEMENT_IN)

    period_end: date = Field(description="Last day of the period.")
    currency: str = Field(min_length=3, max_length=3, description="Currency of every amount.")
    revenue: Amount = Field(None, description="Revenue (营业收入).")
    cost_of_sales: Amount = Field(None, description="Cost of sales (营业成本).")
    net_profit: Amount = Field(None, description="Net profit (净利润).")
    total_assets: Amount = Field(None, description="Total assets (资产总计).")
    total_liabilities: Amount = Field(None, description="Total liabilities (负债合计).")
    current_assets: Amount = Field(None, description="Current assets (流动资产).")
    current_liabilities: Amount = Field(None, description="Current liabilities (流动负债).")
    inventory: Amount = Field(None, description="Inventory (存货).")
    cash: Amount = Field(None, description="Cash and equivalents (货币资金).")
    operating_cash_flow: Amount = Field(
        None, description="Operating cash flow (经营活动现金流量净额)."
    )


class RatioOut(BaseModel):
    value: str | None = Field(
        None, description="The ratio (plain or percent), decimal string.", examples=["55.00"]
    )
    reason: str | None = Field(
        None,
        description="Why it is missing: missing_input, zero_denominator, no_previous_period, "
        "previous_period_in_another_currency.",
        examples=["zero_denominator"],
    )


class StatementOut(BaseModel):
    model_config = example(STATEMENT_OUT)

    id: int = Field(description="Statement id.")
    period_end: date = Field(description="Last day of the period.")
    currency: str = Field(description="Currency of every amount.")
    amounts: dict[str, str | None] = Field(description="The amounts, decimal strings.")
    ratios: dict[str, RatioOut] = Field(
        description="debt_ratio, gross/net/operating-cash-flow margins and revenue_trend in "
        "percent; current, quick and cash ratios plain (4 places)."
    )
    created_at: datetime = Field(description="When it was recorded (UTC).")
    created_by: str = Field(description="Who recorded it.")


class DocumentIn(Strict):
    model_config = example(DOCUMENT_IN)

    kind: DocumentKind = Field(description="licence, contract, statement or other.")
    file_name: str = Field(min_length=1, max_length=255, description="The file's name.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, hex.")
    size_bytes: int = Field(ge=0, le=10**12, description="Size of the file in bytes.")


class DocumentOut(BaseModel):
    model_config = example(DOCUMENT_OUT)

    id: int = Field(description="Document id.")
    kind: DocumentKind = Field(description="licence, contract, statement or other.")
    file_name: str = Field(description="The file's name.")
    sha256: str = Field(description="SHA-256 of the file, hex.")
    size_bytes: int = Field(description="Size in bytes.")
    content_type: str | None = Field(
        description="The file's type as found in its content (application/pdf, image/png, ...); "
        "null for a document registered with its metadata only."
    )
    stored: bool = Field(
        description="Whether the file itself is kept (download it from .../content); false: "
        "registered with its metadata only, the file stays in the company's own store."
    )
    uploaded_at: datetime = Field(description="When it was uploaded (UTC).")
    uploaded_by: str = Field(description="Who uploaded it.")


class BinIn(Strict):
    points: Decimal = Field(description="Points 0-100 for values in this bin.", examples=["75"])
    low: Decimal | None = Field(
        None, description="Lowest value (inclusive); null: unbounded.", examples=["40"]
    )
    high: Decimal | None = Field(
        None, description="Upper bound (exclusive); null: unbounded.", examples=["60"]
    )
    category: str | None = Field(
        None, max_length=32, description="For categorical factors.", examples=["valid"]
    )


class FactorIn(Strict):
    model_config = example(FACTOR_IN)

    key: str = Field(max_length=64, description="Factor, from the catalogue (debt_ratio, ...).")
    dimension: Dimension = Field(description="qualification, financial or behaviour.")
    weight: Decimal = Field(description="Percent of its dimension's weight.")
    neutral: Decimal = Field(description="Points when the customer has no data for it.")
    name: dict[Language, Annotated[str, Field(max_length=200)]] = Field(
        description="Names in en and zh-CN."
    )
    bins: list[BinIn] = Field(min_length=1, max_length=50, description="Bins, ascending.")


class PolicyIn(Strict):
    """A scorecard policy; saving it creates a new version."""

    model_config = example(POLICY_IN)

    dimensions: dict[str, Decimal] = Field(description="Weight (percent) of each dimension.")
    factors: list[FactorIn] = Field(min_length=1, max_length=50, description="The factors.")
    cutoffs: dict[Literal["A", "B", "C"], Decimal] = Field(
        description="Lowest score of grades A, B and C; below C's is D."
    )
    review_months: dict[Grade, int] = Field(description="Months to the next review by grade.")
    reason_count: int = Field(4, description="How many reason codes a rating gives.")
    note: str | None = Field(None, max_length=500, description="Why this version.")


class PolicyOut(PolicyIn):
    model_config = example(POLICY_OUT)

    version: int = Field(description="Version number, 1 upwards.")
    created_at: datetime = Field(description="When this version was saved (UTC).")
    created_by: str = Field(description="Who saved it.")


class FactorScoreOut(BaseModel):
    model_config = example(FACTOR_SCORE_OUT)

    key: str = Field(description="Factor.")
    dimension: Dimension = Field(description="Its dimension.")
    weight: str = Field(description="Effective weight, percent of the whole score.")
    value: str | None = Field(description="The customer's value (null: missing).")
    status: Literal["scored", "missing"] = Field(description="missing: scored neutral.")
    bin: int | None = Field(description="Index of the bin the value fell in.")
    points: str = Field(description="Points 0-100.")
    impact: str = Field(description="Score points above (+) or below (-) neutral.")


class ReasonOut(BaseModel):
    model_config = example(REASON_OUT)

    key: str = Field(description="Factor that moved the score.")
    direction: Literal["raises", "lowers"] = Field(description="Which way.")
    impact: str = Field(description="Score points above (+) or below (-) neutral.")
    message: dict[Language, str] = Field(description="The reason in en and zh-CN.")


BLEND_OUT: JsonDict = {
    "version": 1,
    "model_weight": "0.4",
    "role": "champion",
    "model": "ledger-card:3",
    "expert_score": "72.40",
    "model_score": "91.20",
    "score": "79.92",
}


BLEND_RULE_IN: Final[JsonDict] = {"model_weight": "0.4", "model": "champion"}
BLEND_RULE_OUT: Final[JsonDict] = {"version": 2, "model_weight": "0.4", "model": "champion"}


class BlendRuleIn(Strict):
    """A new version of the blend rule: the grade from (1 - w) x expert + w x model score."""

    model_config = example(BLEND_RULE_IN)

    model_weight: str = Field(
        pattern=r"^\d+(\.\d+)?$",
        description="Weight w of the model score, 0 to 1 (0: the expert score alone).",
    )
    model: Literal["champion", "challenger"] = Field(
        "champion", description="Which registered model is blended."
    )


class BlendRuleOut(BaseModel):
    model_config = example(BLEND_RULE_OUT)

    version: int | None = Field(description="Version of the rule; null: never set (expert only).")
    model_weight: str = Field(description="Weight w of the model score, 0-1.")
    model: Literal["champion", "challenger"] | None = Field(
        description="Which registered model is blended; null: none."
    )


class BlendOut(BaseModel):
    model_config = example(BLEND_OUT)

    version: int = Field(description="Version of the blend setting.")
    model_weight: str = Field(description="Weight w of the model score, 0-1.")
    role: Literal["champion", "challenger"] = Field(description="Which model is blended.")
    model: str | None = Field(description="NAME:VERSION of the model used, if any.")
    expert_score: str = Field(description="The expert scorecard's score 0-100.")
    model_score: str | None = Field(description="100 x (1 - probability of bad), if scored.")
    score: str = Field(description="(1 - w) x expert + w x model: the score that grades.")
    note: dict[Language, str] | None = Field(
        None,
        description="Why the expert score stands alone (no model, weight 0, ...), if so.",
        examples=[
            {"en": "no champion model: expert score only", "zh-CN": "没有冠军模型：仅用专家评分"}
        ],
    )


class RatingOut(BaseModel):
    model_config = example(RATING_OUT)

    id: int = Field(description="Rating id.")
    customer_id: int = Field(description="Customer id.")
    kind: Literal["scorecard", "override"] = Field(description="scorecard or manual override.")
    trigger: str = Field(
        description="schedule (batch run), on_demand (CLI), api (re-rate call) or override."
    )
    as_of: date = Field(description="Business date of the facts.")
    score: str = Field(description="Score 0-100.")
    scored_grade: Grade = Field(description="The scorecard's grade.")
    grade: Grade = Field(description="The grade that holds (an override may differ).")
    policy_version: int = Field(description="Scorecard policy version used.")
    missing_weight: str = Field(description="Percent of the weight without data.")
    missing: list[str] = Field(description="Factors without data (scored neutral).")
    factors: list[FactorScoreOut] = Field(description="Every factor's bin and points.")
    reasons: list[ReasonOut] = Field(description="The factors that moved the score most.")
    override_reason: str | None = Field(description="Why the grade was overridden.")
    next_review_on: date = Field(description="When the customer is due again.")
    rated_at: datetime = Field(description="When (UTC).")
    rated_by: str = Field(description="Who.")
    blend: BlendOut | None = Field(
        None,
        description="How a model's score was blended in (null: no blend setting).",
        examples=[BLEND_OUT],
    )


class RatingsOut(BaseModel):
    model_config = example({"latest": RATING_OUT, "history": [RATING_OUT]})

    latest: RatingOut | None = Field(description="The rating that holds.")
    history: list[RatingOut] = Field(description="Every rating, newest first.")


class RerateIn(Strict):
    model_config = example({"as_of": "2026-11-22"})

    as_of: date | None = Field(None, description="Business date; today by default.")


class OverrideIn(Strict):
    model_config = example(OVERRIDE_IN)

    grade: Grade = Field(description="The grade to hold.")
    reason: str = Field(min_length=1, max_length=2000, description="Why (mandatory).")


class CreditFileOut(BaseModel):
    model_config = example(CREDIT_FILE_OUT)

    customer_id: int = Field(description="Customer id.")
    qualification: QualificationOut = Field(description="Basic qualification.")
    statements: list[StatementOut] = Field(description="Financial statements, newest first.")
    documents: list[DocumentOut] = Field(description="Documents, newest first.")
    rating: RatingOut | None = Field(description="The rating that holds.")


class RunOut(BaseModel):
    model_config = example(
        {"as_of": "2026-11-22", "rated": 120, "grades": {"A": 31, "B": 52, "C": 29, "D": 8}}
    )

    as_of: date = Field(description="Business date of the run.")
    rated: int = Field(description="Customers rated.")
    grades: dict[str, int] = Field(description="How many got each grade.")


# --- the model registry ---

ModelStatus = Literal["candidate", "challenger", "champion", "retired"]
Role = Literal["champion", "challenger"]


MODEL_OUT: JsonDict = {
    "id": 3,
    "name": "ledger-card",
    "version": 2,
    "kind": "scorecard",
    "status": "champion",
    "trained_at": "2026-11-01T02:00:00Z",
    "trained_by": "user:7",
    "registered_at": "2026-11-02T02:00:00Z",
    "registered_by": "user:7",
    "data_description": "own ledger 2023-01..2025-10, every 3 months",
    "rows": 41250,
    "bad_rate": "0.0612",
    "cv_metrics": {"auc": 0.81, "ks": 0.47, "gini": 0.62, "brier": 0.05, "fit_seconds": 1.2},
    "features": ["days_late_12m", "max_days_past_due"],
    "files": {"model.json": "9f2c" + "0" * 60},
    "promoted_at": "2026-11-03T02:00:00Z",
    "promoted_by": "user:9",
}


class ModelOut(BaseModel):
    model_config = example(MODEL_OUT)

    id: int = Field(description="Registry id.")
    name: str = Field(description="Model name.")
    version: int = Field(description="Version of this name (1, 2, ...).")
    kind: Literal["scorecard", "gbm"] = Field(description="scorecard or gbm (LightGBM).")
    status: ModelStatus = Field(description="candidate, challenger, champion or retired.")
    trained_at: datetime = Field(description="When it was trained (UTC).")
    trained_by: str = Field(description="Who trained it.")
    registered_at: datetime = Field(description="When it was registered (UTC).")
    registered_by: str = Field(description="Who registered it.")
    data_description: str = Field(description="What it was trained on.")
    rows: int = Field(description="Training rows.")
    bad_rate: str = Field(description="Training bad rate (0-1).")
    cv_metrics: dict[str, Any] | None = Field(description="Cross-validation figures, if run.")
    features: list[str] = Field(description="The columns it reads.")
    files: dict[str, str] = Field(description="Its files and their SHA-256.")
    promoted_at: datetime | None = Field(description="When it last took a role.")
    promoted_by: str | None = Field(description="Who gave it that role.")


class PromoteIn(Strict):
    model_config = example({"role": "champion"})

    role: Role = Field(description="champion (blended into grades) or challenger (watched).")
