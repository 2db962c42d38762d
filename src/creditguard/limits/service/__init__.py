"""The limits area's services: requests and approvals, the limit that holds, the nightly
review, and reading and verifying the audit log."""

from creditguard.limits.service.audit_log import log, verify
from creditguard.limits.service.holding import customer_limit
from creditguard.limits.service.requests import (
    approve,
    create,
    get,
    list_requests,
    reject,
    today,
    withdraw,
)
from creditguard.limits.service.review import SYSTEM, run_review

__all__ = [
    "SYSTEM",
    "approve",
    "create",
    "customer_limit",
    "get",
    "list_requests",
    "log",
    "reject",
    "run_review",
    "today",
    "verify",
    "withdraw",
]
