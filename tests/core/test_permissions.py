"""Who may rate, decide credit and approve limits: the roles each operation is granted to."""

from __future__ import annotations

import pytest

from creditguard.core.permissions import POLICY, ROLES, is_allowed


def holders(operation: str) -> set[str]:
    return {role for role in ROLES if is_allowed(role, operation)}


@pytest.mark.parametrize(
    ("operation", "roles"),
    [
        ("rating:read", set(ROLES)),
        ("rating:rate", {"admin", "credit_manager", "erp_client"}),
        ("rating:policy", {"admin", "credit_manager"}),
        ("rating:override", {"admin", "credit_manager"}),
        ("models:manage", {"admin", "credit_manager"}),
        ("credit:check", {"admin", "credit_manager", "sales", "erp_client"}),
        ("credit:policy", {"admin", "credit_manager"}),
        ("credit:decide", {"admin", "credit_manager", "approver"}),
        ("limits:request", {"admin", "credit_manager", "sales"}),
        ("limits:approve", {"admin", "credit_manager", "approver"}),
        ("audit:read", {"admin", "credit_manager", "approver"}),
        ("alerts:write", {"admin", "credit_manager", "erp_client"}),
        ("alerts:read", {"admin", "credit_manager", "erp_client", "collector", "approver"}),
    ],
)
def test_each_credit_operation_is_granted_to_exactly_these_roles(
    operation: str, roles: set[str]
) -> None:
    assert holders(operation) == roles


def test_every_role_has_a_policy_and_unknown_roles_may_nothing() -> None:
    assert set(POLICY) == set(ROLES)
    assert not is_allowed("cfo", "limits:approve")
