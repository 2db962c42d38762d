"""The credit file, ratings from the ledger, policy versions and the review schedule, on a real
database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditguard.core.errors import Conflict, Forbidden, InvalidInput
from creditguard.core.money import Money
from creditguard.core.permissions import Actor
from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerUpdate
from creditguard.db import Database
from creditguard.rating import service
from creditguard.rating.schemas import OverrideIn, PolicyIn, QualificationIn, StatementIn
from creditguard.rating.service import decisions as rating_runs
from creditguard.reference import service as reference
from tests import builders as b

TODAY = date(2026, 11, 22)  # builders' clock: 2026-11-22 09:30 in Shanghai
BEST = QualificationIn(
    licence_status="valid",
    registered_capital="60000000.00",
    registered_capital_currency="CNY",
    founded_on=date(2012, 5, 18),
    legal_form="state_owned",
    negative_records=0,
)
WORST = QualificationIn(licence_status="revoked", negative_records=5)
STATEMENT = StatementIn(
    period_end=date(2025, 12, 31),
    currency="CNY",
    revenue="120000000.00",
    cost_of_sales="90000000.00",
    net_profit="6000000.00",
    total_assets="80000000.00",
    total_liabilities="44000000.00",
    current_assets="50000000.00",
    current_liabilities="30000000.00",
    inventory="15000000.00",
    cash="6000000.00",
    operating_cash_flow="7200000.00",
)


def _qualify(db: Database, actor: Actor, customer_id: int, data: QualificationIn) -> None:
    with db.write() as session:
        service.put_qualification(session, actor, customer_id, data, b.clock())


def _rate(db: Database, actor: Actor, customer_id: int, as_of: date = TODAY) -> tuple[str, str]:
    with db.write() as session:
        rated = service.rate_customer(session, actor, customer_id, b.clock(), as_of=as_of)
        return rated.score, rated.grade


def test_qualification_round_trip_with_years_in_business(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    with db.write() as session:
        shown = service.put_qualification(session, actor, customer, BEST, b.clock())
    assert shown.model_dump(mode="json") == {
        "licence_status": "valid",
        "registered_capital": "60000000.00",
        "registered_capital_currency": "CNY",
        "founded_on": "2012-05-18",
        "years_in_business": 14,
        "legal_form": "state_owned",
        "negative_records": 0,
        "negative_notes": None,
        "next_review_on": None,
        "updated_at": "2026-11-22T01:30:00Z",
        "updated_by": "user:test",
    }
    with db.read() as session:
        file = service.credit_file(session, actor, customer, b.clock(), date(2012, 5, 17))
    assert file.qualification.years_in_business is None  # not yet founded on that day


def test_registered_capital_needs_its_currency_and_exact_decimals(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    no_currency = BEST.model_copy(update={"registered_capital_currency": None})
    with pytest.raises(InvalidInput) as missing, db.write() as session:
        service.put_qualification(session, actor, customer, no_currency, b.clock())
    assert [(p.field, p.code) for p in missing.value.problems] == [
        ("registered_capital_currency", "required")
    ]
    too_precise = BEST.model_copy(update={"registered_capital": "10.001"})
    with pytest.raises(InvalidInput) as precise, db.write() as session:
        service.put_qualification(session, actor, customer, too_precise, b.clock())
    assert [(p.field, p.code) for p in precise.value.problems] == [
        ("registered_capital", "too_many_decimals")
    ]


def test_statements_with_ratios_and_every_bad_amount_named(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    earlier = StatementIn(period_end=date(2024, 12, 31), currency="CNY", revenue="100000000.00")
    with db.write() as session:
        service.add_statement(session, actor, customer, earlier, b.clock())
        made = service.add_statement(session, actor, customer, STATEMENT, b.clock())
    assert {k: (v.value, v.reason) for k, v in made.ratios.items()} == {
        "debt_ratio": ("55.00", None),
        "current_ratio": ("1.6667", None),
        "quick_ratio": ("1.1667", None),
        "cash_ratio": ("0.2000", None),
        "gross_margin": ("25.00", None),
        "net_margin": ("5.00", None),
        "operating_cash_flow_margin": ("6.00", None),
        "revenue_trend": ("20.00", None),
    }
    with db.read() as session:
        listed = service.list_statements(session, actor, customer)
    assert [s.period_end for s in listed] == [date(2025, 12, 31), date(2024, 12, 31)]
    assert (listed[1].ratios["debt_ratio"].reason, listed[1].ratios["revenue_trend"].reason) == (
        "missing_input",
        "no_previous_period",
    )
    with pytest.raises(Conflict) as twice, db.write() as session:
        service.add_statement(session, actor, customer, STATEMENT, b.clock())
    assert twice.value.problems[0].field == "period_end"
    bad = STATEMENT.model_copy(
        update={
            "period_end": date(2026, 6, 30),
            "cash": "1.001",
            "inventory": "0.123",
            "total_assets": "-5.00",
            "net_profit": "-5.00",
        }
    )
    with pytest.raises(InvalidInput) as wrong, db.write() as session:
        service.add_statement(session, actor, customer, bad, b.clock())
    assert [(p.field, p.code) for p in wrong.value.problems] == [
        ("total_assets", "negative"),
        ("inventory", "too_many_decimals"),
        ("cash", "too_many_decimals"),
    ]  # a loss (negative net profit) is a fact, not an error
    with db.read() as session:
        assert len(service.list_statements(session, actor, customer)) == 2  # nothing half-written


def test_rating_reads_payment_behaviour_from_the_ledger(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    b.invoice(db, actor, ref="I1", amount="1000.00", issued_on=date(2026, 8, 1))  # due 08-31
    b.invoice(db, actor, ref="I2", amount="3000.00", issued_on=date(2026, 9, 1))  # due 10-01
    b.payment(
        db, actor, ref="P1", amount="1000.00", received_on=date(2026, 9, 20), to={"I1": "1000.00"}
    )
    b.payment(
        db, actor, ref="P2", amount="3000.00", received_on=date(2026, 10, 1), to={"I2": "3000.00"}
    )
    with db.write() as session:
        rated = service.rate_customer(session, actor, customer, b.clock(), as_of=TODAY)
    behaviour = {f.key: (f.value, f.bin, f.points) for f in rated.factors[-3:]}
    # 1,000 paid 20 days late and 3,000 on time: 5 days late on average, 25% of the money late.
    assert behaviour == {
        "average_days_late": ("5.00", 1, "75"),
        "share_paid_late": ("25.00", 1, "70"),
        "late_trend_days": ("0.00", 1, "70"),
    }
    # 12 qualification and financial factors missing (65% of the weight) score neutral 50:
    # 32.5 + 14 x 75% + 12.25 x 70% + 8.75 x 70% = 32.5 + 10.5 + 8.575 + 6.125 = 57.70.
    assert (rated.missing_weight, rated.score, rated.grade) == ("65.00", "57.70", "C")
    assert rated.trigger == "on_demand"
    with db.write() as session:
        before = service.rate_customer(session, actor, customer, b.clock(), as_of=date(2026, 9, 1))
    assert before.missing_weight == "100.00"  # nothing was paid yet on 1 September


def test_a_policy_edit_makes_a_new_version_and_old_ratings_keep_theirs(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    assert _rate(db, actor, customer) == ("50.00", "C")
    with db.write() as session:
        first = service.get_policy(session, actor, b.clock())
        edited = PolicyIn.model_validate(
            first.model_dump(exclude={"version", "created_at", "created_by"})
            | {"cutoffs": {"A": "80", "B": "65", "C": "55"}, "note": "downturn: stricter C"}
        )
        second = service.put_policy(session, actor, edited, b.clock())
    assert (first.version, second.version, second.note) == (1, 2, "downturn: stricter C")
    assert _rate(db, actor, customer) == ("50.00", "D")
    with db.read() as session:
        history = service.ratings(session, actor, customer).history
        old = service.get_policy(session, actor, b.clock(), version=1)
    assert [(r.policy_version, r.grade) for r in history] == [(2, "D"), (1, "C")]
    assert old.cutoffs["C"] == Decimal(50)


def test_an_invalid_policy_names_every_field_and_saves_nothing(db: Database) -> None:
    actor = b.company(db)
    with db.write() as session:
        current = service.get_policy(session, actor, b.clock()).model_dump(
            exclude={"version", "created_at", "created_by"}
        )
    current["factors"][0]["name"] = {"en": "Business licence"}
    current["factors"][5]["weight"] = "30"
    with pytest.raises(InvalidInput) as error, db.write() as session:
        service.put_policy(session, actor, PolicyIn.model_validate(current), b.clock())
    assert [(p.field, p.value) for p in error.value.problems] == [
        ("factors.financial.weight", "105"),
        ("factors[0].name.zh-CN", ""),
    ]
    with db.read() as session:
        assert service.get_policy(session, actor, b.clock()).version == 1


def test_only_credit_managers_edit_the_policy_or_override(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    _rate(db, actor, customer)
    sales = Actor(actor.company_id, "user:9", "erp_client")
    with db.write() as session:
        policy = service.get_policy(session, actor, b.clock())
    body = PolicyIn.model_validate(
        policy.model_dump(exclude={"version", "created_at", "created_by"})
    )
    with pytest.raises(Forbidden), db.write() as session:
        service.put_policy(session, sales, body, b.clock())
    with pytest.raises(Forbidden), db.write() as session:
        service.override(session, sales, customer, OverrideIn(grade="A", reason="x"), b.clock())


def test_override_keeps_the_score_and_schedules_by_the_new_grade(db: Database) -> None:
    actor = b.company(db)
    customer = b.customer(db, actor)
    with pytest.raises(Conflict), db.write() as session:
        service.override(session, actor, customer, OverrideIn(grade="D", reason="r"), b.clock())
    _rate(db, actor, customer)
    reason = "法院公告：被列为失信被执行人 / court listing as a defaulter"
    with db.write() as session:
        held = service.override(
            session, actor, customer, OverrideIn(grade="D", reason=reason), b.clock()
        )
    assert (held.kind, held.score, held.scored_grade, held.grade) == ("override", "50.00", "C", "D")
    assert (held.override_reason, held.next_review_on) == (reason, date(2026, 12, 22))
    with db.read() as session:
        file = service.credit_file(session, actor, customer, b.clock())
    assert (file.rating and file.rating.grade, file.qualification.next_review_on) == (
        "D",
        date(2026, 12, 22),
    )


def test_the_schedule_next_review_by_grade_and_the_batch_rates_exactly_those_due(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rating_runs, "RUN_CHUNK", 2)  # several rounds of reads in one run
    actor = b.company(db)
    best = b.customer(db, actor, code="BEST")
    plain = b.customer(db, actor, code="PLAIN")
    worst = b.customer(db, actor, code="WORST")
    _qualify(db, actor, best, BEST)
    _qualify(db, actor, worst, WORST)
    with db.write() as session:
        first = service.run_due(session, actor, TODAY, b.clock())
    assert (first.rated, first.grades) == (3, {"A": 0, "B": 1, "C": 1, "D": 1})
    with db.read() as session:
        dues = {
            c: service.credit_file(session, actor, c, b.clock()).qualification.next_review_on
            for c in (best, plain, worst)
        }
        scores = [service.ratings(session, actor, c).latest for c in (best, plain, worst)]
    # Qualification only, financial and behaviour missing (70% neutral): 30 + 35 = 65.00 is B,
    # exactly at its cut-off; nothing known 50.00 is C; revoked with 5 records 41.75 is D.
    assert [(r and r.score, r and r.grade) for r in scores] == [
        ("65.00", "B"),
        ("50.00", "C"),
        ("41.75", "D"),
    ]
    assert dues == {best: date(2027, 5, 22), plain: date(2027, 2, 22), worst: date(2026, 12, 22)}
    newcomer = b.customer(db, actor, code="NEW")
    blocked = b.customer(db, actor, code="GONE")
    with db.write() as session:
        customers.update(session, actor, blocked, CustomerUpdate(status="blocked"), b.clock())

    def rated_on(day: date, *, everyone: bool = False) -> list[int]:
        with db.write() as session:
            before = {
                c: len(service.ratings(session, actor, c).history) for c in dues | {newcomer: 0}
            }
            service.run_due(session, actor, day, b.clock(), everyone=everyone)
            return [
                c for c, n in before.items() if len(service.ratings(session, actor, c).history) > n
            ]

    assert rated_on(date(2026, 12, 21)) == [newcomer]  # never rated: due at once
    assert rated_on(date(2026, 12, 21)) == []
    assert rated_on(date(2026, 12, 22)) == [worst]  # D: monthly, due 2026-12-22
    assert rated_on(date(2027, 2, 22)) == [plain, worst]  # C quarterly; D again (due 01-22)
    assert rated_on(date(2027, 2, 22), everyone=True) == [best, plain, worst, newcomer]
    with db.read() as session:
        assert service.ratings(session, actor, blocked).history == []


def test_registered_capital_is_weighed_in_the_base_currency(db: Database) -> None:
    actor = b.company(db)
    in_usd = b.customer(db, actor, code="USD")
    in_chf = b.customer(db, actor, code="CHF")
    _qualify(db, actor, in_usd, WORST.model_copy(update=USD_CAPITAL))
    _qualify(db, actor, in_chf, WORST.model_copy(update=USD_CAPITAL | CHF))
    with db.read() as session:
        expected = reference.convert(session, Money(200_000_000, "USD"), "CNY", TODAY).amount
    assert Decimal(10_000_000) <= expected < Decimal(50_000_000)  # 2,000,000 USD: 14-15M CNY
    with db.write() as session:
        usd = service.rate_customer(session, actor, in_usd, b.clock(), as_of=TODAY)
        chf = service.rate_customer(session, actor, in_chf, b.clock(), as_of=TODAY)
    capital = usd.factors[2]
    assert (capital.key, capital.value, capital.bin, capital.points) == (
        "registered_capital",
        str(expected),
        2,
        "80",
    )
    assert "registered_capital" not in usd.missing
    assert "registered_capital" in chf.missing  # no CHF rate: missing, and said


USD_CAPITAL = {"registered_capital": "2000000.00", "registered_capital_currency": "USD"}
CHF = {"registered_capital_currency": "CHF"}
