"""The model registry: register a trained model directory, list, promote (champion or
challenger), and load a registered model with its files checked.

Storage: a registered model's files are copied to ``<models_dir>/<company id>/<name>/v<version>/``
(``models_dir`` is the setting ``CREDITGUARD_MODELS_DIR``) and their SHA-256 recorded in the
row; every load recomputes them and refuses a model whose files changed. What the files
hold is parsed once per (folder, digests) and kept (:data:`_PARSED`): a file checked against
the same SHA-256 again has the same content, so the kept model is the one it would parse to.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from creditguard.audit.service import Event, record
from creditguard.clock import Clock
from creditguard.core.errors import Conflict, Forbidden, invalid, not_found
from creditguard.core.permissions import Actor, require
from creditguard.models import ScoringModel
from creditguard.rating import repository as repo
from creditguard.rating.registry_schemas import ModelOut, Role
from creditguard.scoring import store

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def model_out(row: ScoringModel) -> ModelOut:
    return ModelOut(
        id=row.id,
        name=row.name,
        version=row.version,
        kind=row.kind,
        status=row.status,
        trained_at=row.trained_at,
        trained_by=row.trained_by,
        registered_at=row.registered_at,
        registered_by=row.registered_by,
        data_description=row.data_description,
        rows=row.rows,
        bad_rate=str(row.bad_rate),
        cv_metrics=None if row.cv_metrics is None else json.loads(row.cv_metrics),
        features=json.loads(row.features),
        files=json.loads(row.files),
        promoted_at=row.promoted_at,
        promoted_by=row.promoted_by,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files_of(source: Path) -> list[Path]:
    return sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))


def register(  # noqa: PLR0913 - keyword-only beyond the first four
    session: Session,
    actor: Actor,
    source: Path,
    clock: Clock,
    *,
    models_dir: Path,
    name: str,
    description: str,
    trained_by: str | None = None,
) -> ModelOut:
    """Copy the model directory ``source`` (written by ``model train``) into the registry as
    the next version of ``name``; its status starts as ``candidate``."""
    require(actor, "models:manage")
    if not NAME.match(name):
        raise invalid(
            "name",
            name,
            "invalid",
            reason="1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            reason_zh="1-64 个字母、数字、'.'、'_' 或 '-'，以字母或数字开头",
        )
    saved = store.load(source)  # refuses anything that is not a model directory
    manifest = saved.manifest
    version = repo.last_model_version(session, actor.company_id, name) + 1
    relative = Path(str(actor.company_id)) / name / f"v{version}"
    target = models_dir / relative
    if target.exists():
        raise Conflict.of(
            "name",
            name,
            "state",
            reason=f"{target} already exists: the registry and its folder disagree",
            reason_zh=f"{target} 已存在：登记表与其目录不一致",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*"))
    now = clock.now()
    row = ScoringModel(
        company_id=actor.company_id,
        name=name,
        version=version,
        kind=manifest.kind,
        status="candidate",
        trained_at=manifest.created_at,
        trained_by=trained_by or actor.principal,
        registered_at=now,
        registered_by=actor.principal,
        data_description=description[:500],
        rows=manifest.rows,
        bad_rate=Decimal(str(manifest.bad_rate)),
        cv_metrics=None if manifest.cv is None else json.dumps(dict(manifest.cv)),
        features=json.dumps([f.name for f in manifest.features]),
        artefact_dir=relative.as_posix(),
        files=json.dumps({p.name: _digest(p) for p in _files_of(target)}, sort_keys=True),
    )
    session.add(row)
    session.flush()
    _audit(session, actor, row, "model.registered", now)
    return model_out(row)


def _audit(session: Session, actor: Actor, row: ScoringModel, action: str, at: datetime) -> None:
    body = {"name": row.name, "version": row.version, "kind": row.kind, "status": row.status}
    record(session, actor.company_id, actor.principal, Event(action, f"model:{row.id}", body), at)


def list_models(session: Session, actor: Actor) -> list[ModelOut]:
    """Every registered model of the company, newest first."""
    require(actor, "rating:read")
    return [model_out(r) for r in repo.scoring_models(session, actor.company_id)]


def _get(session: Session, actor: Actor, model_id: int) -> ScoringModel:
    row = repo.scoring_model(session, actor.company_id, model_id)
    if row is None:
        raise not_found("model", model_id)
    return row


def promote(session: Session, actor: Actor, model_id: int, role: Role, clock: Clock) -> ModelOut:
    """Give a model a role. Only a credit manager may, and never the one who trained or
    registered it; a new champion retires the old one in the same transaction."""
    require(actor, "models:manage")
    row = _get(session, actor, model_id)
    if actor.principal in (row.trained_by, row.registered_by):
        raise Forbidden.of(
            "promoted_by",
            actor.principal,
            "forbidden",
            role=actor.role,
            operation="models:promote (own model: segregation of duties)",
        )
    if row.status == "retired":
        raise Conflict.of(
            "status",
            row.status,
            "state",
            reason="a retired model is not promoted again: register it anew",
            reason_zh="已退役的模型不能再晋升：请重新登记",
        )
    now = clock.now()
    if role == "champion":
        old = repo.champion(session, actor.company_id)
        if old is not None and old.id != row.id:
            old.status = "retired"
            session.flush()  # before the new champion: one champion at a time (unique index)
            _audit(session, actor, old, "model.retired", now)
    row.status, row.promoted_at, row.promoted_by = role, now, actor.principal
    session.flush()
    _audit(session, actor, row, f"model.promoted.{role}", now)
    return model_out(row)


def load_model(
    session: Session, actor: Actor, role: Role, models_dir: Path
) -> tuple[ModelOut, store.SavedModel] | None:
    """The model holding ``role`` (the champion or the newest challenger), its files checked
    against their SHA-256; ``None`` when no model holds it."""
    row = (
        repo.champion(session, actor.company_id)
        if role == "champion"
        else repo.challenger(session, actor.company_id)
    )
    if row is None:
        return None
    return model_out(row), load_files(row, models_dir)


# Parsed models by (folder, the row's file digests), the most recently used last. Only
# consulted after every file has been checked against those digests on this very load.
_PARSED: OrderedDict[tuple[str, str], store.SavedModel] = OrderedDict()
_PARSED_SIZE = 8
_PARSED_LOCK = threading.Lock()


def load_files(row: ScoringModel, models_dir: Path) -> store.SavedModel:
    """Read a registered model after checking every file's SHA-256 (on every call); the
    parsing is done once per folder and digests."""
    folder = models_dir / row.artefact_dir
    for file_name, expected in json.loads(row.files).items():
        path = folder / file_name
        if not path.is_file() or _digest(path) != expected:
            raise Conflict.of(
                "files",
                str(path),
                "state",
                reason="missing or changed since registration (SHA-256 differs): not loaded",
                reason_zh="文件缺失或登记后被修改（SHA-256 不符）：拒绝加载",
            )
    key = (str(folder.resolve()), row.files)
    with _PARSED_LOCK:
        saved = _PARSED.get(key)
        if saved is not None:
            _PARSED.move_to_end(key)
            return saved
    saved = store.load(folder)
    with _PARSED_LOCK:
        _PARSED[key] = saved
        while len(_PARSED) > _PARSED_SIZE:
            _PARSED.popitem(last=False)
    return saved


def get_by_version(session: Session, actor: Actor, version: str) -> ScoringModel:
    """``NAME:VERSION`` (or the registry id) -> the row."""
    name, _, number = version.partition(":")
    row = None
    if number.isdigit():
        row = repo.scoring_model_version(session, actor.company_id, name, int(number))
    elif version.isdigit():
        row = repo.scoring_model(session, actor.company_id, int(version))
    if row is None:
        raise not_found("model", version, "version")
    return row
