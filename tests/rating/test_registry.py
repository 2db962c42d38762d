"""The model registry: register, list, promote (one champion; never by the one who trained or
registered it, in code and in a database CHECK), audited; files checked on load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from creditguard.api.app import create_app
from creditguard.cli.main import app
from creditguard.config import Settings, get_settings
from creditguard.core.errors import Conflict, Forbidden
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.models import AuditEntry, ScoringModel
from creditguard.rating.service import registry
from creditguard.scoring import store
from creditguard.scoring.data import Target, load_dataset
from creditguard.scoring.validation import CvOptions
from tests import builders as b
from tests.rating.test_api import _login
from tests.rating.test_dataset import _ledger as _literal_ledger
from tests.scoring.support import require_ml, write_sample

ALICE = "user:alice"  # trains and registers
BOB = "user:bob"  # a credit manager who did neither


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_ml()
    folder = tmp_path_factory.mktemp("trained")
    data = load_dataset(write_sample(folder / "sample.csv"), Target("default"))
    created = datetime(2026, 11, 1, tzinfo=UTC)
    saved = store.train(data, "scorecard", CvOptions(folds=2), created_at=created)
    store.save(folder / "card", saved)
    return folder / "card"


def _as(actor: Actor, principal: str, role: str = "credit_manager") -> Actor:
    return Actor(actor.company_id, principal, role)


def _register(db: Database, actor: Actor, trained: Path, models_dir: Path) -> int:
    with db.write() as session:
        made = registry.register(
            session, _as(actor, ALICE), trained, b.clock(), models_dir=models_dir,
            name="card", description="sample.csv",
        )  # fmt: skip
        return made.id


def _promote(db: Database, actor: Actor, model_id: int, role: str, who: str = BOB) -> str:
    with db.write() as session:
        return registry.promote(session, _as(actor, who), model_id, role, b.clock()).status  # type: ignore[arg-type]


def test_register_promote_and_one_champion_at_a_time(
    db: Database, trained: Path, tmp_path: Path
) -> None:
    actor = b.company(db)
    first, second = (_register(db, actor, trained, tmp_path) for _ in range(2))
    assert _promote(db, actor, first, "champion") == "champion"
    assert _promote(db, actor, second, "champion") == "champion"
    with db.read() as session:
        listed = registry.list_models(session, _as(actor, BOB, "viewer"))
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert [(m.id, m.version, m.status) for m in listed] == [
        (second, 2, "champion"),
        (first, 1, "retired"),
    ]
    assert listed[0].registered_by == ALICE
    assert listed[0].promoted_by == BOB
    assert listed[0].rows == 400
    assert listed[0].kind == "scorecard"
    assert actions == [
        "model.registered",
        "model.registered",
        "model.promoted.champion",
        "model.retired",
        "model.promoted.champion",
    ]
    assert (tmp_path / str(actor.company_id) / "card" / "v2" / "model.json").is_file()


def test_the_trainer_and_other_roles_may_not_promote(
    db: Database, trained: Path, tmp_path: Path
) -> None:
    actor = b.company(db)
    model_id = _register(db, actor, trained, tmp_path)
    with pytest.raises(Forbidden):
        _promote(db, actor, model_id, "champion", who=ALICE)
    with db.write() as session, pytest.raises(Forbidden):
        registry.promote(session, _as(actor, BOB, "sales"), model_id, "champion", b.clock())
    with db.read() as session:
        assert registry.list_models(session, actor)[0].status == "candidate"


@pytest.mark.parametrize("promoter", [ALICE, BOB])
def test_the_database_refuses_a_self_promotion(
    db: Database, trained: Path, tmp_path: Path, promoter: str
) -> None:
    """The CHECK is the backstop: written past the service, the trainer's promotion fails,
    another person's (the control case) passes."""
    actor = b.company(db)
    model_id = _register(db, actor, trained, tmp_path)
    with db.write() as session:
        row = session.get(ScoringModel, model_id)
        assert row is not None
        row.status, row.promoted_by, row.promoted_at = "champion", promoter, b.NOW
        if promoter == ALICE:
            with pytest.raises(IntegrityError):
                session.flush()
            session.rollback()
        else:
            session.flush()


def test_a_changed_file_is_not_loaded(db: Database, trained: Path, tmp_path: Path) -> None:
    actor = b.company(db)
    model_id = _register(db, actor, trained, tmp_path)
    _promote(db, actor, model_id, "champion")
    with db.read() as session:
        found = registry.load_model(session, actor, "champion", tmp_path)
        assert found is not None
        assert found[1].manifest.rows == 400
        card = tmp_path / str(actor.company_id) / "card" / "v1" / "scorecard.json"
        card.write_text(card.read_text(encoding="utf-8").replace("1", "2", 1), encoding="utf-8")
        with pytest.raises(Conflict) as caught:
            registry.load_model(session, actor, "champion", tmp_path)
    assert caught.value.problems[0].field == "files"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, b.clock(), Settings())) as test_client:
        yield test_client


def test_api_lists_and_promotes(
    db: Database, client: TestClient, trained: Path, tmp_path: Path
) -> None:
    actor = b.company(db)
    model_id = _register(db, actor, trained, tmp_path)
    manager = _login(db, client, actor.company_id, "credit_manager")
    viewer = _login(db, client, actor.company_id, "viewer")
    listed = client.get("/api/v1/models", headers=viewer)
    assert listed.status_code == 200
    assert [(m["id"], m["status"], m["registered_by"]) for m in listed.json()] == [
        (model_id, "candidate", ALICE)
    ]
    path = f"/api/v1/models/{model_id}/promote"
    refused = client.post(path, json={"role": "champion"}, headers=viewer)
    assert refused.status_code == 403
    assert "role 'viewer' may not models:manage" in refused.text  # the operation checked
    assert client.post(path, json={"role": "boss"}, headers=manager).status_code == 422
    promoted = client.post(path, json={"role": "challenger"}, headers=manager)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["status"] == "challenger"
    assert client.post("/api/v1/models/999/promote", json={"role": "champion"}, headers=manager).status_code == 404  # fmt: skip


def test_cli_register_and_promote(
    db: Database, runner: CliRunner, trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b.company(db)
    monkeypatch.setenv("CREDITGUARD_MODELS_DIR", str(tmp_path))
    get_settings.cache_clear()
    url = ["--company", "ACME", "--database-url", db.engine.url.render_as_string(hide_password=False)]  # fmt: skip
    try:
        made = runner.invoke(app, ["model", "register", "--from", str(trained), "--name", "card", "--by", "alice", "--json", *url])  # fmt: skip
        assert made.exit_code == 0, made.output
        own = runner.invoke(app, ["model", "promote", "card:1", "--role", "champion", "--by", "alice", *url])  # fmt: skip
        assert own.exit_code == 1
        other = runner.invoke(app, ["model", "promote", "card:1", "--role", "champion", "--by", "bob", "--json", *url])  # fmt: skip
        assert other.exit_code == 0, other.output
        assert '"status": "champion"' in other.output
        listed = runner.invoke(app, ["model", "list", "--json", *url])
        assert '"promoted_by": "cli:bob"' in listed.output
    finally:
        get_settings.cache_clear()


def _ledger_model(folder: Path) -> Path:
    """A scorecard on three of the ledger's features (synthetic rows)."""
    rng = np.random.default_rng(3)
    days = rng.integers(0, 120, 300)
    frame = pl.DataFrame(
        {
            "id": [f"R{n}" for n in range(300)],
            "max_days_past_due": days,
            "days_late_12m": rng.uniform(0, 30, 300),
            "open_minor": rng.integers(0, 10**7, 300),
            "bad": (days + rng.integers(0, 60, 300) > 100).astype(int),
        }
    )
    frame.write_csv(folder / "ledger.csv")
    data = load_dataset(folder / "ledger.csv", Target("bad"))
    saved = store.train(data, "scorecard", CvOptions(folds=2), created_at=b.NOW)
    store.save(folder / "ledger-card", saved)
    return folder / "ledger-card"


def test_psi_of_a_registered_model_on_the_ledger(
    db: Database, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_ml()
    _literal_ledger(db)
    trained = _ledger_model(tmp_path)
    models = tmp_path / "registry"
    monkeypatch.setenv("CREDITGUARD_MODELS_DIR", str(models))
    get_settings.cache_clear()
    url = ["--company", "ACME", "--database-url", db.engine.url.render_as_string(hide_password=False)]  # fmt: skip
    try:
        made = runner.invoke(app, ["model", "register", "--from", str(trained), "--name", "ledger", *url])  # fmt: skip
        assert made.exit_code == 0, made.output
        result = runner.invoke(app, ["model", "psi", "--version", "ledger:1", "--as-of", "2025-06-30", "--json", *url])  # fmt: skip
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        assert found["model"] == "ledger:1"
        assert found["rows"] == 7
        assert [f["feature"] for f in found["features"]] == ["max_days_past_due", "days_late_12m", "open_minor"]  # fmt: skip
        assert found["score"]["band"] in {"stable", "watch", "moved"}
        missing = runner.invoke(app, ["model", "psi", "--version", "ledger:9", *url])
        assert missing.exit_code == 1
    finally:
        get_settings.cache_clear()
