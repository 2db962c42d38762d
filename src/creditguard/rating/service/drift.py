"""PSI drift of a registered model: its training population against today's customers,
scored from the ledger's point-in-time features."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from creditguard.core.errors import invalid
from creditguard.core.permissions import Actor
from creditguard.rating.service import dataset, registry
from creditguard.scoring import population, store
from creditguard.scoring.data import feature_frame


def model_psi(
    session: Session, actor: Actor, version: str, as_of: date, models_dir: Path
) -> dict[str, Any]:
    """PSI of the score and of every feature of model ``version`` (``NAME:N`` or its id) on
    ``as_of``, with the 0.1 / 0.25 bands."""
    row = registry.get_by_version(session, actor, version)
    saved = registry.load_files(row, models_dir)
    if saved.population is None:
        raise invalid(
            "version",
            version,
            "invalid",
            reason="the model was saved without its training population: train it again",
            reason_zh="该模型保存时未记录训练人群分布：请重新训练",
        )
    today = dataset.current_features(session, actor, as_of)
    columns = feature_frame(today, saved.manifest.features, source="ledger features")
    scores = store.score(saved, today, source="ledger features")["probability_bad"]
    found = population.drift(saved.population, np.asarray(scores.to_numpy()), columns)
    return {"model": f"{row.name}:{row.version}", "as_of": as_of.isoformat(), **found}
