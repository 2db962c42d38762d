"""Risk alerts (风险预警信号): the kinds of external signal, their severities, in both languages.

An alert is one signal about a customer — litigation (诉讼), enforcement (被执行), a bankruptcy
filing (破产申请), ... — recorded by a credit manager or fed by a data provider or the ERP;
later, by the early-warning engine. Each kind has a default severity, used when whoever
records the alert gives none: the signals that nearly always precede a loss (a bankruptcy
filing, enforcement of a judgment) are critical; those that often do (litigation, a tax
violation, a payment default elsewhere) high; changes of ownership or management, a rating
downgrade by an agency and administrative penalties medium — worth a look, not a cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

SEVERITIES: Final = ("low", "medium", "high", "critical")
"""From the least to the most severe."""

SEVERITY_LABELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {"low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high"),
     "critical": ("严重", "critical")}
)  # fmt: skip
"""severity -> (简体中文, English)."""

STATUSES: Final = ("open", "closed")


@dataclass(frozen=True, slots=True)
class AlertKind:
    """One kind of risk signal: its labels and the severity it has unless told otherwise."""

    code: str
    zh: str
    en: str
    severity: str


KINDS: Final[Mapping[str, AlertKind]] = MappingProxyType(
    {
        kind.code: kind
        for kind in (
            AlertKind("bankruptcy_filing", "破产申请", "bankruptcy filing", "critical"),
            AlertKind("enforcement", "被执行", "enforcement of a judgment", "critical"),
            AlertKind("litigation", "诉讼", "litigation", "high"),
            AlertKind("tax_violation", "税务违法", "tax violation", "high"),
            AlertKind("payment_default", "拖欠他人款项", "payment default elsewhere", "high"),
            AlertKind("equity_change", "股权变更", "equity or ownership change", "medium"),
            AlertKind(
                "legal_representative_change",
                "法定代表人变更",
                "legal representative change",
                "medium",
            ),
            AlertKind("rating_downgrade", "信用评级下调", "credit rating downgrade", "medium"),
            AlertKind("administrative_penalty", "行政处罚", "administrative penalty", "medium"),
            AlertKind("other", "其他", "other", "medium"),
        )
    }
)
"""Every kind an alert may have (the ``risk_alerts.kind`` check constraint lists the same)."""


def default_severity(kind: str) -> str:
    """Return the severity of ``kind`` when the caller gives none (unknown kind: ``KeyError``)."""
    return KINDS[kind].severity


def kind_label(kind: str) -> tuple[str, str]:
    """Return the (简体中文, English) name of ``kind``; an unknown kind is shown as itself."""
    found = KINDS.get(kind)
    return (kind, kind) if found is None else (found.zh, found.en)


def severity_label(severity: str) -> tuple[str, str]:
    """Return the (简体中文, English) name of ``severity``; an unknown one as itself."""
    return SEVERITY_LABELS.get(severity, (severity, severity))
