"""The model registry: registered statistical models and their promotion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.idempotency import run_post
from creditguard.api.problems import ERRORS
from creditguard.rating.registry_schemas import ModelOut, PromoteIn
from creditguard.rating.service import registry

router = APIRouter(tags=["models"], responses=ERRORS)
Read = Annotated[Context, Depends(require("rating:read"))]
Manage = Annotated[Context, Depends(require("models:manage"))]
ModelId = Annotated[int, Path(gt=0, le=MAX_ID, description="Registry id of the model.")]


@router.get(
    "/models",
    response_model=list[ModelOut],
    summary="Registered models",
    description="Every registered model version of the company, newest first: kind, status "
    "(candidate, challenger, champion, retired), training data, cross-validation figures.",
)
def list_models(ctx: Read) -> list[ModelOut]:
    with ctx.db.read() as session:
        return registry.list_models(session, ctx.actor)


@router.post(
    "/models/{model_id}/promote",
    response_model=ModelOut,
    status_code=200,
    summary="Promote a model",
    description="Makes the model the champion (the old champion is retired in the same "
    "transaction) or a challenger. Only a credit manager or an administrator, and never the "
    "one who trained or registered the model (403). Audited.",
)
def promote(model_id: ModelId, body: PromoteIn, ctx: Manage) -> JSONResponse:
    return run_post(
        ctx,
        f"/models/{model_id}/promote",
        body,
        lambda s: registry.promote(s, ctx.actor, model_id, body.role, ctx.clock),
        status_code=200,
    )
