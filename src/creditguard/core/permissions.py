"""Who may do what: the one policy table every edge checks (roles × operations)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from creditguard.core.errors import Forbidden

ROLES: Final = ("admin", "credit_manager", "collector", "approver", "sales", "viewer", "erp_client")

_READ = frozenset(
    {
        "customers:read",
        "ledger:read",
        "balances:read",
        "reference:read",
        "users:read_self",
        "rating:read",
        "credit:read",
    }
)
_ERP = frozenset(
    {
        "customers:write",
        "invoices:write",
        "payments:write",
        "credit_notes:write",
        "reversals:write",
        "orders:write",
        "credit:check",
        "rating:rate",  # an ERP may re-rate on its own trigger events
        # risk alerts (风险预警信号): a feed records them and reads back what it sent
        "alerts:write",
        "alerts:read",
    }
)
_CREDIT = _ERP | frozenset({"write_offs:write", "disputes:write", "contacts:write"})
# A credit manager rates, sets the policies, decides held orders and limit requests (within the
# approval ladder's authority); an approver (e.g. the CFO) decides above it.
_CREDIT_MANAGER = frozenset(
    {
        "rating:policy",
        "rating:override",
        "models:manage",
        "credit:policy",
        "credit:decide",
        "limits:request",
        "limits:approve",
        "audit:read",
    }
)
_APPROVER = frozenset({"credit:decide", "limits:approve", "audit:read"})

POLICY: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "admin": _READ | _CREDIT | _CREDIT_MANAGER | frozenset({"users:manage", "api_keys:manage"}),
        "credit_manager": _READ | _CREDIT | _CREDIT_MANAGER,
        # collectors see the alerts of the customers they chase; approvers, when deciding
        "collector": _READ | frozenset({"disputes:write", "contacts:write", "alerts:read"}),
        "approver": _READ | _APPROVER | frozenset({"alerts:read"}),
        "sales": _READ | frozenset({"credit:check", "limits:request"}),
        "viewer": _READ,
        "erp_client": _READ | _ERP,
    }
)

OPERATIONS: Final[frozenset[str]] = frozenset().union(*POLICY.values())


def is_allowed(role: str, operation: str) -> bool:
    """Tell whether ``role`` may perform ``operation`` according to :data:`POLICY`."""
    return operation in POLICY.get(role, frozenset())


class Actor:
    """Who is acting: the company (tenant), a principal id for audit and idempotency, a role."""

    __slots__ = ("company_id", "principal", "role")

    def __init__(self, company_id: int, principal: str, role: str) -> None:
        """Name the acting principal (``user:12`` or ``key:3``) of ``company_id``."""
        self.company_id = company_id
        self.principal = principal
        self.role = role

    def __repr__(self) -> str:
        return f"Actor({self.company_id}, {self.principal!r}, {self.role!r})"

    def may(self, operation: str) -> bool:
        """Tell whether this actor's role allows ``operation``."""
        return is_allowed(self.role, operation)


def require(actor: Actor, operation: str) -> None:
    """Refuse (403, naming the ``role``) unless ``actor``'s role allows ``operation``."""
    if not actor.may(operation):
        raise Forbidden.of("role", actor.role, "forbidden", role=actor.role, operation=operation)
