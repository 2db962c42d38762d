"""The metrics on arrays small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from creditguard.scoring import metrics
from tests.scoring.support import require_ml

Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])


def test_ks_is_the_largest_gap_between_cumulative_bad_and_good_shares() -> None:
    # By score, high to low: 0.8 bad (bads 1/2, goods 0), 0.4 good (1/2, 1/2),
    # 0.35 bad (1, 1/2), 0.1 good (1, 1): the gaps are 1/2, 0, 1/2, 0.
    assert metrics.ks(Y, P) == 0.5


def test_ks_never_cuts_between_equal_scores() -> None:
    # One bad and one good with the same score cannot be told apart: KS 0, not 1.
    assert metrics.ks(np.array([1, 0]), np.array([0.5, 0.5])) == 0.0
    assert metrics.ks(np.array([1, 0]), np.array([0.6, 0.5])) == 1.0


def test_auc_and_gini() -> None:
    require_ml()
    # Pairs (bad, good): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, ·) right twice: 3 of 4.
    assert metrics.auc(Y, P) == 0.75
    assert metrics.gini(0.75) == 0.5
    assert metrics.gini(0.5) == 0.0


def test_brier_is_the_mean_squared_error() -> None:
    assert metrics.brier(np.array([0, 1]), np.array([0.2, 0.6])) == pytest.approx(0.1, abs=1e-15)


def test_calibration_groups_rows_by_prediction() -> None:
    y = np.array([1, 0, 1, 0, 1, 0])
    p = np.array([0.6, 0.1, 0.3, 0.4, 0.5, 0.2])
    rows = metrics.calibration(y, p, groups=3)
    # Sorted by p: (0.1 good, 0.2 good), (0.3 bad, 0.4 good), (0.5 bad, 0.6 bad).
    assert [(r.group, r.count) for r in rows] == [(1, 2), (2, 2), (3, 2)]
    assert [r.mean_predicted for r in rows] == pytest.approx([0.15, 0.35, 0.55], abs=1e-15)
    assert [r.observed_bad_rate for r in rows] == [0.0, 0.5, 1.0]


def test_calibration_with_fewer_rows_than_groups_has_no_empty_group() -> None:
    rows = metrics.calibration(np.array([1, 0]), np.array([0.9, 0.1]))
    assert [(r.count, r.observed_bad_rate) for r in rows] == [(1, 0.0), (1, 1.0)]


def test_psi_by_hand() -> None:
    expected = np.array([1.0, 2.0, 3.0, 4.0])  # median 2.5: two bins of half the rows each
    actual = np.array([1.0, 1.0, 1.0, 4.0])  # 3/4 below 2.5, 1/4 above
    # (3/4 - 1/2)·ln(3/2) + (1/4 - 1/2)·ln(1/2) = 1/4·ln 3
    assert metrics.psi(expected, actual, bins=2) == pytest.approx(math.log(3) / 4, abs=1e-15)
    assert metrics.psi(expected, expected, bins=2) == 0.0


def test_psi_floors_an_empty_bin() -> None:
    expected = np.array([1.0, 2.0, 3.0, 4.0])
    everything_low = np.array([1.0, 1.0, 1.0, 1.0])
    floor = metrics.PSI_FLOOR
    by_hand = 0.5 * math.log(2) + (floor - 0.5) * math.log(floor / 0.5)
    assert metrics.psi(expected, everything_low, bins=2) == pytest.approx(by_hand, abs=1e-12)


def test_psi_puts_a_value_on_an_edge_in_the_bin_above() -> None:
    shares = metrics.psi_of_shares(np.array([0.5, 0.5]), np.array([0.0, 1.0]))
    edge = metrics.psi(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.5, 2.5]), bins=2)
    assert edge == pytest.approx(shares, abs=1e-15)
