"""Fixtures of the model tests: a CLI runner that ignores the developer's settings, sample files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.scoring.support import write_sample


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(
        env={
            "CREDITGUARD_DATABASE_URL": None,
            "CREDITGUARD_LANG": None,
            "FORCE_COLOR": None,
            "COLUMNS": "200",
        }
    )


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 rows: id, numbers and text with missing cells, a 0/1 target ``default``."""
    return write_sample(tmp_path_factory.mktemp("data") / "sample.csv")


@pytest.fixture(scope="session")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same rows with ``default`` as good/bad labels."""
    return write_sample(tmp_path_factory.mktemp("data") / "labelled.csv", labels=True)
