"""ORM tables. Importing this package registers every table on ``Base.metadata``."""

from creditguard.models.alerts import RiskAlert
from creditguard.models.base import Base
from creditguard.models.company import ApiKey, AuthToken, Company, IdempotencyRecord, User
from creditguard.models.credit import (
    AuditEntry,
    CreditCheck,
    CreditLimit,
    CreditReservation,
    LimitPolicy,
    LimitRequest,
    Notification,
    Webhook,
)
from creditguard.models.customer import Contact, Customer, Order
from creditguard.models.ledger import (
    Application,
    CreditNote,
    CustomerBalance,
    Dispute,
    Instalment,
    Invoice,
    InvoiceLine,
    Payment,
    Reversal,
    WriteOff,
)
from creditguard.models.rating import (
    CreditDocument,
    CreditProfile,
    CreditRating,
    DocumentContent,
    FinancialStatement,
    ScorecardPolicy,
)
from creditguard.models.reference import FxRate
from creditguard.models.scoring import ModelBlend, ScoringModel

__all__ = [
    "ApiKey",
    "Application",
    "AuditEntry",
    "AuthToken",
    "Base",
    "Company",
    "Contact",
    "CreditCheck",
    "CreditDocument",
    "CreditLimit",
    "CreditNote",
    "CreditProfile",
    "CreditRating",
    "CreditReservation",
    "Customer",
    "CustomerBalance",
    "Dispute",
    "DocumentContent",
    "FinancialStatement",
    "FxRate",
    "IdempotencyRecord",
    "Instalment",
    "Invoice",
    "InvoiceLine",
    "LimitPolicy",
    "LimitRequest",
    "ModelBlend",
    "Notification",
    "Order",
    "Payment",
    "Reversal",
    "RiskAlert",
    "ScorecardPolicy",
    "ScoringModel",
    "User",
    "Webhook",
    "WriteOff",
]
