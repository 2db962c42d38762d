"""A trained model on disk, and batch scoring with it.

A model directory holds ``model.json`` (the manifest: kind, features and their types, target,
bad value, id column, training size, cross-validation figures if run, creation time, library
versions) and the model in a format that is data, not code — never a pickle:

- scorecard: ``scorecard.json`` (bins, WoE, coefficients, scaling; applied with NumPy, no extra
  needed) and ``points.csv`` (variable, bin, WoE, points: the card to read or print);
- challenger: ``lightgbm.txt`` (LightGBM's own text model).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from creditguard.scoring import population
from creditguard.scoring.data import ID_COLUMNS, Dataset, Feature, Target, feature_frame, refuse
from creditguard.scoring.gbm import GbmModel, fit_gbm
from creditguard.scoring.scorecard import Scorecard, fit_scorecard, probability
from creditguard.scoring.validation import CvOptions, ModelKind, cross_validate

FORMAT = "creditguard-model"
MANIFEST = "model.json"
SCORECARD_FILE = "scorecard.json"
POINTS_FILE = "points.csv"
GBM_FILE = "lightgbm.txt"
_LIBRARIES = ("creditguard", "optbinning", "scikit-learn", "lightgbm", "numpy", "polars")


@dataclass(frozen=True)
class Manifest:
    """What a saved model is, what it reads, and how it was trained."""

    kind: ModelKind
    features: tuple[Feature, ...]
    target: Target
    id_column: str | None
    rows: int
    bad_rate: float
    created_at: datetime
    cv: Mapping[str, Any] | None = None
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": 1,
            "kind": self.kind,
            "features": [{"name": f.name, "kind": f.kind, "dtype": f.dtype} for f in self.features],
            "target": self.target.column,
            "bad_value": self.target.bad_value,
            "id_column": self.id_column,
            "rows": self.rows,
            "bad_rate": self.bad_rate,
            "created_at": self.created_at.isoformat(),
            "cv": None if self.cv is None else dict(self.cv),
            "levels": {k: list(v) for k, v in self.levels.items()},
            "files": [SCORECARD_FILE, POINTS_FILE] if self.kind == "scorecard" else [GBM_FILE],
            "libraries": _versions(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        if data.get("format") != FORMAT or data.get("version") != 1:
            raise ValueError(f"not a {FORMAT} version 1 manifest")
        return cls(
            kind=data["kind"],
            features=tuple(Feature(f["name"], f["kind"], f["dtype"]) for f in data["features"]),
            target=Target(data["target"], data["bad_value"]),
            id_column=data["id_column"],
            rows=int(data["rows"]),
            bad_rate=float(data["bad_rate"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            cv=data.get("cv"),
            levels={k: tuple(v) for k, v in data.get("levels", {}).items()},
        )


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


@dataclass(frozen=True)
class SavedModel:
    """A manifest and the model it describes."""

    manifest: Manifest
    model: Scorecard | GbmModel
    population: Mapping[str, Any] | None = None  # the training population (PSI baseline)


def train(
    data: Dataset, kind: ModelKind, options: CvOptions, *, created_at: datetime, cv: bool = False
) -> SavedModel:
    """Fit ``kind`` on every row of ``data``; with ``cv``, cross-validate it first."""
    figures = None
    if cv:
        figures = cross_validate(data, replace(options, kinds=(kind,))).models[0].as_json()
    model: Scorecard | GbmModel
    if kind == "scorecard":
        model = fit_scorecard(data.frame, data.y, data.features, options.scorecard)
    else:
        model = fit_gbm(data.frame, data.y, data.features, replace(options.gbm, seed=options.seed))
    levels = model.levels if isinstance(model, GbmModel) else {}
    manifest = Manifest(
        kind,
        data.features,
        data.target,
        data.id_column,
        data.rows,
        data.bad_rate,
        created_at,
        figures,
        levels,
    )
    columns = feature_frame(data.frame, data.features, source="training data")
    scores = _probabilities(model, columns)
    return SavedModel(manifest, model, population.describe(scores, columns, data.features))


def _probabilities(model: Scorecard | GbmModel, columns: pl.DataFrame) -> np.ndarray:
    if isinstance(model, Scorecard):
        return np.asarray(probability(model.log_odds_bad(columns)), dtype=np.float64)
    return np.asarray(model.predict(columns), dtype=np.float64)


def save(directory: Path, saved: SavedModel) -> None:
    """Write the model directory whole: into a new folder beside it, then swapped into place.

    ``directory`` must not exist, be empty, or already hold a model (which is replaced).
    """
    _check_target(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        _write(staging, saved)
        if directory.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=directory.parent))
            directory.replace(old / "model")
            staging.replace(directory)
            shutil.rmtree(old)
        else:
            staging.replace(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_target(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise refuse("--out", str(directory), "is a file, not a directory", "是文件，不是目录")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MANIFEST).is_file():
        raise refuse(
            "--out",
            str(directory),
            "is a directory with other files in it: choose a new or empty directory",
            "目录中已有其他文件：请选择新的或空的目录",
        )


def _write(folder: Path, saved: SavedModel) -> None:
    model = saved.model
    if isinstance(model, Scorecard):
        _dump(folder / SCORECARD_FILE, model.to_json())
        points = pl.DataFrame(
            [
                {"variable": r.variable, "bin": r.bin, "woe": r.woe, "points": r.points}
                for r in model.points_table()
            ]
        )
        points.write_csv(folder / POINTS_FILE)
    else:
        model.save(folder / GBM_FILE)
    manifest = saved.manifest.to_json()
    if saved.population is not None:  # the PSI baseline travels in the manifest
        manifest[population.POPULATION_KEY] = saved.population
    _dump(folder / MANIFEST, manifest)


def _dump(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load(directory: Path) -> SavedModel:
    """Read a model directory written by :func:`save`."""
    try:
        written = _read_json(directory / MANIFEST)
        manifest = Manifest.from_json(written)
        model: Scorecard | GbmModel
        if manifest.kind == "scorecard":
            model = Scorecard.from_json(_read_json(directory / SCORECARD_FILE))
        else:
            model = GbmModel.load(directory / GBM_FILE, manifest.features, manifest.levels)
        described = written.get(population.POPULATION_KEY)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise refuse(
            "--model",
            str(directory),
            f"is not a readable creditguard model directory ({error})",
            f"不是可读取的 creditguard 模型目录（{error}）",
        ) from None
    return SavedModel(manifest, model, described)


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    return data


def score(saved: SavedModel, frame: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """One row per input row: its id (if the data has an id column), the probability of bad,
    and for a scorecard the score in points."""
    columns = feature_frame(frame, saved.manifest.features, source=source)
    model = saved.model
    if isinstance(model, Scorecard):
        log_odds = model.log_odds_bad(columns)  # once, for both the probability and the points
        out = [
            pl.Series("probability_bad", probability(log_odds)),
            pl.Series("score", model.points(log_odds)),
        ]
    else:
        out = [pl.Series("probability_bad", model.predict(columns))]
    id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
    if id_column is not None:
        out.insert(0, frame[id_column])
    return pl.DataFrame(out)
