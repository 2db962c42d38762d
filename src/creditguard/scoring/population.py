"""The training population of a model, kept in its manifest (``population``), and PSI drift of
today's population against it: of the score and of every feature.

Numbers are cut at the deciles of the training values (missing values in a bin of their
own); text by category (a category unseen in training counts as ``(other)``). Bands: PSI
below 0.1 stable, 0.1-0.25 worth a look, above 0.25 the population has moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from creditguard.scoring.data import Feature
from creditguard.scoring.metrics import psi_of_shares

POPULATION_KEY = "population"
MISSING = "(missing)"
OTHER = "(other)"
STABLE, MOVED = 0.1, 0.25
Band = Literal["stable", "watch", "moved"]


def band(value: float) -> Band:
    """The usual reading of a PSI: < 0.1 stable, 0.1-0.25 watch, > 0.25 moved."""
    if value < STABLE:
        return "stable"
    return "watch" if value <= MOVED else "moved"


def _edges(values: np.ndarray) -> list[float]:
    if values.size == 0:
        return []
    return [float(e) for e in np.unique(np.quantile(values, np.linspace(0, 1, 11)[1:-1]))]


def _numeric_shares(column: pl.Series, edges: Sequence[float]) -> list[float]:
    values = column.cast(pl.Float64)
    present = values.drop_nulls().drop_nans().to_numpy()
    total = max(values.len(), 1)
    bins = np.searchsorted(np.asarray(edges), present, side="right")
    counts = np.bincount(bins, minlength=len(edges) + 1) / total
    return [*(float(c) for c in counts), (values.len() - present.size) / total]


def _category_shares(column: pl.Series, known: Sequence[str] | None) -> dict[str, float]:
    text = column.cast(pl.String).fill_null(MISSING)
    if known is not None:
        text = text.replace_strict({k: k for k in known}, default=OTHER, return_dtype=pl.String)
    counts = text.value_counts()
    total = max(text.len(), 1)
    return {str(k): int(n) / total for k, n in counts.iter_rows()}


def describe(
    scores: np.ndarray, columns: pl.DataFrame, features: Sequence[Feature]
) -> dict[str, Any]:
    """The distribution of the training scores and of every feature."""
    edges = _edges(scores)
    described: dict[str, Any] = {
        "score": {"edges": edges, "shares": _numeric_shares(pl.Series(scores), edges)},
        "features": {},
    }
    for f in features:
        column = columns[f.name]
        if f.kind == "categorical":
            described["features"][f.name] = {"shares": _category_shares(column, None)}
        else:
            cut = _edges(column.cast(pl.Float64).drop_nulls().drop_nans().to_numpy())
            described["features"][f.name] = {"edges": cut, "shares": _numeric_shares(column, cut)}
    return described


def _psi(expected: Mapping[str, Any], column: pl.Series) -> float:
    if "edges" in expected:
        actual = _numeric_shares(column, expected["edges"])
        return psi_of_shares(np.asarray(expected["shares"]), np.asarray(actual))
    shares: Mapping[str, float] = expected["shares"]
    names = [*shares, OTHER]
    now = _category_shares(column, list(shares))
    before = np.asarray([shares.get(n, 0.0) for n in names])
    return psi_of_shares(before, np.asarray([now.get(n, 0.0) for n in names]))


def drift(baseline: Mapping[str, Any], scores: np.ndarray, columns: pl.DataFrame) -> dict[str, Any]:
    """PSI of today's scores and of every feature against the training population."""
    score = _psi(baseline["score"], pl.Series(scores))
    found = [
        {"feature": name, "psi": round(value, 4), "band": band(value)}
        for name, expected in baseline["features"].items()
        for value in (_psi(expected, columns[name]),)
    ]
    return {
        "rows": columns.height,
        "score": {"psi": round(score, 4), "band": band(score)},
        "features": found,
    }
