"""`creditguard model evaluate | train | score`: the JSON contract, the errors, the round trip."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditguard.cli.main import app
from tests.scoring.support import require_ml

require_ml()

CONTRACT = {"auc", "ks", "gini", "fit_seconds"}


def _evaluate(runner: CliRunner, data: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["model", "evaluate", "--data", str(data), *args, "--json"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert isinstance(parsed, dict)
    return parsed


def test_evaluate_json_contract(runner: CliRunner, sample: Path) -> None:
    report = _evaluate(runner, sample, "--target", "default")
    assert set(report) == {"rows", "bad_rate", "models"}
    assert report["rows"] == 400
    with sample.open(encoding="utf-8") as handle:
        bads = sum(row["default"] == "1" for row in csv.DictReader(handle))
    assert report["bad_rate"] == bads / 400
    assert set(report["models"]) == {"scorecard", "gbm"}
    for figures in report["models"].values():
        assert set(figures) >= CONTRACT
        assert all(isinstance(figures[k], float) for k in CONTRACT)
        assert 0.6 < figures["auc"] < 1.0  # the sample's outcome does depend on its columns
        assert figures["gini"] == pytest.approx(2 * figures["auc"] - 1, abs=1e-12)
        assert 0.0 < figures["ks"] < 1.0
        assert figures["fit_seconds"] > 0.0
        assert len(figures["folds"]) == 5
        assert sum(f["rows"] for f in figures["folds"]) == 400
        assert figures["auc"] == pytest.approx(
            sum(f["auc"] for f in figures["folds"]) / 5, abs=1e-12
        )
        assert sum(c["count"] for c in figures["calibration"]) == 400


def test_evaluate_one_model_labels_and_folds(runner: CliRunner, labelled: Path) -> None:
    args = ["--target", "default", "--bad-value", "bad", "--model", "scorecard", "--folds", "3"]
    report = _evaluate(runner, labelled, *args)
    assert set(report["models"]) == {"scorecard"}
    assert len(report["models"]["scorecard"]["folds"]) == 3


def _without_times(report: dict[str, Any]) -> dict[str, Any]:
    for figures in report["models"].values():
        figures.pop("fit_seconds")
        for fold in figures["folds"]:
            fold.pop("fit_seconds")
    return report


def test_evaluate_is_deterministic_for_a_seed(runner: CliRunner, sample: Path) -> None:
    args = ["--target", "default", "--folds", "2", "--seed"]
    first = _without_times(_evaluate(runner, sample, *args, "3"))
    again = _without_times(_evaluate(runner, sample, *args, "3"))
    other = _without_times(_evaluate(runner, sample, *args, "4"))
    assert first == again
    for kind in ("scorecard", "gbm"):  # the seed does move the folds
        assert first["models"][kind]["auc"] != other["models"][kind]["auc"]


def test_evaluate_table(runner: CliRunner, sample: Path) -> None:
    args = ["model", "evaluate", "--data", str(sample), "--target", "default", "--folds", "3"]
    result = runner.invoke(app, [*args, "--model", "gbm"])
    assert result.exit_code == 0, result.output
    assert "3-fold cross-validation: 400 rows" in result.stdout
    assert "gbm" in result.stdout
    assert "scorecard" not in result.stdout


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _refused(runner: CliRunner, args: list[str], *named: str) -> str:
    result = runner.invoke(app, ["model", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for text in named:
        assert text in result.stderr
    return result.stderr


def test_evaluate_errors_name_the_option_and_value(
    runner: CliRunner, sample: Path, tmp_path: Path
) -> None:
    ev = ["evaluate", "--data", str(sample), "--json"]
    _refused(runner, ["evaluate", "--data", str(tmp_path / "none.csv"), "--target", "x"],
             "--data", "none.csv", "no such file")  # fmt: skip
    _refused(runner, [*ev, "--target", "defualt"], "--target", "'defualt'", "not a column")
    _refused(runner, [*ev, "--target", "default", "--bad-value", "2"],
             "--bad-value", "'2'", "not a value of the target column 'default'")  # fmt: skip
    three = _write(tmp_path / "3.csv", "x,t", [f"{n},{'abc'[n % 3]}" for n in range(9)])
    _refused(runner, ["evaluate", "--data", str(three), "--target", "t"],
             "--target", "'t'", "3 different values ('a', 'b', 'c')", "--bad-value")  # fmt: skip
    _refused(runner, [*ev, "--target", "region"], "--target", "30 rows have no value", "line 14")
    _refused(runner, [*ev, "--target", "guarantee"], "'guarantee'", "is not 0/1", "--bad-value")
    _refused(runner, [*ev, "--target", "default", "--folds", "1"], "--folds", "= 1", "at least 2")
    constant = _write(tmp_path / "c.csv", "id,x,t", [f"{n},{n},1" for n in range(10)])
    _refused(runner, ["evaluate", "--data", str(constant), "--target", "t"],
             "--target", "'t'", "not binary")  # fmt: skip
    two = _write(tmp_path / "two.csv", "x,t", [f"{n},{2 * (n % 2)}" for n in range(10)])
    _refused(runner, ["evaluate", "--data", str(two), "--target", "t"], "'t'", "is not 0/1")
    few = _write(tmp_path / "few.csv", "x,t", [f"{n},{int(n < 3)}" for n in range(40)])
    _refused(runner, ["evaluate", "--data", str(few), "--target", "t"],
             "--folds", "= 5", "3 bad rows")  # fmt: skip


def test_errors_in_chinese(runner: CliRunner, sample: Path) -> None:
    args = ["evaluate", "--data", str(sample), "--target", "defualt", "--lang", "zh-CN"]
    message = _refused(runner, args, "--target", "'defualt'")
    assert "不是 sample.csv 中的列" in message


def _scores(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("kind", ["scorecard", "gbm"])
def test_train_then_score(runner: CliRunner, labelled: Path, tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "model"
    args = ["model", "train", "--data", str(labelled), "--target", "default"]
    args += ["--bad-value", "bad", "--model", kind, "--out", str(folder), "--json"]
    trained = runner.invoke(app, [*args, "--cv-folds", "3"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout)
    assert summary["features"] == ["age", "income", "utilisation", "region", "guarantee"]
    assert summary["cv"]["auc"] > 0.6
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert (manifest["kind"], manifest["target"], manifest["bad_value"]) == (kind, "default", "bad")
    assert [f["kind"] for f in manifest["features"]] == [
        "numeric", "numeric", "numeric", "categorical", "categorical"
    ]  # fmt: skip
    scored = runner.invoke(app, ["model", "score", "--model", str(folder), "--data", str(labelled)])
    assert scored.exit_code == 0, scored.output
    lines = scored.stdout.splitlines()
    expected = "id,probability_bad,score" if kind == "scorecard" else "id,probability_bad"
    assert lines[0] == expected
    assert len(lines) == 401
    assert lines[1].startswith("1,")
    assert all(0.0 < float(line.split(",")[1]) < 1.0 for line in lines[1:])


def test_scorecard_files(runner: CliRunner, sample: Path, tmp_path: Path) -> None:
    folder = tmp_path / "card"
    args = ["train", "--data", str(sample), "--target", "default", "--model", "scorecard"]
    scaled = [*args, "--pdo", "40", "--base-score", "500", "--out"]
    assert runner.invoke(app, ["model", *scaled, str(folder)]).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.json",
        "points.csv",
        "scorecard.json",
    ]
    card = json.loads((folder / "scorecard.json").read_text(encoding="utf-8"))
    assert card["scaling"] == {"pdo": 40.0, "base_score": 500.0, "base_odds": 50.0}
    points = _scores(folder / "points.csv")
    assert list(points[0]) == ["variable", "bin", "woe", "points"]
    region = [p["bin"] for p in points if p["variable"] == "region"]
    assert region[-2:] == ["(missing)", "(other)"]
    # Training again into the same directory replaces the model; a foreign folder is refused.
    again = runner.invoke(app, ["model", *args, "--out", str(folder)])
    assert again.exit_code == 0, again.output
    card = json.loads((folder / "scorecard.json").read_text(encoding="utf-8"))
    assert card["scaling"] == {"pdo": 20.0, "base_score": 600.0, "base_odds": 50.0}
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    _refused(runner, [*args, "--out", str(foreign)], "--out", "other files")
    assert [p.name for p in foreign.iterdir()] == ["cat.jpg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card", "photos"]  # nothing left over


def test_score_refuses_a_file_without_a_feature_column(
    runner: CliRunner, sample: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    args = ["model", "train", "--data", str(sample), "--target", "default"]
    assert runner.invoke(app, [*args, "--model", "gbm", "--out", str(folder)]).exit_code == 0
    lacking = _write(tmp_path / "new.csv", "id,age,income,region,guarantee", ["1,30,5000,east,no"])
    score = ["score", "--model", str(folder), "--data", str(lacking)]
    _refused(runner, score, "--data", "lacks the column 'utilisation'")
    text = _write(tmp_path / "t.csv", "age,income,utilisation,region,guarantee", ["x,1,1,a,no"])
    _refused(runner, ["score", "--model", str(folder), "--data", str(text)],
             "--data column age", "'x'", "not a number")  # fmt: skip
    _refused(runner, ["score", "--model", str(tmp_path), "--data", str(sample)],
             "--model", "not a readable creditguard model")  # fmt: skip


def test_train_refuses_bad_scaling(runner: CliRunner, sample: Path, tmp_path: Path) -> None:
    args = ["train", "--data", str(sample), "--target", "default", "--model", "scorecard"]
    _refused(runner, [*args, "--out", str(tmp_path / "m"), "--pdo", "0"], "--pdo", "positive")
    assert not (tmp_path / "m").exists()
