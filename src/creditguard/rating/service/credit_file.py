"""The credit file: basic qualification, financial statements with ratios, documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError
from sqlalchemy.orm import Session

from creditguard.clock import Clock
from creditguard.core import rating as scorecard
from creditguard.core.errors import Conflict, InvalidInput, Problem, invalid
from creditguard.core.money import Money, check_currency
from creditguard.core.permissions import Actor
from creditguard.core.ratios import compute_ratios
from creditguard.customers import service as customers
from creditguard.models import CreditDocument, CreditProfile, FinancialStatement
from creditguard.rating import codec
from creditguard.rating import repository as repo
from creditguard.rating.schemas import (
    STATEMENT_AMOUNTS,
    CreditFileOut,
    DocumentIn,
    DocumentOut,
    QualificationIn,
    QualificationOut,
    StatementIn,
    StatementOut,
)
from creditguard.rating.service.common import profile_of, today
from creditguard.rating.service.decisions import rating_out

# --- qualification ---


def qualification_out(row: CreditProfile | None, as_of: date) -> QualificationOut:
    if row is None:
        return QualificationOut.model_validate(dict.fromkeys(QualificationOut.model_fields))
    capital = row.registered_capital_minor
    founded = row.founded_on
    return QualificationOut(
        licence_status=row.licence_status,
        registered_capital=None
        if capital is None or row.registered_capital_currency is None
        else Money(capital, row.registered_capital_currency).decimal_string(),
        registered_capital_currency=row.registered_capital_currency,
        founded_on=founded,
        years_in_business=None
        if founded is None or founded > as_of
        else scorecard.years_in_business(founded, as_of),
        legal_form=row.legal_form,
        negative_records=row.negative_records,
        negative_notes=row.negative_notes,
        next_review_on=row.next_review_on,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _capital(data: QualificationIn) -> int | None:
    if data.registered_capital is None:
        return None
    if data.registered_capital_currency is None:
        raise invalid("registered_capital_currency", None, "required")
    currency = check_currency(data.registered_capital_currency, "registered_capital_currency")
    money = Money.parse(data.registered_capital, currency, "registered_capital")
    if money.minor < 0:
        raise invalid("registered_capital", data.registered_capital, "negative")
    return money.minor


def put_qualification(
    session: Session, actor: Actor, customer_id: int, data: QualificationIn, clock: Clock
) -> QualificationOut:
    """Replace the customer's basic qualification (every field, as PUT does)."""
    customer = customers.get(session, actor, customer_id)
    capital = _capital(data)
    row = profile_of(session, actor, customer.id, clock)
    row.licence_status = data.licence_status
    row.registered_capital_minor = capital
    row.registered_capital_currency = None if capital is None else data.registered_capital_currency
    row.founded_on = data.founded_on
    row.legal_form = data.legal_form
    row.negative_records = data.negative_records
    row.negative_notes = data.negative_notes
    row.updated_at = clock.now()
    row.updated_by = actor.principal
    session.flush()
    return qualification_out(row, today(session, actor, clock))


# --- financial statements ---

# Balance-sheet stocks cannot be negative; profit, cash flow (and, rarely, revenue) can.
_NEVER_NEGATIVE = frozenset(
    {
        "total_assets",
        "total_liabilities",
        "current_assets",
        "current_liabilities",
        "inventory",
        "cash",
    }
)


def _amounts(data: StatementIn) -> dict[str, int | None]:
    currency = check_currency(data.currency)
    problems: list[Problem] = []
    found: dict[str, int | None] = {}
    for name in STATEMENT_AMOUNTS:
        text = getattr(data, name)
        try:
            found[name] = None if text is None else Money.parse(text, currency, name).minor
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        if name in _NEVER_NEGATIVE and (found[name] or 0) < 0:
            problems.append(Problem(name, text, "negative"))
    if problems:
        raise InvalidInput(problems)
    return found


def statement_outs(rows: Sequence[FinancialStatement]) -> list[StatementOut]:
    """Statements (oldest first in) with their ratios, each against the period before; newest
    first out."""
    made: list[StatementOut] = []
    previous = None
    for row in rows:
        current = codec.statement_of(row)
        ratios = compute_ratios(current, previous)
        made.append(
            StatementOut(
                id=row.id,
                period_end=row.period_end,
                currency=row.currency,
                amounts={
                    name: None
                    if (minor := getattr(row, f"{name}_minor")) is None
                    else Money(minor, row.currency).decimal_string()
                    for name in STATEMENT_AMOUNTS
                },
                ratios={k: codec.ratio_out(v) for k, v in ratios.as_dict().items()},
                created_at=row.created_at,
                created_by=row.created_by,
            )
        )
        previous = current
    return made[::-1]


def add_statement(
    session: Session, actor: Actor, customer_id: int, data: StatementIn, clock: Clock
) -> StatementOut:
    """Record one period's statement; a period already recorded is a conflict."""
    customer = customers.get(session, actor, customer_id)
    amounts = _amounts(data)
    if repo.statement_on(session, actor.company_id, customer.id, data.period_end) is not None:
        raise Conflict(
            [Problem("period_end", data.period_end.isoformat(), "duplicate", {"kind": "statement"})]
        )
    row = FinancialStatement(
        company_id=actor.company_id,
        customer_id=customer.id,
        period_end=data.period_end,
        currency=data.currency,
        created_at=clock.now(),
        created_by=actor.principal,
        **{f"{name}_minor": value for name, value in amounts.items()},
    )
    session.add(row)
    session.flush()
    rows = repo.statements(session, actor.company_id, customer.id, until=data.period_end)
    return statement_outs(rows)[0]


def list_statements(session: Session, actor: Actor, customer_id: int) -> list[StatementOut]:
    customer = customers.get(session, actor, customer_id)
    return statement_outs(repo.statements(session, actor.company_id, customer.id))


# --- documents ---


def document_out(row: CreditDocument) -> DocumentOut:
    return DocumentOut.model_validate(row, from_attributes=True)


def add_document(
    session: Session, actor: Actor, customer_id: int, data: DocumentIn, clock: Clock
) -> DocumentOut:
    customer = customers.get(session, actor, customer_id)
    row = CreditDocument(
        company_id=actor.company_id,
        customer_id=customer.id,
        **data.model_dump(),
        uploaded_at=clock.now(),
        uploaded_by=actor.principal,
    )
    session.add(row)
    session.flush()
    return document_out(row)


def list_documents(session: Session, actor: Actor, customer_id: int) -> list[DocumentOut]:
    customer = customers.get(session, actor, customer_id)
    return [document_out(r) for r in repo.documents(session, actor.company_id, customer.id)]


def credit_file(
    session: Session, actor: Actor, customer_id: int, clock: Clock, as_of: date | None = None
) -> CreditFileOut:
    customer = customers.get(session, actor, customer_id)
    day = as_of or today(session, actor, clock)
    latest = repo.latest_rating(session, actor.company_id, customer.id)
    return CreditFileOut(
        customer_id=customer.id,
        qualification=qualification_out(repo.profile(session, actor.company_id, customer.id), day),
        statements=statement_outs(repo.statements(session, actor.company_id, customer.id)),
        documents=[document_out(r) for r in repo.documents(session, actor.company_id, customer.id)],
        rating=None if latest is None else rating_out(latest),
    )


# --- imports ---


def _row_statement(index: int, row: dict[str, str]) -> tuple[str, StatementIn]:
    """One CSV row as (customer code, statement); empty cells are unknown amounts."""
    at = f"rows[{index}]."
    values = {k: (v.strip() or None) for k, v in row.items() if k != "customer"}
    try:
        return (row.get("customer") or "").strip(), StatementIn.model_validate(values)
    except ValidationError as error:
        raise InvalidInput(
            Problem(
                at + ".".join(str(p) for p in e["loc"]),
                e.get("input") if isinstance(e.get("input"), str) else None,
                "invalid",
                {"reason": e["msg"], "reason_zh": e["msg"]},
            )
            for e in error.errors()
        ) from None


def import_statements(
    session: Session, actor: Actor, rows: Sequence[dict[str, str]], clock: Clock
) -> list[StatementOut]:
    """Record every row's statement, or none: each problem named ``rows[i].field``."""
    problems: list[Problem] = []
    parsed: list[tuple[int, str, StatementIn]] = []
    for index, row in enumerate(rows):
        try:
            code, data = _row_statement(index, row)
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        parsed.append((index, code, data))
    ids = customers.ids_by_code(session, actor, sorted({code for _, code, _ in parsed}))
    made: list[StatementOut] = []
    for index, code, data in parsed:
        if code not in ids:
            problems.append(Problem(f"rows[{index}].customer", code, "not_found", _CUSTOMER))
            continue
        try:  # add_statement checks everything before it writes: a refused row writes nothing
            made.append(add_statement(session, actor, ids[code], data, clock))
        except (InvalidInput, Conflict) as error:
            problems.extend(
                Problem(f"rows[{index}].{p.field}", p.value, p.code, p.params)
                for p in error.problems
            )
    if problems:
        raise InvalidInput(problems)
    return made


_CUSTOMER = {"kind": "customer"}
