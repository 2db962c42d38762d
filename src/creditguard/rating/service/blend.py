"""Blending a registered model's score into the grade (a versioned setting of its own).

    model score   = 100 · (1 - PD)            (PD: the model's probability of bad, 0-1)
    blended score = (1 - w) · expert score + w · model score      (2 places, half up)

and the grade comes from the blended score with the scorecard policy's cut-offs. ``w`` is the
setting's ``model_weight`` (0-1; 0 = expert only), the model the one holding its ``role``
(champion by default). With no such model, a model that cannot be loaded (files changed, the
extra ``ml`` missing for a gbm) or a customer the model cannot score, the rating is the
expert's alone and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from creditguard.audit import service as audit
from creditguard.clock import Clock
from creditguard.config import get_settings
from creditguard.core.errors import DomainError, invalid
from creditguard.core.permissions import Actor
from creditguard.models import ModelBlend
from creditguard.rating import features
from creditguard.rating import repository as repo
from creditguard.rating.schemas import BlendRuleIn, BlendRuleOut
from creditguard.rating.service import dataset, registry
from creditguard.rating.service.common import require_manager

CENTS = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Setting:
    version: int
    model_weight: Decimal
    role: str


def model_score(probability_bad: float) -> Decimal:
    """A PD mapped to 0-100 like the expert score (higher is better): 100 · (1 - PD)."""
    pd = Decimal(repr(probability_bad))
    return (HUNDRED * (1 - pd)).quantize(CENTS, ROUND_HALF_UP)


def blended_score(expert: Decimal, model: Decimal, weight: Decimal) -> Decimal:
    """(1 - w) · expert + w · model, to the cent, half up."""
    return ((1 - weight) * expert + weight * model).quantize(CENTS, ROUND_HALF_UP)


def current_setting(session: Session, actor: Actor) -> Setting | None:
    row = repo.latest_blend(session, actor.company_id)
    return None if row is None else Setting(row.version, row.model_weight, row.role)


def put_setting(
    session: Session, actor: Actor, weight: Decimal, role: str, clock: Clock
) -> Setting:
    """Save a new version of the blend rule (credit manager)."""
    require_manager(actor, "rating:policy")
    if not Decimal(0) <= weight <= 1:
        raise invalid(
            "model_weight",
            str(weight),
            "invalid",
            reason="must be from 0 to 1",
            reason_zh="须在 0 到 1 之间",
        )
    if role not in ("champion", "challenger"):
        raise invalid(
            "model",
            role,
            "invalid",
            reason="must be champion or challenger",
            reason_zh="须为 champion 或 challenger",
        )
    last = current_setting(session, actor)
    row = ModelBlend(
        company_id=actor.company_id,
        version=1 if last is None else last.version + 1,
        model_weight=weight,
        role=role,
        created_at=clock.now(),
        created_by=actor.principal,
    )
    session.add(row)
    session.flush()
    body = {"version": row.version, "model_weight": str(weight), "model": role}
    event = audit.Event("rating_blend.set", f"rating_blend:{row.version}", body)
    audit.record(session, actor.company_id, actor.principal, event, row.created_at)
    return Setting(row.version, row.model_weight, row.role)


def rule_out(setting: Setting | None) -> BlendRuleOut:
    """The rule as the API shows it (never set: weight 0, the expert score alone)."""
    if setting is None:
        return BlendRuleOut(version=None, model_weight="0", model=None)
    role = "challenger" if setting.role == "challenger" else "champion"
    return BlendRuleOut(version=setting.version, model_weight=str(setting.model_weight), model=role)


def get_rule(session: Session, actor: Actor) -> BlendRuleOut:
    return rule_out(current_setting(session, actor))


def put_rule(session: Session, actor: Actor, data: BlendRuleIn, clock: Clock) -> BlendRuleOut:
    weight = Decimal(data.model_weight)  # the schema admits only plain decimal numbers
    return rule_out(put_setting(session, actor, weight, data.model, clock))


@dataclass(frozen=True, slots=True)
class ModelScores:
    """What a run blends: the setting, and per customer the model's score (or why none)."""

    setting: Setting | None
    model: str | None = None
    scores: dict[int, Decimal] = field(default_factory=dict)
    note: dict[str, str] | None = None  # en / zh-CN: why the expert score stands alone


def _note(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-CN": zh}


def model_scores(
    session: Session,
    actor: Actor,
    as_of: date,
    customer_ids: Sequence[int],
    models_dir: Path | None = None,
    *,
    cut: features.Cut | None = None,
) -> ModelScores:
    """The blend setting and the model's scores of ``customer_ids`` on ``as_of``."""
    setting = current_setting(session, actor)
    if setting is None or setting.model_weight == 0:
        return ModelScores(setting)
    folder = models_dir or Path(get_settings().models_dir)
    try:
        found = registry.load_model(session, actor, setting.role, folder)  # type: ignore[arg-type]
    except (DomainError, ImportError) as error:
        why = str(error)
        return ModelScores(setting, note=_note(f"model not used: {why}", f"未使用模型：{why}"))
    if found is None:
        return ModelScores(
            setting,
            note=_note(
                f"no {setting.role} model: expert score only",
                f"没有{'冠军' if setting.role == 'champion' else '挑战者'}模型：仅用专家评分",
            ),
        )
    out, saved = found
    try:
        scores = _score(session, actor, as_of, customer_ids, saved, cut)
    except (DomainError, ImportError) as error:
        why = str(error)
        return ModelScores(setting, note=_note(f"model not used: {why}", f"未使用模型：{why}"))
    return ModelScores(setting, f"{out.name}:{out.version}", scores)


def _score(
    session: Session,
    actor: Actor,
    as_of: date,
    customer_ids: Sequence[int],
    saved: Any,
    cut: features.Cut | None,
) -> dict[int, Decimal]:
    from creditguard.scoring import store

    if cut is None:
        feats = dataset.current_features(session, actor, as_of, list(customer_ids))
    else:  # the run's own read of its customers' ledger, as known on its date
        feats = cut.features()
    if feats.height == 0:
        return {}
    probabilities = store.score(saved, feats, source="ledger features")["probability_bad"]
    return {
        int(c): model_score(float(p))
        for c, p in zip(feats["customer_id"], probabilities, strict=True)
    }


def blend_details(
    scores: ModelScores, customer_id: int, expert: Decimal
) -> tuple[Decimal, dict[str, Any] | None]:
    """The score that grades, and what the rating row keeps of the blend."""
    setting = scores.setting
    if setting is None:
        return expert, None
    base = {
        "version": setting.version,
        "model_weight": str(setting.model_weight),
        "role": setting.role,
    }
    model = scores.scores.get(customer_id)
    if setting.model_weight == 0 or model is None:
        note = scores.note or _note(
            "model weight 0: expert score only"
            if setting.model_weight == 0
            else "the model could not score this customer: expert score only",
            "模型权重为 0：仅用专家评分"
            if setting.model_weight == 0
            else "模型无法为该客户评分：仅用专家评分",
        )
        return expert, {
            **base,
            "expert_score": str(expert),
            "model_score": None,
            "model": scores.model,
            "score": str(expert),
            "note": note,
        }
    score = blended_score(expert, model, setting.model_weight)
    return score, {
        **base,
        "expert_score": str(expert),
        "model_score": str(model),
        "model": scores.model,
        "score": str(score),
        "note": None,
    }
