"""How well a model ranks and how well its probabilities match: AUC, KS, Gini, Brier,
a calibration table, and the PSI between two score distributions (drift).

``y`` is 1 for bad, 0 for good; ``p`` is the predicted probability of bad (or any score that
grows with risk, for AUC, KS and Gini). KS, PSI and calibration are plain NumPy; AUC comes from
scikit-learn (extra ``ml``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from creditguard.scoring._ml import extra

Floats = npt.NDArray[np.float64]
Labels = npt.NDArray[np.integer] | npt.NDArray[np.bool_]
# A bin with no rows on one side would make ln(a / e) infinite: shares are floored at 0.01%,
# the usual convention for PSI in credit-risk monitoring.
PSI_FLOOR = 1e-4


def auc(y: Labels, p: Floats) -> float:
    """Area under the ROC curve: the chance a random bad row scores above a random good one."""
    with extra():
        from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, p))


def gini(auc_value: float) -> float:
    """The Gini coefficient (accuracy ratio) of a model with this AUC: 2·AUC - 1."""
    return 2.0 * auc_value - 1.0


def ks(y: Labels, p: Floats) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the cumulative shares of bad and
    of good rows, cutting only between distinct scores (tied rows fall on the same side)."""
    bad = np.asarray(y, dtype=np.float64)
    order = np.argsort(-np.asarray(p), kind="stable")
    scores = np.asarray(p)[order]
    bad = bad[order]
    cum_bad = np.cumsum(bad) / bad.sum()
    cum_good = np.cumsum(1.0 - bad) / (bad.size - bad.sum())
    cuts = np.append(scores[1:] != scores[:-1], True)  # last row of each run of equal scores
    return float(np.max(np.abs(cum_bad[cuts] - cum_good[cuts])))


def brier(y: Labels, p: Floats) -> float:
    """Mean squared error of the probability of bad (0 is perfect; 0.25 is a coin)."""
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y)) ** 2))


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One group of rows with similar predictions: how many, predicted and observed bad rate."""

    group: int
    count: int
    mean_predicted: float
    observed_bad_rate: float


def calibration(y: Labels, p: Floats, groups: int = 10) -> tuple[CalibrationRow, ...]:
    """Rows sorted by prediction and cut into ``groups`` parts of (nearly) equal size — deciles
    by default — with the mean prediction and the observed bad rate of each part."""
    predicted = np.asarray(p, dtype=np.float64)
    bad = np.asarray(y, dtype=np.float64)
    order = np.argsort(predicted, kind="stable")
    parts = [part for part in np.array_split(order, groups) if part.size]
    return tuple(
        CalibrationRow(n, int(part.size), float(predicted[part].mean()), float(bad[part].mean()))
        for n, part in enumerate(parts, start=1)
    )


def psi(expected: Floats, actual: Floats, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (e.g. today's scores
    against the training scores): Σ (a - e)·ln(a / e) over the bins of ``expected``'s quantiles.

    Rule of thumb: below 0.1 stable, 0.1-0.25 worth a look, above 0.25 the population moved.
    """
    reference = np.asarray(expected, dtype=np.float64)
    inner = np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    return psi_of_shares(_shares(reference, inner), _shares(np.asarray(actual), inner))


def _shares(values: Floats, inner: Floats) -> Floats:
    # Bins are [edge, next edge): a value equal to an edge goes to the bin above it.
    counts = np.bincount(np.searchsorted(inner, values, side="right"), minlength=inner.size + 1)
    return counts / values.size


def psi_of_shares(expected: Floats, actual: Floats) -> float:
    """PSI from the shares of rows per bin (each side sums to 1), floored at :data:`PSI_FLOOR`."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), PSI_FLOOR)
    a = np.maximum(np.asarray(actual, dtype=np.float64), PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))
