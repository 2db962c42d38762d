"""The challenger: gradient-boosted trees (LightGBM) on the same columns as the scorecard.

Text columns are categorical features (each category a code learned at fit; a category unseen
in training and a missing value both go where LightGBM sends missing values). Deterministic for a
given seed (``deterministic=True``, fixed thread count). Monotone constraints can be given per
numeric column (+1: a higher value may only raise the risk, -1: only lower it) where the business
meaning is clear, e.g. days past due.

The model is saved as LightGBM's own text format (no pickle) and the category codes as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.scoring._ml import extra
from creditguard.scoring.data import Feature, Outcome, refuse

if TYPE_CHECKING:
    import lightgbm

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GbmOptions:
    """LightGBM settings: 100 trees of at most 8 leaves (LightGBM's default is 100 of 31), a
    learning rate of 0.08, 30 rows a leaf, 80% of the columns a tree, a light L2 penalty. On
    German credit (1,000 rows) the defaults overfit (AUC 0.773 against 0.788); on Give Me Some
    Credit both reach 0.865; and the smaller trees score 1M rows in about 60% of the defaults' time
    (bench/models.py). ``n_jobs`` stays at 2 at most (machines of 2 cores), and at 1 for small
    data."""

    seed: int = 0
    monotone: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    learning_rate: float = 0.08
    n_estimators: int = 100
    num_leaves: int = 8
    min_child_samples: int = 30
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    n_jobs: int = 2


@dataclass(frozen=True)
class GbmModel:
    """A fitted booster with the columns it reads and the codes of their categories."""

    features: tuple[Feature, ...]
    levels: Mapping[str, tuple[str, ...]]
    booster: lightgbm.Booster

    def matrix(self, frame: pl.DataFrame) -> Floats:
        return design_matrix(frame, self.features, self.levels)

    def predict(self, frame: pl.DataFrame) -> Floats:
        """Probability of bad for each row."""
        return np.asarray(self.booster.predict(self.matrix(frame)), dtype=np.float64)

    def save(self, path: Path) -> None:
        """LightGBM's text model (every tree and threshold, full precision)."""
        self.booster.save_model(str(path))

    @classmethod
    def load(
        cls, path: Path, features: Sequence[Feature], levels: Mapping[str, Sequence[str]]
    ) -> GbmModel:
        with extra():
            import lightgbm
        booster = lightgbm.Booster(model_file=str(path))
        return cls(tuple(features), {k: tuple(v) for k, v in levels.items()}, booster)


def design_matrix(
    frame: pl.DataFrame, features: Sequence[Feature], levels: Mapping[str, Sequence[str]]
) -> Floats:
    """The features as LightGBM reads them: numbers, and category codes (NaN if unknown)."""
    return np.column_stack([_column(frame[f.name], f, levels) for f in features])


def _column(column: pl.Series, feature: Feature, levels: Mapping[str, Sequence[str]]) -> Floats:
    if feature.kind == "numeric":
        return column.to_numpy()
    codes = {c: float(n) for n, c in enumerate(levels[feature.name])}
    # Unseen categories and missing values both become NaN: LightGBM's missing value.
    return column.replace_strict(codes, default=None, return_dtype=pl.Float64).to_numpy()


def monotone_constraints(features: Sequence[Feature], monotone: Mapping[str, int]) -> list[int]:
    """The constraint of each feature in order (0: none); refuse an unknown or text column."""
    names = {f.name: f for f in features}
    for name, direction in monotone.items():
        if name not in names:
            raise refuse("monotone", name, "is not a feature column", "不是特征列")
        if names[name].kind != "numeric":
            raise refuse(
                "monotone",
                name,
                "is a text column: categories have no order",
                "是文本列：类别没有顺序",
            )
        if direction not in (-1, 0, 1):
            raise refuse(f"monotone {name}", direction, "must be +1, -1 or 0", "必须为 +1、-1 或 0")
    return [int(monotone.get(f.name, 0)) for f in features]


# Below this many rows one thread is faster: OpenMP's hand-offs cost more than the work, and
# its spinning threads slow to a crawl when the other core is busy (measured: 1,000 rows fit in
# 0.07 s alone, 3 s beside another process).
_ONE_THREAD_BELOW = 20_000


def _threads(rows: int, n_jobs: int) -> int:
    return 1 if rows < _ONE_THREAD_BELOW else max(1, min(n_jobs, 2))


def fit_gbm(
    frame: pl.DataFrame,
    y: Outcome,
    features: Sequence[Feature],
    options: GbmOptions | None = None,
) -> GbmModel:
    """Fit the booster on ``frame`` (the features' columns) and ``y`` (1 = bad)."""
    chosen = options or GbmOptions()
    constraints = monotone_constraints(features, chosen.monotone)
    with extra():
        from lightgbm import LGBMClassifier
    levels = {
        f.name: tuple(sorted(frame[f.name].drop_nulls().unique().to_list()))
        for f in features
        if f.kind == "categorical"
    }
    model = LGBMClassifier(
        learning_rate=chosen.learning_rate,
        n_estimators=chosen.n_estimators,
        num_leaves=chosen.num_leaves,
        min_child_samples=chosen.min_child_samples,
        colsample_bytree=chosen.colsample_bytree,
        reg_lambda=chosen.reg_lambda,
        random_state=chosen.seed,
        n_jobs=_threads(frame.height, chosen.n_jobs),
        deterministic=True,
        force_col_wise=True,
        monotone_constraints=constraints,
        verbose=-1,
    )
    categorical = [n for n, f in enumerate(features) if f.kind == "categorical"]
    model.fit(design_matrix(frame, features, levels), y, categorical_feature=categorical or "auto")
    return GbmModel(tuple(features), levels, model.booster_)
