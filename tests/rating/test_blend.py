"""Blending the champion model's score into the grade: the exact blended score of a literal
case, weight 0 = the expert score alone, no champion = expert only and said."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from creditguard.config import get_settings
from creditguard.core.errors import InvalidInput
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.rating import service
from creditguard.rating.schemas import RatingOut
from creditguard.rating.service import blend, dataset, registry
from creditguard.scoring import store
from tests import builders as b
from tests.rating.test_dataset import _ledger as _literal_ledger
from tests.rating.test_registry import _ledger_model
from tests.scoring.support import require_ml

T = date(2025, 6, 30)
BOB = "user:bob"


def test_the_mapping_and_the_blend_of_a_literal_case() -> None:
    assert blend.model_score(0.12) == Decimal("88.00")
    assert blend.model_score(0.123456) == Decimal("87.65")  # 87.6544 -> 87.65
    # 0.6 x 70.00 + 0.4 x 88.00 = 42.00 + 35.20
    assert blend.blended_score(Decimal("70.00"), Decimal("88.00"), Decimal("0.4")) == Decimal("77.20")  # fmt: skip
    assert blend.blended_score(Decimal("70.00"), Decimal("88.00"), Decimal(0)) == Decimal("70.00")
    # half up at the cent: 0.5 x 70.01 + 0.5 x 70.00 = 70.005
    assert blend.blended_score(Decimal("70.01"), Decimal("70.00"), Decimal("0.5")) == Decimal("70.01")  # fmt: skip


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CREDITGUARD_MODELS_DIR", str(tmp_path / "registry"))
    get_settings.cache_clear()
    yield tmp_path / "registry"
    get_settings.cache_clear()


def _rate(db: Database, actor: Actor, customer_id: int) -> RatingOut:
    with db.write() as session:
        return service.rate_customer(session, actor, customer_id, b.clock(), as_of=T)


def _set(db: Database, actor: Actor, weight: str) -> None:
    with db.write() as session:
        blend.put_setting(session, actor, Decimal(weight), "champion", b.clock())


def _champion(db: Database, actor: Actor, tmp_path: Path, models_dir: Path) -> float:
    """Register and promote the ledger scorecard; C1's probability of bad on T."""
    trained = _ledger_model(tmp_path)
    with db.write() as session:
        made = registry.register(
            session, actor, trained, b.clock(), models_dir=models_dir, name="ledger", description="synthetic",
        )  # fmt: skip
        registry.promote(session, Actor(actor.company_id, BOB, "credit_manager"), made.id, "champion", b.clock())  # fmt: skip
        feats = dataset.current_features(session, actor, T, [1])
    saved = store.load(trained)
    return float(store.score(saved, feats, source="test")["probability_bad"][0])


def test_blended_rating_records_both_scores(db: Database, tmp_path: Path, models_dir: Path) -> None:
    require_ml()
    actor, _ = _literal_ledger(db)
    expert = _rate(db, actor, 1)
    assert expert.blend is None  # no setting: the expert scorecard alone, as before
    pd = _champion(db, actor, tmp_path, models_dir)
    _set(db, actor, "0.4")
    rated = _rate(db, actor, 1)
    model = (100 * (1 - Decimal(repr(pd)))).quantize(Decimal("0.01"))
    expected = (Decimal("0.6") * Decimal(expert.score) + Decimal("0.4") * model).quantize(Decimal("0.01"))  # fmt: skip
    assert rated.blend is not None
    assert (rated.blend.expert_score, rated.blend.model_score) == (expert.score, str(model))
    assert (rated.score, rated.blend.score, rated.blend.model) == (str(expected), str(expected), "ledger:1")  # fmt: skip
    assert rated.blend.note is None
    _set(db, actor, "0")
    alone = _rate(db, actor, 1)
    assert (alone.score, alone.grade) == (expert.score, expert.grade)
    assert alone.blend is not None
    assert alone.blend.note == {"en": "model weight 0: expert score only", "zh-CN": "模型权重为 0：仅用专家评分"}  # fmt: skip


def test_no_champion_means_expert_only_and_says_so(db: Database, models_dir: Path) -> None:
    actor, _ = _literal_ledger(db)
    expert = _rate(db, actor, 1)
    _set(db, actor, "0.4")
    rated = _rate(db, actor, 1)
    assert (rated.score, rated.grade) == (expert.score, expert.grade)
    assert rated.blend is not None
    assert rated.blend.model_score is None
    assert rated.blend.note == {"en": "no champion model: expert score only", "zh-CN": "没有冠军模型：仅用专家评分"}  # fmt: skip
    del models_dir


def test_a_weight_outside_0_1_is_refused(db: Database) -> None:
    actor = b.company(db)
    with pytest.raises(InvalidInput) as caught:
        _set(db, actor, "1.01")
    assert caught.value.problems[0].field == "model_weight"
