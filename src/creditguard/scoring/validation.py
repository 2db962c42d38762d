"""Stratified k-fold cross-validation of the scorecard and the challenger on one dataset.

Each model is fitted on k-1 parts and scored on the part held out, for each part in turn; the
figures are the means over the folds, ``fit_seconds`` the mean time of one fit. The calibration
table pools the held-out predictions of every fold.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.scoring import metrics
from creditguard.scoring._ml import extra
from creditguard.scoring.data import Dataset, Feature, Outcome, check_folds
from creditguard.scoring.gbm import GbmOptions, fit_gbm
from creditguard.scoring.scorecard import ScorecardOptions, fit_scorecard

ModelKind = Literal["scorecard", "gbm"]
MODEL_KINDS: tuple[ModelKind, ...] = ("scorecard", "gbm")
Floats = npt.NDArray[np.float64]


class Model(Protocol):
    def predict(self, frame: pl.DataFrame) -> Floats: ...


@dataclass(frozen=True, slots=True)
class CvOptions:
    """Folds, the seed of the fold split and of the models, and each model's settings."""

    folds: int = 5
    seed: int = 0
    kinds: tuple[ModelKind, ...] = MODEL_KINDS
    scorecard: ScorecardOptions = field(default_factory=ScorecardOptions)
    gbm: GbmOptions = field(default_factory=GbmOptions)


def fit(
    kind: ModelKind,
    frame: pl.DataFrame,
    y: Outcome,
    features: Sequence[Feature],
    options: CvOptions,
) -> Model:
    """Fit one model of ``kind``; the challenger takes the seed of ``options``."""
    if kind == "scorecard":
        return fit_scorecard(frame, y, features, options.scorecard)
    return fit_gbm(frame, y, features, replace(options.gbm, seed=options.seed))


@dataclass(frozen=True, slots=True)
class Fold:
    """One held-out part: its size and the model's figures on it."""

    fold: int
    rows: int
    auc: float
    ks: float
    brier: float
    fit_seconds: float


@dataclass(frozen=True)
class ModelResult:
    """A model's figures over all folds."""

    kind: ModelKind
    folds: tuple[Fold, ...]
    calibration: tuple[metrics.CalibrationRow, ...]

    def _mean(self, name: str) -> float:
        return float(np.mean([getattr(f, name) for f in self.folds]))

    def as_json(self) -> dict[str, Any]:
        """The contract of ``model evaluate --json``: auc, ks, gini, fit_seconds, and more."""
        auc = self._mean("auc")
        return {
            "auc": auc,
            "ks": self._mean("ks"),
            "gini": metrics.gini(auc),
            "fit_seconds": self._mean("fit_seconds"),
            "brier": self._mean("brier"),
            "auc_std": float(np.std([f.auc for f in self.folds])),
            "folds": [
                {
                    "fold": f.fold,
                    "rows": f.rows,
                    "auc": f.auc,
                    "ks": f.ks,
                    "gini": metrics.gini(f.auc),
                    "brier": f.brier,
                    "fit_seconds": f.fit_seconds,
                }
                for f in self.folds
            ],
            "calibration": [
                {
                    "group": c.group,
                    "count": c.count,
                    "mean_predicted": c.mean_predicted,
                    "observed_bad_rate": c.observed_bad_rate,
                }
                for c in self.calibration
            ],
        }


@dataclass(frozen=True)
class Evaluation:
    """What ``model evaluate`` reports: the data's size and bad rate, and each model's figures."""

    rows: int
    bad_rate: float
    models: tuple[ModelResult, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "bad_rate": self.bad_rate,
            "models": {m.kind: m.as_json() for m in self.models},
        }


def splits(y: Outcome, folds: int, seed: int) -> list[tuple[Any, Any]]:
    """Stratified folds: the same share of bads in every part, shuffled by ``seed``."""
    check_folds(y, folds)
    with extra():
        from sklearn.model_selection import StratifiedKFold
    parts = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(parts.split(np.zeros(y.size), y))


def cross_validate(data: Dataset, options: CvOptions | None = None) -> Evaluation:
    """k-fold cross-validation of each model kind in ``options`` on ``data``."""
    chosen = options or CvOptions()
    parts = splits(data.y, chosen.folds, chosen.seed)
    _load_libraries(chosen.kinds)
    results = tuple(_validate(kind, data, parts, chosen) for kind in chosen.kinds)
    return Evaluation(data.rows, data.bad_rate, results)


_LIBRARIES: dict[str, tuple[str, ...]] = {
    "scorecard": ("optbinning", "sklearn.linear_model"),
    "gbm": ("lightgbm",),
}


def _load_libraries(kinds: Sequence[str]) -> None:
    """Import the models' libraries before any clock starts: ``fit_seconds`` is the time to
    fit, the same for the first fold as for the others, not the time to load optbinning."""
    with extra():
        for kind in kinds:
            for name in _LIBRARIES.get(kind, ()):
                importlib.import_module(name)


def _validate(
    kind: ModelKind, data: Dataset, parts: list[tuple[Any, Any]], options: CvOptions
) -> ModelResult:
    held_out = np.empty(data.rows, dtype=np.float64)
    folds = []
    for n, (train, test) in enumerate(parts, start=1):
        started = time.perf_counter()
        model = fit(kind, data.frame[train], data.y[train], data.features, options)
        seconds = time.perf_counter() - started
        p = model.predict(data.frame[test])
        held_out[test] = p
        y = data.y[test]
        folds.append(
            Fold(
                n, int(test.size), metrics.auc(y, p), metrics.ks(y, p), metrics.brier(y, p), seconds
            )
        )
    return ModelResult(kind, tuple(folds), metrics.calibration(data.y, held_out))
