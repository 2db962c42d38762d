"""A small synthetic portfolio, generated and written once per module."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditguard.synth import Portfolio, generate, write

AS_OF = date(2026, 11, 22)
CUSTOMERS = 200
INVOICES = 2000
SEED = 11


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return generate(customers=CUSTOMERS, invoices=INVOICES, seed=SEED, as_of=AS_OF)


@pytest.fixture(scope="module")
def written(portfolio: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    write(portfolio, out)
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


@pytest.fixture
def runner() -> CliRunner:
    # The command must not pick up the developer's own language.
    return CliRunner(env={"CREDITGUARD_LANG": None, "FORCE_COLOR": None, "COLUMNS": "200"})
