"""Customer use cases: load -> validate with core rules -> persist (flush, never commit)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core.errors import Conflict, InvalidInput, Problem, invalid, not_found
from creditguard.core.money import check_currency
from creditguard.core.permissions import Actor
from creditguard.core.terms import parse_terms
from creditguard.customers import repository as repo
from creditguard.customers.schemas import ContactIn, CustomerFilter, CustomerIn, CustomerUpdate
from creditguard.db.paging import PageRequest
from creditguard.models import Contact, Customer


def get(session: Session, actor: Actor, customer_id: int) -> Customer:
    customer = repo.get(session, actor.company_id, customer_id)
    if customer is None:
        raise not_found("customer", customer_id)
    return customer


def get_by_code(session: Session, actor: Actor, code: str, field: str = "customer_ref") -> Customer:
    customer = repo.get_by_code(session, actor.company_id, code)
    if customer is None:
        raise not_found("customer", code, field)
    return customer


def create(session: Session, actor: Actor, data: CustomerIn, clock: Clock) -> Customer:
    problems = _check_fields(data.currency, data.payment_terms)
    if repo.get_by_code(session, actor.company_id, data.code) is not None:
        raise Conflict([Problem("code", data.code, "duplicate", {"kind": "customer"})])
    parent = _parent(session, actor, data.parent_code, problems)
    if problems:
        raise InvalidInput(problems)
    now = clock.now()
    customer = Customer(
        company_id=actor.company_id,
        code=data.code,
        name=data.name,
        parent_id=None if parent is None else parent.id,
        industry=data.industry,
        region=data.region,
        country=data.country,
        currency=data.currency,
        payment_terms=parse_terms(data.payment_terms, "payment_terms").code(),
        salesperson=data.salesperson,
        tax_id=data.tax_id,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    for contact in data.contacts:
        add_contact(session, actor, customer, contact, clock)
    return customer


def by_codes(session: Session, actor: Actor, codes: Sequence[str]) -> dict[str, Customer]:
    """Existing customers among ``codes``, by code (imports)."""
    return repo.by_codes(session, actor.company_id, codes)


def create_many(
    session: Session, actor: Actor, batch: Sequence[CustomerIn], clock: Clock
) -> list[Customer]:
    """Create new customers all at once, or none: the import of a whole customer master.

    A parent may be an existing customer or one of the batch, in any order. Every problem of
    every customer is reported together, fields named ``customers[i].code`` and so on.
    """
    prefix = "customers[{}]." if len(batch) > 1 else ""
    codes = [item.code for item in batch]
    taken = repo.by_codes(session, actor.company_id, sorted(set(codes)))
    outside = sorted({i.parent_code for i in batch if i.parent_code} - set(codes))
    parents = {c: p.id for c, p in repo.by_codes(session, actor.company_id, outside).items()}
    counts = Counter(codes)
    problems: list[Problem] = []
    for index, item in enumerate(batch):
        at = prefix.format(index)
        problems += [
            Problem(f"{at}{p.field}", p.value, p.code, p.params)
            for p in _check_fields(item.currency, item.payment_terms)
        ]
        if item.code in taken or counts[item.code] > 1:
            problems.append(Problem(f"{at}code", item.code, "duplicate", {"kind": "customer"}))
        if item.parent_code and item.parent_code not in parents and not counts[item.parent_code]:
            problems.append(
                Problem(f"{at}parent_code", item.parent_code, "not_found", {"kind": "customer"})
            )
    problems += _cycles_within(batch, prefix)
    if problems:
        raise InvalidInput(problems)
    now = clock.now()
    made = [_new_customer(actor, item, now) for item in batch]
    session.add_all(made)
    session.flush()
    ids = parents | {c.code: c.id for c in made}
    for customer, item in zip(made, batch, strict=True):
        if item.parent_code:
            customer.parent_id = ids[item.parent_code]
        session.add_all(
            Contact(
                company_id=actor.company_id,
                customer_id=customer.id,
                **contact.model_dump(),
                created_at=now,
            )
            for contact in item.contacts
        )
    session.flush()
    return made


def _new_customer(actor: Actor, data: CustomerIn, now: datetime) -> Customer:
    return Customer(
        company_id=actor.company_id,
        code=data.code,
        name=data.name,
        industry=data.industry,
        region=data.region,
        country=data.country,
        currency=data.currency,
        payment_terms=terms_code(data.payment_terms),
        salesperson=data.salesperson,
        tax_id=data.tax_id,
        status="active",
        created_at=now,
        updated_at=now,
    )


@lru_cache(maxsize=256)
def terms_code(text: str) -> str:
    """The canonical form of valid terms, cached: a customer master repeats a few thousand times."""
    return parse_terms(text, "payment_terms").code()


def _cycles_within(batch: Sequence[CustomerIn], prefix: str) -> list[Problem]:
    """New customers whose parents, followed through the batch, lead back to themselves."""
    parent_of = {item.code: item.parent_code for item in batch if item.parent_code}
    problems: list[Problem] = []
    for index, item in enumerate(batch):
        seen: set[str] = set()
        node = item.parent_code
        while node is not None and node not in seen:
            if node == item.code:
                problems.append(
                    Problem(
                        f"{prefix.format(index)}parent_code", item.parent_code, "invalid", _CYCLE
                    )
                )
                break
            seen.add(node)
            node = parent_of.get(node)
    return problems


_CYCLE = {
    "reason": "a customer cannot be its own parent or ancestor",
    "reason_zh": "客户不能成为自己的上级或上级的上级",
}


def update(
    session: Session, actor: Actor, customer_id: int, data: CustomerUpdate, clock: Clock
) -> Customer:
    customer = get(session, actor, customer_id)
    changes = data.model_dump(exclude_unset=True)
    problems = _check_fields(changes.get("currency"), changes.get("payment_terms"))
    if "parent_code" in changes:
        parent = _parent(session, actor, changes.pop("parent_code"), problems)
        _check_cycle(session, actor, customer, parent, problems)
        customer.parent_id = None if parent is None else parent.id
    if problems:
        raise InvalidInput(problems)
    if "payment_terms" in changes:
        changes["payment_terms"] = parse_terms(changes["payment_terms"], "payment_terms").code()
    for name, value in changes.items():
        if value is None and name in {"name", "country", "currency", "payment_terms", "status"}:
            raise invalid(name, value, "required")
        setattr(customer, name, value)
    customer.updated_at = clock.now()
    session.flush()
    return customer


def _check_fields(currency: str | None, terms: str | None) -> list[Problem]:
    problems: list[Problem] = []
    for check in (
        lambda: currency is None or check_currency(currency),
        lambda: terms is None or parse_terms(terms, "payment_terms"),
    ):
        try:
            check()
        except InvalidInput as error:
            problems.extend(error.problems)
    return problems


def _parent(
    session: Session, actor: Actor, code: str | None, problems: list[Problem]
) -> Customer | None:
    if code is None:
        return None
    parent = repo.get_by_code(session, actor.company_id, code)
    if parent is None:
        problems.append(Problem("parent_code", code, "not_found", {"kind": "customer"}))
    return parent


def _check_cycle(
    session: Session,
    actor: Actor,
    customer: Customer,
    parent: Customer | None,
    problems: list[Problem],
) -> None:
    seen: set[int] = set()
    node = parent
    while node is not None and node.id not in seen:
        if node.id == customer.id:
            problems.append(
                Problem(
                    "parent_code",
                    parent.code if parent else None,
                    "invalid",
                    _CYCLE,
                )
            )
            return
        seen.add(node.id)
        node = (
            None if node.parent_id is None else repo.get(session, actor.company_id, node.parent_id)
        )


def list_page(
    session: Session, actor: Actor, filters: CustomerFilter, page: PageRequest
) -> tuple[list[Customer], int]:
    return repo.list_page(session, actor.company_id, filters, page)


def add_contact(
    session: Session, actor: Actor, customer: Customer, data: ContactIn, clock: Clock
) -> Contact:
    contact = Contact(
        company_id=actor.company_id,
        customer_id=customer.id,
        **data.model_dump(),
        created_at=clock.now(),
    )
    session.add(contact)
    session.flush()
    return contact


def contacts(session: Session, actor: Actor, customer_id: int) -> list[Contact]:
    customer = get(session, actor, customer_id)
    return list(repo.contacts(session, actor.company_id, customer.id))


def parent_codes(session: Session, actor: Actor, customers: list[Customer]) -> dict[int, str]:
    return repo.codes_of(session, actor.company_id, [c.parent_id for c in customers if c.parent_id])


def ids_by_code(session: Session, actor: Actor, codes: list[str]) -> dict[str, int]:
    """Customer ids by code, for many rows at once (imports)."""
    found = repo.posting_defaults(session, actor.company_id, codes)
    return {code: item.id for code, item in found.items()}
