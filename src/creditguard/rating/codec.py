"""Between the API's shapes, the stored JSON and the core's policy and rating records."""

from __future__ import annotations

import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from creditguard.core.rating import Bin, Factor, FactorScore, Policy, RatingResult, Reason
from creditguard.core.ratios import Ratio, Statement
from creditguard.models import FinancialStatement
from creditguard.rating.schemas import (
    STATEMENT_AMOUNTS,
    BinIn,
    FactorIn,
    FactorScoreOut,
    PolicyIn,
    RatioOut,
    ReasonOut,
)


def policy_from_schema(data: PolicyIn) -> Policy:
    """The core policy of an API body (not yet validated: see core.rating.validate_policy)."""
    return Policy(
        dimension_weights=MappingProxyType(dict(data.dimensions)),
        factors=tuple(
            Factor(
                key=f.key,
                dimension=f.dimension,
                weight=f.weight,
                neutral=f.neutral,
                bins=tuple(Bin(b.points, b.low, b.high, b.category) for b in f.bins),
                name_en=f.name.get("en", ""),
                name_zh=f.name.get("zh-CN", ""),
            )
            for f in data.factors
        ),
        cutoffs=MappingProxyType({str(k): v for k, v in data.cutoffs.items()}),
        review_months=MappingProxyType({str(k): v for k, v in data.review_months.items()}),
        reason_count=data.reason_count,
    )


def _bin_in(item: Bin) -> BinIn:
    if item.category is not None:
        return BinIn(points=item.points, category=item.category)
    return BinIn(points=item.points, low=item.low, high=item.high)


def policy_to_schema(policy: Policy, note: str | None = None) -> PolicyIn:
    return PolicyIn(
        dimensions=dict(policy.dimension_weights),
        factors=[
            FactorIn(
                key=f.key,
                dimension=f.dimension,
                weight=f.weight,
                neutral=f.neutral,
                name={"en": f.name_en, "zh-CN": f.name_zh},
                bins=[_bin_in(b) for b in f.bins],
            )
            for f in policy.factors
        ],
        cutoffs={"A": policy.cutoffs["A"], "B": policy.cutoffs["B"], "C": policy.cutoffs["C"]},
        review_months={g: policy.review_months[g] for g in ("A", "B", "C", "D")},
        reason_count=policy.reason_count,
        note=note,
    )


def policy_body(data: PolicyIn) -> str:
    """The stored form of a policy: JSON, Decimals as strings, without the note."""
    return data.model_dump_json(exclude={"note"})


def policy_of_body(body: str, note: str | None) -> PolicyIn:
    return PolicyIn.model_validate_json(body).model_copy(update={"note": note})


def _text(value: Decimal | str | None) -> str | None:
    return None if value is None else str(value)


def factor_out(item: FactorScore) -> FactorScoreOut:
    return FactorScoreOut(
        key=item.key,
        dimension=item.dimension,
        weight=str(item.weight),
        value=_text(item.value),
        status=item.status,
        bin=item.bin,
        points=str(item.points),
        impact=str(item.impact),
    )


def reason_out(item: Reason) -> ReasonOut:
    return ReasonOut(
        key=item.key,
        direction=item.direction,
        impact=str(item.impact),
        message={"en": item.message_en, "zh-CN": item.message_zh},
    )


def details_body(result: RatingResult) -> str:
    """What a rating row keeps of the scorecard's work: every factor, the reasons, the gaps."""
    payload: dict[str, Any] = {
        "factors": [factor_out(f).model_dump(mode="json") for f in result.factors],
        "reasons": [reason_out(r).model_dump(mode="json") for r in result.reasons],
        "missing": list(result.missing),
    }
    return json.dumps(payload, ensure_ascii=False)


def statement_of(row: FinancialStatement) -> Statement:
    amounts = {name: getattr(row, f"{name}_minor") for name in STATEMENT_AMOUNTS}
    return Statement(period_end=row.period_end, currency=row.currency, **amounts)


def ratio_out(item: Ratio) -> RatioOut:
    return RatioOut(value=_text(item.value), reason=item.reason)
