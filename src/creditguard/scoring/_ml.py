"""The optional extra ``ml`` (scikit-learn, LightGBM, optbinning), imported lazily."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from creditguard.core.errors import InvalidInput, invalid

EXTRA = "pip install 'creditguard[ml]'"

# cvxpy (imported by optbinning, unused by the binning we run) logs a warning at import when an
# optional solver's binary is broken on the machine (highspy here); it says nothing about our
# models and would land on the user's stderr, so it is kept quiet during the import only.
_NOISY_AT_IMPORT = ("__cvxpy__",)


def missing_extra(error: ImportError) -> InvalidInput:
    """The error shown when a model needs the extra ``ml`` and it is not installed."""
    return invalid(
        "model",
        error.name,
        "invalid",
        reason=f"needs the optional extra 'ml' ({error}): {EXTRA}",
        reason_zh=f"需要安装可选扩展 'ml'（{error}）：{EXTRA}",
    )


def _only_errors(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR


@contextmanager
def extra() -> Iterator[None]:
    """Around the lazy imports of the extra: a missing package is an input error, not a crash."""
    # OpenMP threads (LightGBM, scikit-learn) spin while they wait for work by default: beside
    # another busy process on 2 cores, a 2-thread LightGBM fit on Give Me Some Credit took 23 s,
    # and 2.8 s with passive waiting. The runtime reads this once, when it loads; a user's own
    # setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # A filter, not a level: cvxpy sets its logger's level itself while it is being imported.
    loggers = [logging.getLogger(name) for name in _NOISY_AT_IMPORT]
    for logger in loggers:
        logger.addFilter(_only_errors)
    try:
        yield
    except ImportError as error:
        raise missing_extra(error) from None
    finally:
        for logger in loggers:
            logger.removeFilter(_only_errors)
