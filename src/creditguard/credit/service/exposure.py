"""Exposure (风险敞口) of customers and groups from the ledger, the orders and reservations.

Stages, per customer, in the company's base currency on ``as_of``:

- ``open_receivables``: open instalments of open invoices past their due date (``due_on < as_of``);
- ``invoiced_not_due``: open instalments due on ``as_of`` or later;
- ``shipped_not_invoiced`` / ``confirmed_not_shipped``: ``orders`` in status confirmed or
  shipped: ``shipped_minor``, and ``amount_minor - shipped_minor``;
- ``reserved``: open credit reservations whose order is not (yet) in ``orders`` nor on an
  invoice of the customer (``invoices.order_ref``). Once the ERP sends the order, or invoices
  it, the order is counted there and the reservation no longer: never twice.

Each (customer, currency, stage) sum is converted once to the base currency at the reference
rate of ``as_of`` (:func:`creditguard.reference.service.convert`, rounded once, half up as every
conversion in creditguard). A group's exposure is the stage-by-stage sum over the group root
and its members (``customers.parent_id``). The insured part is 0: creditguard has no credit
insurance yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from creditguard.core.credit import Exposure, group_exposure
from creditguard.core.money import Money
from creditguard.credit import repository as repo
from creditguard.models import CreditLimit, Customer
from creditguard.reference import service as reference

STAGES = (
    "open_receivables",
    "invoiced_not_due",
    "shipped_not_invoiced",
    "confirmed_not_shipped",
    "reserved",
)


def exposures(
    session: Session, company_id: int, customer_ids: Sequence[int], base: str, as_of: date
) -> dict[int, Exposure]:
    """Each customer's exposure by stage in ``base`` on ``as_of`` (zero for one with none)."""
    ids = sorted(set(customer_ids))
    return exposures_of(
        session, repo.exposure_sums(session, company_id, ids, as_of), ids, base, as_of
    )


def exposures_of(
    session: Session, sums: repo.Sums, customer_ids: Sequence[int], base: str, as_of: date
) -> dict[int, Exposure]:
    """:func:`exposures` from the sums read already (:func:`repo.exposure_sums`)."""
    ids = sorted(set(customer_ids))
    stages: dict[int, dict[str, Money]] = {i: dict.fromkeys(STAGES, Money.zero(base)) for i in ids}
    for (customer_id, currency, stage), minor in sorted(sums.items()):
        amount = reference.convert(session, Money(minor, currency), base, as_of)
        stages[customer_id][stage] += amount
    return {
        i: Exposure(**parts, insured=Money.zero(base))  # no credit insurance yet
        for i, parts in stages.items()
    }


@dataclass(frozen=True, slots=True)
class Standing:
    """What a check or the credit view knows of a customer's limits and exposure."""

    customer: Customer
    root_id: int  # the group's root: the parent, or the customer itself
    group_ids: tuple[int, ...]  # root and members; just the customer when it has no group
    exposure: Exposure
    limit: CreditLimit | None
    group_limit: CreditLimit | None  # on the root, scope 'group'
    group_exposure: Exposure | None  # only when a group limit exists


def standing(
    session: Session, company_id: int, customer: Customer, base: str, as_of: date
) -> Standing:
    """The customer's exposure and limits, and the group's when the group has a shared limit."""
    root_id = customer.parent_id if customer.parent_id is not None else customer.id
    found = {
        (row.customer_id, row.scope): row
        for row in repo.limits(session, company_id, sorted({customer.id, root_id}))
    }
    limit = found.get((customer.id, "customer"))
    group_limit = found.get((root_id, "group"))
    if group_limit is None:  # no shared limit: the group's exposure is not needed
        own = exposures(session, company_id, [customer.id], base, as_of)[customer.id]
        return Standing(customer, root_id, (customer.id,), own, limit, None, None)
    group_ids = tuple(repo.group_members(session, company_id, root_id))
    members = exposures(session, company_id, group_ids, base, as_of)
    whole = group_exposure(list(members.values()), base)
    return Standing(customer, root_id, group_ids, members[customer.id], limit, group_limit, whole)


def check_exposure(
    session: Session,
    company_id: int,
    customer: repo.Locked,
    base: str,
    as_of: date,
    *,
    grouped: bool,
) -> tuple[Exposure, Exposure | None]:
    """A check's exposures: the customer's, and its group's when the group has a shared limit
    (``grouped``); the limits themselves come with the check's facts."""
    if not grouped:
        return exposures(session, company_id, [customer.id], base, as_of)[customer.id], None
    group_ids = repo.group_members(session, company_id, customer.root_id)
    members = exposures(session, company_id, group_ids, base, as_of)
    return members[customer.id], group_exposure(list(members.values()), base)
