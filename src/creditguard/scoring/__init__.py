"""Statistical credit models on tabular data: a weight-of-evidence scorecard with points and a
LightGBM challenger, their k-fold evaluation (AUC, KS, Gini, Brier, calibration) and PSI drift.

No database here: the models read a table (a CSV file or a frame built elsewhere, such as the
ledger's point-in-time features) and give the probability of *bad*. NumPy and Polars are all the
package needs to load data, compute metrics and apply a saved scorecard; fitting needs the
optional extra ``ml`` (scikit-learn, LightGBM, optbinning), imported only inside the functions
that fit, so ``creditguard`` works without it.

Modules: :mod:`.data` (reading and checking a CSV), :mod:`.metrics`, :mod:`.scorecard`,
:mod:`.gbm`, :mod:`.validation` (cross-validation) and :mod:`.store` (saving, loading, scoring).
"""
