"""A weight-of-evidence scorecard with points.

Fitting: optbinning's :class:`BinningProcess` bins every feature (optimal binning, numeric cut
points or groups of categories, missing values in a bin of their own), each bin's weight of
evidence WoE = ln(share of goods / share of bads) replaces the raw value, and a logistic
regression on the WoE columns gives the log-odds of bad: z = b0 + Σ bᵢ·WoEᵢ.

Points: score = offset + factor·ln(odds of good), with factor = PDO / ln 2 and
offset = base score - factor·ln(base odds): the score is the base score at the base odds (good:bad)
and PDO more points double the odds. Since ln(odds of good) = -z, each bin of feature i is worth
-factor·bᵢ·WoE + (offset - factor·b0) / n points and a row's points add up to its score.

The fitted card is plain data (:class:`Scorecard`): cut points, categories, WoE and coefficients.
It is applied here with NumPy and Polars, saved as JSON and reloaded without the extra ``ml``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.scoring._ml import extra
from creditguard.scoring.data import Feature, Outcome, refuse

Floats = npt.NDArray[np.float64]
FORMAT = "creditguard-scorecard"


@dataclass(frozen=True, slots=True)
class Scaling:
    """Points scaling: ``base_score`` points at odds of ``base_odds`` goods per bad; every
    ``pdo`` points more doubles the odds."""

    pdo: float = 20.0
    base_score: float = 600.0
    base_odds: float = 50.0

    def __post_init__(self) -> None:
        for option, value in (("--pdo", self.pdo), ("--base-odds", self.base_odds)):
            if not (math.isfinite(value) and value > 0):
                raise refuse(option, value, "must be a positive number", "必须是正数")
        if not math.isfinite(self.base_score):
            raise refuse("--base-score", self.base_score, "must be a number", "必须是数字")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)


@dataclass(frozen=True, slots=True)
class ScorecardOptions:
    """How the card is fitted. The binning keeps optbinning's defaults (CART pre-binning into at
    most 20 bins of at least 5% of the rows, constraint-programming solver) except the trend
    search: ``auto_heuristic`` finds the same monotonic trends as ``auto`` on German credit and
    Give Me Some Credit in less time (bench/models.py)."""

    scaling: Scaling = field(default_factory=Scaling)
    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    monotonic_trend: str = "auto_heuristic"
    regularisation: float = 1.0  # scikit-learn's C: inverse of the L2 penalty
    max_iter: int = 1000  # lbfgs converges in well under 100 on WoE columns; room to spare


@dataclass(frozen=True, slots=True)
class Bins:
    """One feature's bins and their WoE, as optbinning fitted them.

    Numeric: bin k holds ``splits[k-1] <= x < splits[k]`` (open at both ends). Categorical: bin k
    holds the categories ``groups[k]``; a category never seen in training gets ``unknown_woe``.
    Missing values get ``missing_woe`` (the empirical WoE of the training rows without a value,
    0 when there were none or when they were all good or all bad).
    """

    feature: Feature
    woe: tuple[float, ...]
    missing_woe: float
    splits: tuple[float, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    unknown_woe: float = 0.0

    def labels(self) -> list[str]:
        """Readable bins for the points table: ``[8.5, 11.5)`` or ``car (new), repairs``."""
        if self.feature.kind == "categorical":
            return [", ".join(group) for group in self.groups]
        edges = [-math.inf, *self.splits, math.inf]
        return [f"[{lo:.6g}, {hi:.6g})" for lo, hi in itertools.pairwise(edges)]

    def apply(self, column: pl.Series) -> Floats:
        """The WoE of each value in ``column`` (Float64 for numeric, String for categorical)."""
        if self.feature.kind == "categorical":
            codes = {c: self.woe[k] for k, group in enumerate(self.groups) for c in group}
            # replace_strict would give a missing value the default (the unseen-category WoE)
            known = column.replace_strict(codes, default=self.unknown_woe, return_dtype=pl.Float64)
            return np.where(column.is_null().to_numpy(), self.missing_woe, known.to_numpy())
        values = column.to_numpy()
        woe = np.asarray(self.woe)[np.digitize(values, np.asarray(self.splits), right=False)]
        return np.where(np.isnan(values), self.missing_woe, woe)


@dataclass(frozen=True, slots=True)
class PointsRow:
    """One line of the exported points table."""

    variable: str
    bin: str
    woe: float
    points: float


@dataclass(frozen=True)
class Scorecard:
    """A fitted card: bins and WoE per feature, logistic coefficients, points scaling."""

    bins: tuple[Bins, ...]
    coefficients: tuple[float, ...]
    intercept: float
    scaling: Scaling

    @property
    def features(self) -> tuple[Feature, ...]:
        return tuple(b.feature for b in self.bins)

    def woe(self, frame: pl.DataFrame) -> Floats:
        """The WoE matrix (rows × features) of a frame holding the features' columns."""
        return np.column_stack([b.apply(frame[b.feature.name]) for b in self.bins])

    def log_odds_bad(self, frame: pl.DataFrame) -> Floats:
        log_odds: Floats = self.woe(frame) @ np.asarray(self.coefficients) + self.intercept
        return log_odds

    def predict(self, frame: pl.DataFrame) -> Floats:
        """Probability of bad for each row."""
        return probability(self.log_odds_bad(frame))

    def score(self, frame: pl.DataFrame) -> Floats:
        """Points for each row: offset + factor·ln(odds of good), the sum of its bins' points."""
        return self.points(self.log_odds_bad(frame))

    def points(self, log_odds_bad: Floats) -> Floats:
        """Points from the log-odds of bad: ln(odds of good) is its negative."""
        return self.scaling.offset - self.scaling.factor * log_odds_bad

    def points_table(self) -> list[PointsRow]:
        """Every bin's points (plus the missing and, for text, the unseen-category lines)."""
        factor, share = self.scaling.factor, self._intercept_share()
        rows = []
        for bins, coefficient in zip(self.bins, self.coefficients, strict=True):
            lines = [*zip(bins.labels(), bins.woe, strict=True), ("(missing)", bins.missing_woe)]
            if bins.feature.kind == "categorical":
                lines.append(("(other)", bins.unknown_woe))
            rows += [
                PointsRow(bins.feature.name, label, woe, share - factor * coefficient * woe)
                for label, woe in lines
            ]
        return rows

    def _intercept_share(self) -> float:
        return (self.scaling.offset - self.scaling.factor * self.intercept) / len(self.bins)

    def to_json(self) -> dict[str, Any]:
        """Everything needed to apply the card again; floats round-trip exactly through JSON."""
        return {
            "format": FORMAT,
            "version": 1,
            "intercept": self.intercept,
            "scaling": {
                "pdo": self.scaling.pdo,
                "base_score": self.scaling.base_score,
                "base_odds": self.scaling.base_odds,
            },
            "variables": [
                {
                    "name": b.feature.name,
                    "kind": b.feature.kind,
                    "dtype": b.feature.dtype,
                    "coefficient": c,
                    "woe": list(b.woe),
                    "missing_woe": b.missing_woe,
                    "splits": list(b.splits),
                    "groups": [list(g) for g in b.groups],
                    "unknown_woe": b.unknown_woe,
                }
                for b, c in zip(self.bins, self.coefficients, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorecard:
        if data.get("format") != FORMAT or data.get("version") != 1:
            raise ValueError(f"not a {FORMAT} version 1 document")
        bins = tuple(
            Bins(
                Feature(v["name"], v["kind"], v["dtype"]),
                tuple(float(w) for w in v["woe"]),
                float(v["missing_woe"]),
                tuple(float(s) for s in v["splits"]),
                tuple(tuple(str(c) for c in g) for g in v["groups"]),
                float(v["unknown_woe"]),
            )
            for v in data["variables"]
        )
        coefficients = tuple(float(v["coefficient"]) for v in data["variables"])
        return cls(bins, coefficients, float(data["intercept"]), Scaling(**data["scaling"]))


def probability(log_odds_bad: Floats) -> Floats:
    """The logistic function: probability of bad from its log-odds."""
    return 1.0 / (1.0 + np.exp(-log_odds_bad))


@dataclass(frozen=True)
class Fitted:
    """The card and the estimators it was read from (to check one against the other)."""

    scorecard: Scorecard
    binning_process: Any
    logistic: Any


def fit_scorecard(
    frame: pl.DataFrame,
    y: Outcome,
    features: Sequence[Feature],
    options: ScorecardOptions | None = None,
) -> Scorecard:
    """Fit the card on ``frame`` (the features' columns) and ``y`` (1 = bad)."""
    return fit_estimators(frame, y, features, options or ScorecardOptions()).scorecard


def fit_estimators(
    frame: pl.DataFrame, y: Outcome, features: Sequence[Feature], options: ScorecardOptions
) -> Fitted:
    """Binning, then the logistic regression on the WoE the card itself computes."""
    with extra():
        from optbinning import BinningProcess
        from sklearn.linear_model import LogisticRegression
    names = [f.name for f in features]
    process = BinningProcess(
        names,
        max_n_prebins=options.max_n_prebins,
        min_prebin_size=options.min_prebin_size,
        categorical_variables=[f.name for f in features if f.kind == "categorical"],
        binning_fit_params={n: {"monotonic_trend": options.monotonic_trend} for n in names},
    )
    process.fit(as_pandas(frame, features), y)
    bins = tuple(_bins(f, process.get_binned_variable(f.name)) for f in features)
    provisional = Scorecard(bins, (0.0,) * len(bins), 0.0, options.scaling)
    logistic = LogisticRegression(C=options.regularisation, max_iter=options.max_iter)
    logistic.fit(provisional.woe(frame), y)
    coefficients = tuple(float(c) for c in logistic.coef_[0])
    card = Scorecard(bins, coefficients, float(logistic.intercept_[0]), options.scaling)
    return Fitted(card, process, logistic)


def as_pandas(frame: pl.DataFrame, features: Sequence[Feature]) -> Any:
    """The features as optbinning reads them: float64 with NaN, text as objects with NaN."""
    with extra():
        import pandas as pd
    columns = {}
    for f in features:
        values = frame[f.name].to_numpy()
        if f.kind == "categorical":
            values = np.where(frame[f.name].is_null().to_numpy(), np.nan, values.astype(object))
        columns[f.name] = values
    return pd.DataFrame(columns)


def _bins(feature: Feature, binning: Any) -> Bins:
    """Read one fitted ``OptimalBinning``: its bins and the counts of its binning table."""
    table = binning.binning_table.build()
    events = table["Event"].to_numpy()[:-1].astype(np.float64)  # the last line is the totals
    nonevents = table["Non-event"].to_numpy()[:-1].astype(np.float64)
    woe = _woe(events, nonevents)
    total_bad, total_good = events.sum(), nonevents.sum()
    # optbinning gives an unseen category the WoE of the overall bad rate (≈ 0 up to rounding);
    # computed the same way so that the card and optbinning agree to the last bit.
    unknown = float(
        np.log((1.0 / (total_bad / (total_bad + total_good)) - 1) * total_bad / total_good)
    )
    if feature.kind == "categorical":
        groups = tuple(tuple(str(c) for c in group) for group in binning.splits)
        return Bins(feature, tuple(woe[: len(groups)]), woe[-1], groups=groups, unknown_woe=unknown)
    splits = tuple(float(s) for s in binning.splits)
    return Bins(feature, tuple(woe[: len(splits) + 1]), woe[-1], splits=splits)


def _woe(events: Floats, nonevents: Floats) -> list[float]:
    """optbinning's WoE per bin: ln((1/rate - 1)·bads/goods), 0 for a bin without both."""
    both = (events > 0) & (nonevents > 0)
    rate = np.divide(events, events + nonevents, out=np.zeros_like(events), where=both)
    woe = np.zeros_like(events)
    woe[both] = np.log((1.0 / rate[both] - 1) * events.sum() / nonevents.sum())
    return [float(w) for w in woe]
