"""PSI drift against the training population kept beside a model."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from creditguard.scoring.data import Feature
from creditguard.scoring.population import band, describe, drift

FEATURES = (Feature("days", "numeric", "i64"), Feature("region", "categorical", "str"))


def _population(days: list[float | None], regions: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"days": days, "region": regions}, schema={"days": pl.Float64, "region": pl.String})  # fmt: skip


def test_the_training_population_against_itself_is_stable() -> None:
    frame = _population([float(d) for d in range(100)], ["north", "south"] * 50)
    scores = np.linspace(0.01, 0.5, 100)
    found = drift(describe(scores, frame, FEATURES), scores, frame)
    assert found["score"] == {"psi": 0.0, "band": "stable"}
    assert found["features"] == [
        {"feature": "days", "psi": 0.0, "band": "stable"},
        {"feature": "region", "psi": 0.0, "band": "stable"},
    ]


def test_a_literal_shift() -> None:
    """Training: half north, half south. Today: all north -> shares (1, 0, other 0) against
    (0.5, 0.5, 0): PSI = (1-.5)ln(1/.5) + (0.0001-.5)ln(0.0001/.5) (shares floored at 0.01%)."""
    before = _population([1.0, 2.0], ["north", "south"])
    today = _population([1.0, None], ["north", "north"])
    baseline = describe(np.array([0.1, 0.2]), before, FEATURES)
    found = drift(baseline, np.array([0.1, 0.2]), today)
    expected = 0.5 * math.log(2) + (0.0001 - 0.5) * math.log(0.0001 / 0.5)
    region = found["features"][1]
    assert region == {"feature": "region", "psi": round(expected, 4), "band": "moved"}
    assert found["features"][0]["band"] == "moved"  # half of today's values are missing


def test_bands_at_their_edges() -> None:
    assert [band(v) for v in (0.0999, 0.1, 0.25, 0.2501)] == ["stable", "watch", "watch", "moved"]
