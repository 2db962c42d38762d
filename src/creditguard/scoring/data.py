"""Tabular credit data from a CSV file: feature columns, a binary outcome (1 = bad), an id.

Any CSV with a header row: numeric columns become numbers, every other column is read as text
(a categorical feature); empty cells and ``NA`` are missing values. A column named ``id`` or ``ID``
identifies the row and is never a feature. The outcome is a 0/1 column (1 = bad) or a column of
labels with ``--bad-value`` naming the bad one (all other labels count as good).

Every refusal is an :class:`~creditguard.core.errors.InvalidInput` naming the option, the column
or the value and saying why, in English and Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.core.errors import InvalidInput, invalid

NULL_VALUES = ["", "NA", "N/A", "NaN", "null"]
ID_COLUMNS = ("id", "ID")
Kind = Literal["numeric", "categorical"]
Outcome = npt.NDArray[np.int8]
_SHOWN = 12  # at most this many names or labels in a message


@dataclass(frozen=True, slots=True)
class Feature:
    """One input column of a model: its name, how it is used, and the type read from the file."""

    name: str
    kind: Kind
    dtype: str


@dataclass(frozen=True, slots=True)
class Target:
    """Which column holds the outcome, and which of its labels is bad (None: a 0/1 column)."""

    column: str
    bad_value: str | None = None


@dataclass(frozen=True)
class Dataset:
    """Rows ready for a model: features (numbers as Float64, text as String) and outcome."""

    features: tuple[Feature, ...]
    frame: pl.DataFrame
    y: Outcome
    target: Target
    id_column: str | None

    @property
    def rows(self) -> int:
        return int(self.y.shape[0])

    @property
    def bad_rate(self) -> float:
        return float(self.y.mean())


def refuse(field: str, value: object, reason: str, reason_zh: str) -> InvalidInput:
    """A single-problem input error with its English and Chinese reasons."""
    return invalid(field, value, "invalid", reason=reason, reason_zh=reason_zh)


def _listed(names: Sequence[object]) -> str:
    shown = ", ".join(repr(str(n)) for n in names[:_SHOWN])
    return shown + (f", ... ({len(names)})" if len(names) > _SHOWN else "")


def read_csv(path: Path, *, option: str = "--data") -> pl.DataFrame:
    """The whole file as a frame (types inferred from every row); a clear error if unreadable."""
    if not path.is_file():
        raise refuse(option, str(path), "no such file", "文件不存在")
    try:
        frame = pl.read_csv(path, null_values=NULL_VALUES, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise refuse(
            option,
            str(path),
            f"cannot be read as a UTF-8 CSV file with a header row ({detail})",
            f"无法作为带标题行的 UTF-8 CSV 文件读取（{detail}）",
        ) from None
    if frame.height == 0:
        raise refuse(option, str(path), "has no data rows", "没有数据行")
    return frame


def outcome(column: pl.Series, bad_value: str | None) -> Outcome:
    """The target column as 1 (bad) / 0 (good); refuse what is not a binary outcome."""
    name = column.name
    missing = column.null_count()
    if missing:
        first = int(column.is_null().arg_true()[0]) + 2  # line in the file: header is line 1
        raise refuse(
            "--target",
            name,
            f"{missing} rows have no value in this column (first on line {first}): "
            "every row needs a known outcome",
            f"该列有 {missing} 行没有值（第一处在第 {first} 行）：每一行都必须有已知的结果",
        )
    labels = sorted(str(v) for v in column.unique().to_list())
    if bad_value is not None:
        bad = _matches(column, bad_value)
        if not bad.any():
            raise refuse(
                "--bad-value",
                bad_value,
                f"is not a value of the target column '{name}'; its values are {_listed(labels)}",
                f"不是目标列 '{name}' 中的值；该列的值为 {_listed(labels)}",
            )
        _two_classes(name, labels)
        return bad.astype(np.int8)
    _two_classes(name, labels)
    if len(labels) > 2:
        raise refuse(
            "--target",
            name,
            f"has {len(labels)} different values ({_listed(labels)}), not two: name the bad one "
            "with --bad-value (all others then count as good)",
            f"有 {len(labels)} 个不同的值（{_listed(labels)}），不是二元的："
            "请用 --bad-value 指定代表坏的值（其余值均视为好）",
        )
    if column.dtype.is_numeric() and set(column.unique().to_list()) == {0, 1}:
        return (column == 1).to_numpy().astype(np.int8)
    raise refuse(
        "--target",
        name,
        f"is not 0/1 (its values are {_listed(labels)}): name the bad one with --bad-value",
        f"不是 0/1（该列的值为 {_listed(labels)}）：请用 --bad-value 指定代表坏的值",
    )


def _two_classes(name: str, labels: list[str]) -> None:
    if len(labels) < 2:
        raise refuse(
            "--target",
            name,
            f"is not binary: every row has the value {labels[0]!r}; good and bad rows are needed",
            f"不是二元的：每一行的值都是 {labels[0]!r}；需要既有好也有坏的行",
        )


def _matches(column: pl.Series, bad_value: str) -> npt.NDArray[np.bool_]:
    """Rows whose label is ``bad_value``: numerically for a numeric column (``1`` = ``1.0``)."""
    if column.dtype.is_numeric():
        try:
            wanted = float(bad_value)
        except ValueError:
            return np.zeros(column.len(), dtype=np.bool_)
        return (column.cast(pl.Float64) == wanted).to_numpy()
    if column.dtype == pl.Boolean:  # read as true/false: "--bad-value True" means the same
        return (column.cast(pl.String) == bad_value.lower()).to_numpy()
    return (column.cast(pl.String) == bad_value).to_numpy()


def describe(frame: pl.DataFrame, exclude: Sequence[str]) -> tuple[Feature, ...]:
    """The feature columns: all but ``exclude``, the id columns and the columns with no value."""
    skipped = set(exclude) | set(ID_COLUMNS)
    features = []
    for name, dtype in frame.schema.items():
        if name in skipped or frame[name].null_count() == frame.height:
            continue
        kind: Kind = "numeric" if dtype.is_numeric() or dtype == pl.Boolean else "categorical"
        features.append(Feature(name, kind, str(dtype)))
    return tuple(features)


def feature_frame(frame: pl.DataFrame, features: Sequence[Feature], *, source: str) -> pl.DataFrame:
    """The columns a model reads, in its order: numbers as Float64, text as String.

    Refuses a frame that lacks a column, or whose column the model reads as numbers holds text.
    """
    absent = [f.name for f in features if f.name not in frame.columns]
    if absent:
        raise refuse(
            "--data",
            source,
            f"lacks the column {absent[0]!r} the model needs (missing: {_listed(absent)})",
            f"缺少模型需要的列 {absent[0]!r}（缺少：{_listed(absent)}）",
        )
    return frame.select(_typed(frame[f.name], f, source) for f in features)


def _typed(column: pl.Series, feature: Feature, source: str) -> pl.Series:
    if feature.kind == "categorical":
        return column.cast(pl.String)
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return column.cast(pl.Float64)
    numbers = column.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    wrong = numbers.is_null() & column.is_not_null()
    if wrong.any():
        bad = column.filter(wrong)[0]
        raise refuse(
            f"--data column {feature.name}",
            bad,
            f"is not a number, and the model reads this column as numbers ({source})",
            f"不是数字，而模型将该列作为数值读取（{source}）",
        )
    return numbers


def load_dataset(path: Path, target: Target) -> Dataset:
    """Read ``path`` and split it into features, outcome and id; refuse what cannot be modelled."""
    frame = read_csv(path)
    if target.column not in frame.columns:
        raise refuse(
            "--target",
            target.column,
            f"is not a column of {path.name}; the columns are {_listed(frame.columns)}",
            f"不是 {path.name} 中的列；可用的列为 {_listed(frame.columns)}",
        )
    y = outcome(frame[target.column], target.bad_value)
    features = describe(frame, [target.column])
    if not features:
        raise refuse(
            "--data",
            str(path),
            f"has no feature column besides the target {target.column!r} and the id",
            f"除目标列 {target.column!r} 和 id 列外没有任何特征列",
        )
    id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
    return Dataset(features, feature_frame(frame, features, source=path.name), y, target, id_column)


def check_folds(y: Outcome, folds: int) -> None:
    """Stratified k-fold needs k >= 2 and at least k rows of each class."""
    if folds < 2:
        raise refuse(
            "--folds",
            folds,
            "must be at least 2: cross-validation holds out one part of the rows in turn",
            "至少为 2：交叉验证需要轮流留出一部分数据",
        )
    bad = int(y.sum())
    fewest, label, label_zh = min((bad, "bad", "坏"), (int(y.size) - bad, "good", "好"))
    if fewest < folds:
        raise refuse(
            "--folds",
            folds,
            f"is more than the {fewest} {label} rows in the data: each fold needs at least one "
            f"{label} row (use at most {fewest} folds, or more data)",
            f"超过了数据中{label_zh}样本的行数 {fewest}：每一折至少需要一行{label_zh}样本"
            f"（最多使用 {fewest} 折，或提供更多数据）",
        )
