"""Shapes of the model registry (kept in :mod:`creditguard.rating.schemas`)."""

from creditguard.rating.schemas import ModelOut, ModelStatus, PromoteIn, Role

__all__ = ["ModelOut", "ModelStatus", "PromoteIn", "Role"]
