"""The credit area's services: load -> core rules -> persist (flush, never commit)."""

from creditguard.credit.service.checks import (
    Asked,
    cancel,
    decide_held,
    list_checks,
    run_check,
    run_checks,
)
from creditguard.credit.service.notify import add_webhook, list_webhooks, send_pending, sign
from creditguard.credit.service.policy import StoredPolicy, current, get_policy, put_policy
from creditguard.credit.service.policy import versions as policy_versions
from creditguard.credit.service.view import customer_credit

__all__ = [
    "Asked",
    "StoredPolicy",
    "add_webhook",
    "cancel",
    "current",
    "customer_credit",
    "decide_held",
    "get_policy",
    "list_checks",
    "list_webhooks",
    "policy_versions",
    "put_policy",
    "run_check",
    "run_checks",
    "send_pending",
    "sign",
]
