"""Credit file and rating use cases: load -> core rules -> persist (flush, never commit).

The scorecard itself is :mod:`creditguard.core.rating`; the facts come from the credit file
(qualification, the latest financial statement and the one before it) and from the ledger's
payment behaviour (:mod:`creditguard.analytics.behaviour`) on the rating date.
"""

from creditguard.rating.service.common import today
from creditguard.rating.service.credit_file import (
    add_document,
    add_statement,
    credit_file,
    import_statements,
    list_documents,
    list_statements,
    put_qualification,
)
from creditguard.rating.service.decisions import override, rate_customer, ratings, run_due
from creditguard.rating.service.documents import document_file, upload_document
from creditguard.rating.service.policies import get_policy, put_policy

__all__ = [
    "add_document",
    "add_statement",
    "credit_file",
    "document_file",
    "get_policy",
    "import_statements",
    "list_documents",
    "list_statements",
    "override",
    "put_policy",
    "put_qualification",
    "rate_customer",
    "ratings",
    "run_due",
    "today",
    "upload_document",
]
