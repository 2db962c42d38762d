"""`creditguard model evaluate | train | score`: statistical credit models on a CSV file.

Input errors (a missing file or column, a target that is not binary, too few rows for the
folds, ...) are printed on stderr, naming the option, column or value and why, with exit code 2;
nothing is printed on stdout then. ``evaluate --json`` prints exactly one JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from creditguard.cli.common import JsonFlag, LangOption, out, print_error
from creditguard.clock import SystemClock
from creditguard.core.errors import InvalidInput
from creditguard.scoring import store
from creditguard.scoring.data import Target, load_dataset, read_csv
from creditguard.scoring.scorecard import Scaling, ScorecardOptions
from creditguard.scoring.validation import MODEL_KINDS, CvOptions, ModelKind, cross_validate

model_app = typer.Typer(
    help="Statistical credit models (scorecard, LightGBM) on CSV data; needs the extra 'ml'.",
    no_args_is_help=True,
)
USAGE_ERROR = 2

DataFile = Annotated[
    Path,
    typer.Option(
        "--data",
        help="CSV file with a header row: numeric and text columns; empty cells and NA are "
        "missing; a column named id or ID is an identifier, not a feature.",
    ),
]
TargetColumn = Annotated[
    str, typer.Option("--target", help="The outcome column: 0/1 (1 = bad), or labels.")
]
BadValue = Annotated[
    str | None,
    typer.Option("--bad-value", help="The label of the target meaning bad (all others are good)."),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the fold split and of LightGBM.")]


@contextmanager
def _input_errors(lang: str) -> Iterator[None]:
    """An input error becomes a message on stderr (field, value, reason) and exit code 2."""
    try:
        yield
    except InvalidInput as error:
        print_error(error, lang)
        raise typer.Exit(USAGE_ERROR) from None


def _kinds(model: str) -> tuple[ModelKind, ...]:
    if model == "scorecard":
        return ("scorecard",)
    if model == "gbm":
        return ("gbm",)
    return MODEL_KINDS


@model_app.command("evaluate")
def evaluate(  # noqa: PLR0913 - the options are the interface
    *,
    data: DataFile,
    target: TargetColumn,
    bad_value: BadValue = None,
    folds: Annotated[int, typer.Option("--folds", help="Number of folds (at least 2).")] = 5,
    seed: Seed = 0,
    model: Annotated[
        Literal["scorecard", "gbm", "both"],
        typer.Option("--model", help="scorecard, gbm (LightGBM) or both."),
    ] = "both",
    as_json: JsonFlag = False,
    lang: LangOption = "en",
) -> None:
    """Stratified k-fold cross-validation: AUC, KS, Gini, Brier and fit time per model."""
    with _input_errors(lang):
        dataset = load_dataset(data, Target(target, bad_value))
        options = CvOptions(folds=folds, seed=seed, kinds=_kinds(model))
        result = cross_validate(dataset, options).as_json()
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _show(result, folds, lang)


def _show(result: dict[str, Any], folds: int, lang: str) -> None:
    zh = lang.lower().startswith("zh")
    rows, rate = result["rows"], result["bad_rate"]
    title = (
        f"{folds} 折交叉验证：{rows} 行，坏样本率 {rate:.2%}"
        if zh
        else f"{folds}-fold cross-validation: {rows} rows, bad rate {rate:.2%}"
    )
    table = Table(title=title, title_justify="left")
    headers = (
        ("模型", "AUC", "AUC 标准差", "KS", "Gini", "Brier", "拟合秒数")
        if zh
        else ("model", "AUC", "AUC std", "KS", "Gini", "Brier", "fit s")
    )
    for n, header in enumerate(headers):
        table.add_column(header, justify="right" if n else "left")
    for name, m in result["models"].items():
        table.add_row(
            name,
            *(f"{m[k]:.4f}" for k in ("auc", "auc_std", "ks", "gini", "brier")),
            f"{m['fit_seconds']:.2f}",
        )
    out().print(table)


@model_app.command("train")
def train(  # noqa: PLR0913 - the options are the interface
    *,
    data: DataFile,
    target: TargetColumn,
    model: Annotated[
        Literal["scorecard", "gbm"], typer.Option("--model", help="scorecard or gbm (LightGBM).")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Model directory to write (new, empty, or a model).")
    ],
    bad_value: BadValue = None,
    pdo: Annotated[
        float, typer.Option("--pdo", help="Scorecard: points that double the odds.")
    ] = 20.0,
    base_score: Annotated[
        float, typer.Option("--base-score", help="Scorecard: points at the base odds.")
    ] = 600.0,
    base_odds: Annotated[
        float, typer.Option("--base-odds", help="Scorecard: good:bad odds at the base score.")
    ] = 50.0,
    cv_folds: Annotated[
        int,
        typer.Option("--cv-folds", help="Cross-validate first with this many folds (0: no)."),
    ] = 0,
    seed: Seed = 0,
    as_json: JsonFlag = False,
    lang: LangOption = "en",
) -> None:
    """Fit a model on every row and save it (JSON/text formats, points table, manifest)."""
    with _input_errors(lang):
        dataset = load_dataset(data, Target(target, bad_value))
        card = ScorecardOptions(scaling=Scaling(pdo, base_score, base_odds))
        options = CvOptions(folds=cv_folds, seed=seed, scorecard=card)
        saved = store.train(
            dataset, model, options, created_at=SystemClock().now(), cv=cv_folds != 0
        )
        store.save(out_dir, saved)
    manifest = saved.manifest.to_json()
    summary = {
        "model": model,
        "out": str(out_dir),
        "rows": dataset.rows,
        "bad_rate": dataset.bad_rate,
        "features": [f["name"] for f in manifest["features"]],
        "files": [store.MANIFEST, *manifest["files"]],
        "cv": manifest["cv"],
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    zh = lang.lower().startswith("zh")
    typer.echo(
        f"已训练 {model}：{dataset.rows} 行，{len(summary['features'])} 个特征，保存到 {out_dir}"
        if zh
        else f"Trained {model} on {dataset.rows} rows, {len(summary['features'])} features: "
        f"{out_dir}"
    )
    if saved.manifest.cv is not None:
        cv = saved.manifest.cv
        typer.echo(f"CV AUC {cv['auc']:.4f}, KS {cv['ks']:.4f}, Gini {cv['gini']:.4f}")


@model_app.command("score")
def score(
    *,
    model_dir: Annotated[
        Path, typer.Option("--model", help="Model directory written by `model train`.")
    ],
    data: DataFile,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the scores to this CSV file.")
    ] = None,
    lang: LangOption = "en",
) -> None:
    """Score every row: id (if any), probability of bad, and the points of a scorecard."""
    with _input_errors(lang):
        saved = store.load(model_dir)
        scores = store.score(saved, read_csv(data), source=data.name)
    if out_file is None:
        typer.echo(scores.write_csv(), nl=False)
        return
    scores.write_csv(out_file)
    zh = lang.lower().startswith("zh")
    typer.echo(
        f"已为 {scores.height} 行评分：{out_file}"
        if zh
        else f"Scored {scores.height} rows: {out_file}"
    )
