"""Change feeds for ERPs: what changed since a cursor, kind by kind (keyset pagination).

No `from __future__ import annotations` here: the routes are made in a loop, and FastAPI must
see each one's own response model.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from creditguard.api import presenters
from creditguard.api.deps import MAX_ID, Context, require
from creditguard.api.pagination import Changes
from creditguard.api.problems import ERRORS
from creditguard.api.routes._listing import coded, reversals_out
from creditguard.customers.schemas import CustomerOut
from creditguard.ledger import service
from creditguard.ledger.schemas import (
    CreditNoteOut,
    InvoiceOut,
    PaymentOut,
    ReversalOut,
    WriteOffOut,
)

router = APIRouter(prefix="/changes", tags=["sync"], responses=ERRORS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Since = Annotated[
    datetime,
    Query(
        description="Return what changed after this instant (UTC); the feed's start when omitted."
    ),
]
AfterId = Annotated[
    int, Query(ge=0, le=MAX_ID, description="With since: skip ids up to this one at that instant.")
]
Limit = Annotated[int, Query(ge=1, le=5000, description="Items per call.")]


def _customers(session: Session, ctx: Context, rows: list[Any]) -> list[BaseModel]:
    return [presenters.customer(r) for r in rows]


FEEDS: dict[
    str, tuple[type[BaseModel], str, Callable[[Session, Context, list[Any]], list[BaseModel]]]
] = {
    "customers": (CustomerOut, "customers:read", _customers),
    "invoices": (InvoiceOut, "ledger:read", coded(service.invoice_out)),
    "payments": (PaymentOut, "ledger:read", coded(presenters.payment)),
    "credit-notes": (CreditNoteOut, "ledger:read", coded(presenters.credit_note)),
    "write-offs": (
        WriteOffOut,
        "ledger:read",
        lambda s, c, rows: [presenters.write_off(r) for r in rows],
    ),
    "reversals": (ReversalOut, "ledger:read", reversals_out),
}


def _route(kind: str) -> Callable[..., Any]:
    model, operation, present = FEEDS[kind]

    def feed(
        ctx: Annotated[Context, Depends(require(operation))],
        since: Since = EPOCH,
        after_id: AfterId = 0,
        limit: Limit = 500,
    ) -> Any:
        with ctx.db.read() as session:
            rows, cursor = service.changes(session, ctx.actor, kind, (since, after_id), limit)
            items = present(session, ctx, rows)
        return Changes[model](  # type: ignore[valid-type]
            items=items,
            next_since=cursor[0] if cursor else None,
            next_after_id=cursor[1] if cursor else None,
        )

    feed.__name__ = f"changes_{kind.replace('-', '_')}"
    return feed


for _kind, _feed in FEEDS.items():
    _model = _feed[0]
    router.get(
        f"/{_kind}",
        response_model=Changes[_model],  # type: ignore[valid-type]
        summary=f"{_kind.capitalize()} changed since a cursor",
        description=f"{_kind.capitalize()} created or changed after `since` (and `after_id`), "
        "oldest change first. Keep calling with next_since and next_after_id until they are "
        "null; store the last pair to resume. Invoices change when payments, credits, "
        "write-offs, disputes or reversals move them.",
    )(_route(_kind))
