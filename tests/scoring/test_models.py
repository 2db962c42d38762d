"""The models through the Python API: German credit, the points, the saved formats."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from creditguard.core.errors import InvalidInput
from creditguard.scoring import store
from creditguard.scoring.data import Dataset, Target, load_dataset, outcome, read_csv
from creditguard.scoring.gbm import GbmOptions, fit_gbm
from creditguard.scoring.scorecard import (
    Scaling,
    Scorecard,
    ScorecardOptions,
    as_pandas,
    fit_estimators,
)
from creditguard.scoring.validation import CvOptions, cross_validate
from tests.scoring.support import german_csv, require_ml

require_ml()

CREATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SANE_GERMAN_AUC = 0.74  # published scorecards reach 0.76-0.80 on German credit


@pytest.fixture(scope="module")
def german() -> Dataset:
    return load_dataset(german_csv(), Target("creditability", "bad"))


def _scorecard_auc(data: Dataset) -> float:
    result = cross_validate(data, CvOptions(kinds=("scorecard",)))
    return float(result.as_json()["models"]["scorecard"]["auc"])


def test_german_scorecard_auc_is_in_a_sane_band(german: Dataset) -> None:
    assert (german.rows, german.bad_rate) == (1000, 0.3)
    assert _scorecard_auc(german) > SANE_GERMAN_AUC


def test_a_shuffled_target_fails_the_band(german: Dataset) -> None:
    shuffled = np.random.default_rng(0).permutation(german.y)
    broken = Dataset(german.features, german.frame, shuffled, german.target, german.id_column)
    auc = _scorecard_auc(broken)
    assert abs(auc - 0.5) < 0.06
    assert not auc > SANE_GERMAN_AUC


def test_the_card_applies_bins_exactly_as_optbinning_does(sample: Path, tmp_path: Path) -> None:
    data = load_dataset(sample, Target("default"))
    fitted = fit_estimators(data.frame, data.y, data.features, ScorecardOptions())
    # New rows: a region never seen in training, missing values, values beyond every cut point.
    new = pl.DataFrame(
        {
            "age": [None, 18.0, 99.0, 45.0],
            "income": [1e9, None, -5.0, 8000.0],
            "utilisation": [0.5, 1.5, None, 0.0],
            "region": ["mars", None, "east", "华东"],
            "guarantee": ["yes", "maybe", None, "no"],
        }
    )
    for frame in (data.frame, new):
        woe = fitted.binning_process.transform(
            as_pandas(frame, data.features), metric_missing="empirical"
        ).to_numpy()
        assert np.array_equal(fitted.scorecard.woe(frame), woe)
        expected = fitted.logistic.predict_proba(woe)[:, 1]
        assert np.max(np.abs(fitted.scorecard.predict(frame) - expected)) <= 1e-12


def test_points_add_up_to_the_score_and_follow_the_scaling(sample: Path) -> None:
    data = load_dataset(sample, Target("default"))
    card = fit_estimators(data.frame, data.y, data.features, ScorecardOptions()).scorecard
    scaling = Scaling(pdo=20, base_score=600, base_odds=50)
    # Odds of good 50:1 score 600; 100:1 (twice the odds) 620; 25:1 580.
    log_odds_bad = -np.log(np.array([50.0, 100.0, 25.0]))
    assert card.points(log_odds_bad) == pytest.approx([600.0, 620.0, 580.0], abs=1e-9)
    assert card.scaling == scaling
    table = {(r.variable, r.bin): r.points for r in card.points_table()}
    row = data.frame[:1]  # age 45-ish, a region, a guarantee: look its bins up by hand
    by_hand = 0.0
    for bins in card.bins:
        woe = float(bins.apply(row[bins.feature.name])[0])
        labels = [*bins.labels(), "(missing)", "(other)"]
        woes = [*bins.woe, bins.missing_woe, bins.unknown_woe]
        by_hand += table[(bins.feature.name, labels[woes.index(woe)])]
    assert by_hand == pytest.approx(float(card.score(row)[0]), abs=1e-9)


def test_saved_scorecard_scores_like_the_model_in_memory(sample: Path, tmp_path: Path) -> None:
    data = load_dataset(sample, Target("default"))
    saved = store.train(data, "scorecard", CvOptions(), created_at=CREATED)
    assert isinstance(saved.model, Scorecard)
    in_memory, points = saved.model.predict(data.frame), saved.model.score(data.frame)
    store.save(tmp_path / "m", saved)
    loaded = store.load(tmp_path / "m")
    assert loaded.manifest == saved.manifest
    scored = store.score(loaded, read_csv(sample), source="sample.csv")
    assert scored.columns == ["id", "probability_bad", "score"]
    assert scored["id"].to_list() == list(range(1, 401))
    assert np.array_equal(scored["probability_bad"].to_numpy(), in_memory)
    assert np.array_equal(scored["score"].to_numpy(), points)
    written = tmp_path / "scores.csv"
    scored.write_csv(written)  # what `model score --out` writes reads back to the same floats
    assert np.array_equal(pl.read_csv(written)["probability_bad"].to_numpy(), in_memory)


def test_saved_gbm_scores_like_the_model_in_memory(german: Dataset, tmp_path: Path) -> None:
    saved = store.train(german, "gbm", CvOptions(seed=5), created_at=CREATED)
    in_memory = saved.model.predict(german.frame)
    store.save(tmp_path / "gbm", saved)
    assert (tmp_path / "gbm" / "lightgbm.txt").read_text(encoding="utf-8").startswith("tree")
    loaded = store.load(tmp_path / "gbm")
    scored = store.score(loaded, read_csv(german_csv()), source="germancredit.csv")
    assert scored.columns == ["probability_bad"]  # German credit has no id column
    assert np.max(np.abs(scored["probability_bad"].to_numpy() - in_memory)) <= 1e-12


def test_gbm_is_deterministic_and_keeps_monotone_constraints(sample: Path) -> None:
    data = load_dataset(sample, Target("default"))
    options = GbmOptions(seed=1, monotone={"utilisation": 1, "age": -1})
    model = fit_gbm(data.frame, data.y, data.features, options)
    again = fit_gbm(data.frame, data.y, data.features, options)
    assert np.array_equal(model.predict(data.frame), again.predict(data.frame))
    grid = np.linspace(0.0, 1.0, 21)
    rows = pl.DataFrame(
        {
            "age": [40.0] * 21,
            "income": [8000.0] * 21,
            "utilisation": grid,
            "region": ["east"] * 21,
            "guarantee": ["no"] * 21,
        }
    )
    risk = model.predict(rows)
    assert np.all(np.diff(risk) >= 0)  # more utilisation never means less risk
    assert risk[-1] > risk[0]
    older = model.predict(rows.with_columns(pl.col("age") + 20.0))
    assert np.all(older <= risk)


def test_gbm_refuses_a_constraint_on_text_or_an_unknown_column(sample: Path) -> None:
    data = load_dataset(sample, Target("default"))
    for monotone, named in (({"region": 1}, "region"), ({"salary": 1}, "salary")):
        with pytest.raises(InvalidInput) as refused:
            fit_gbm(data.frame, data.y, data.features, GbmOptions(monotone=monotone))
        assert refused.value.problems[0].value == named


@pytest.mark.parametrize(
    ("values", "bad_value", "expected"),
    [
        ([0, 1, 1, 0], None, [0, 1, 1, 0]),
        ([0.0, 1.0, 0.0], None, [0, 1, 0]),
        ([True, False, True], "true", [1, 0, 1]),
        ([2, 7, 2], "7", [0, 1, 0]),
        ([2.0, 7.0], "7", [0, 1]),
        (["paid", "late", "default", "paid"], "default", [0, 0, 1, 0]),
    ],
)
def test_outcome(values: list[object], bad_value: str | None, expected: list[int]) -> None:
    assert outcome(pl.Series("t", values), bad_value).tolist() == expected


def test_scaling_refuses_non_positive_pdo_and_odds() -> None:
    for kwargs in ({"pdo": 0.0}, {"base_odds": -1.0}, {"pdo": math.nan}):
        with pytest.raises(InvalidInput):
            Scaling(**kwargs)
