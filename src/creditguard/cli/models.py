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

from creditguard.cli.common import (
    CompanyCode,
    DatabaseUrl,
    JsonFlag,
    LangOption,
    opened,
    out,
    parse_date,
    print_error,
    tenant,
)
from creditguard.clock import SystemClock, business_today
from creditguard.config import DEFAULT_DATABASE_URL, get_settings
from creditguard.core.errors import InvalidInput
from creditguard.core.permissions import Actor
from creditguard.rating.registry_schemas import ModelOut, Role
from creditguard.rating.service import dataset as ledger_data
from creditguard.rating.service import drift, registry
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


@model_app.command("dataset")
def dataset(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    start: Annotated[str, typer.Option("--from", help="First observation month (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last observation date (YYYY-MM-DD).")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    every: Annotated[
        str, typer.Option("--every", help="Months between observation dates: 1m-12m.")
    ] = "3m",
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Training data from the company's own ledger: point-in-time features on month-ends and
    bad = written off or more than 90 days past due within the next 365 days."""
    with _input_errors(lang), opened(database_url) as db, db.read() as session:
        actor = tenant(session, company).actor
        first, last = parse_date("from", start), parse_date("to", end)
        table, counts = ledger_data.training_dataset(session, actor, first, last, every)
    table.write_csv(out_file)
    bad = int(table["bad"].sum()) if table.height else 0
    summary = {
        "out": str(out_file),
        "rows": counts.kept,
        "bad": bad,
        "left_out_not_observed": counts.not_observed,
        "left_out_in_default": counts.in_default,
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    zh = lang.lower().startswith("zh")
    typer.echo(
        f"已写入 {counts.kept} 行（坏样本 {bad}）到 {out_file}；未纳入：后 12 个月尚未观察完整的 "
        f"{counts.not_observed} 行，观察日已逾期超过 90 天的 {counts.in_default} 行"
        if zh
        else f"Wrote {counts.kept} rows ({bad} bad) to {out_file}; left out: "
        f"{counts.not_observed} not yet observed for 12 months, "
        f"{counts.in_default} already more than 90 days past due"
    )


By = Annotated[
    str | None,
    typer.Option(
        "--by", help="Who is acting (recorded in the registry and the audit log): cli:NAME."
    ),
]


def _acting(actor: Actor, by: str | None) -> Actor:
    """The CLI's administrator, named: a promotion must come from someone else than the
    one who registered the model."""
    return actor if by is None else Actor(actor.company_id, f"cli:{by}", actor.role)


def _models_dir() -> Path:
    return Path(get_settings().models_dir)


def _print_models(rows: list[ModelOut], lang: str) -> None:
    zh = lang.lower().startswith("zh")
    headers = (
        ("id", "名称", "版本", "类型", "状态", "行数", "坏样本率", "CV AUC", "登记人")
        if zh
        else ("id", "name", "version", "kind", "status", "rows", "bad rate", "CV AUC", "by")
    )
    table = Table(title_justify="left")
    for header in headers:
        table.add_column(header)
    for m in rows:
        auc = "-" if m.cv_metrics is None else f"{m.cv_metrics['auc']:.4f}"
        table.add_row(
            str(m.id), m.name, str(m.version), m.kind, m.status, str(m.rows), m.bad_rate, auc,
            m.registered_by,
        )  # fmt: skip
    out().print(table)


@model_app.command("register")
def register(  # noqa: PLR0913 - the options are the interface
    *,
    company: CompanyCode,
    source: Annotated[
        Path, typer.Option("--from", help="Model directory written by `model train`.")
    ],
    name: Annotated[str, typer.Option("--name", help="Model name (versions count per name).")],
    description: Annotated[str, typer.Option("--description", help="What it was trained on.")] = "",
    trained_by: Annotated[
        str | None, typer.Option("--trained-by", help="Who trained it (default: --by).")
    ] = None,
    by: By = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Register a trained model as the next version of NAME (status: candidate)."""
    with _input_errors(lang), opened(database_url) as db, db.write() as session:
        actor = _acting(tenant(session, company).actor, by)
        made = registry.register(
            session,
            actor,
            source,
            SystemClock(),
            models_dir=_models_dir(),
            name=name,
            description=description or str(source),
            trained_by=trained_by,
        )
    if as_json:
        typer.echo(made.model_dump_json(indent=2))
        return
    _print_models([made], lang)


@model_app.command("list")
def list_models(
    *,
    company: CompanyCode,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Every registered model version, newest first."""
    with opened(database_url) as db, db.read() as session:
        rows = registry.list_models(session, tenant(session, company).actor)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    _print_models(rows, lang)


@model_app.command("promote")
def promote(  # noqa: PLR0913 - the options are the interface
    *,
    version: Annotated[str, typer.Argument(help="NAME:VERSION or the registry id.")],
    role: Annotated[Role, typer.Option("--role", help="champion or challenger.")],
    company: CompanyCode,
    by: By = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """Give a model a role (never by the one who trained or registered it); audited."""
    with opened(database_url) as db, db.write() as session:
        actor = _acting(tenant(session, company).actor, by)
        row = registry.get_by_version(session, actor, version)
        made = registry.promote(session, actor, row.id, role, SystemClock())
    if as_json:
        typer.echo(made.model_dump_json(indent=2))
        return
    _print_models([made], lang)


@model_app.command("psi")
def psi(
    *,
    company: CompanyCode,
    version: Annotated[str, typer.Option("--version", help="NAME:VERSION or the registry id.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Business date YYYY-MM-DD (default: today).")
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    lang: LangOption = "en",
) -> None:
    """PSI drift: training population vs today's customers (score and each feature)."""
    with _input_errors(lang), opened(database_url) as db, db.read() as session:
        found = tenant(session, company)
        day = parse_date("as_of", as_of) if as_of else business_today(SystemClock(), found.timezone)
        result = drift.model_psi(session, found.actor, version, day, _models_dir())
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    zh = lang.lower().startswith("zh")
    table = Table(title=f"PSI {result['model']} {result['as_of']}", title_justify="left")
    for header in ("特征", "PSI", "区间") if zh else ("feature", "PSI", "band"):
        table.add_column(header)
    table.add_row("(score)", f"{result['score']['psi']:.4f}", result["score"]["band"])
    for row in result["features"]:
        table.add_row(row["feature"], f"{row['psi']:.4f}", row["band"])
    out().print(table)
