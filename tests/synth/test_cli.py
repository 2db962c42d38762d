"""creditguard synth: writes the files and a summary; refuses bad input with exit code 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditguard.cli import synth as synth_cli
from creditguard.cli.main import app
from creditguard.clock import FixedClock
from creditguard.synth import MANIFEST

SMALL = ["--customers", "40", "--invoices", "400", "--seed", "3", "--as-of", "2026-11-22"]


def test_synth_writes_the_files_and_prints_a_summary(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "portfolio"

    result = runner.invoke(app, ["synth", *SMALL, "--out", str(out)])

    assert result.exit_code == 0, result.output
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["seed"] == 3
    assert manifest["files"]["invoices.csv"]["rows"] == 400
    for name in ("customers.csv", "invoices.csv", "payments.csv", "truth/signals.csv"):
        assert (out / name).is_file()
        assert name in result.stdout
    assert "400" in result.stdout
    assert "CNY" in result.stdout
    assert "as of 2026-11-22" in result.stdout


def test_synth_twice_gives_the_same_files(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = runner.invoke(app, ["synth", *SMALL, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output

    for path in sorted((tmp_path / "a").rglob("*.csv")):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


def test_synth_restricts_the_currencies(runner: CliRunner, tmp_path: Path) -> None:
    args = ["synth", *SMALL, "--currencies", "JPY", "--out", str(tmp_path)]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["currencies"] == ["JPY"]
    assert set(manifest["files"]["invoices.csv"]["totals"]) == {"JPY"}
    assert "." not in manifest["files"]["invoices.csv"]["totals"]["JPY"]


def test_as_of_defaults_to_today_in_shanghai(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evening_utc = FixedClock(datetime(2026, 11, 21, 17, 30, tzinfo=UTC))  # 01:30 in Shanghai
    monkeypatch.setattr(synth_cli, "SystemClock", lambda: evening_utc)

    result = runner.invoke(
        app, ["synth", "--customers", "10", "--invoices", "50", "--out", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2026-11-22"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customers", "0", "--invoices", "10"], "customers = 0: must be greater than zero"),
        (["--customers", "-5", "--invoices", "10"], "customers = -5"),
        (["--customers", "50", "--invoices", "49"], "invoices = 49: must be at least"),
        (["--currencies", "CNY,XYZ"], "'XYZ' is not an ISO 4217 currency code"),
        (["--as-of", "2026-02-30"], "as_of = '2026-02-30': is not a date"),
    ],
)
def test_bad_input_exits_1_with_a_message(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "never"

    result = runner.invoke(app, ["synth", *args, "--out", str(out)])

    assert result.exit_code == 1
    assert message in result.stderr
    assert not out.exists()


def test_an_unwritable_out_dir_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")

    result = runner.invoke(app, ["synth", *SMALL, "--out", str(blocker / "sub")])

    assert result.exit_code == 1
    assert "out = " in result.stderr
    assert "cannot write to this directory" in result.stderr


def test_messages_in_chinese(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", "--customers", "0", "--out", str(tmp_path), "--lang", "zh-CN"]
    )

    assert result.exit_code == 1
    assert "必须大于零" in result.stderr
