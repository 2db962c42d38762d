from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.business_days import BusinessCalendar
from creditguard.core.errors import InvalidInput
from creditguard.core.money import Money
from creditguard.core.terms import (
    CashDiscount,
    Instalment,
    InstalmentRule,
    PaymentTerms,
    amount_to_settle,
    discount_amount,
    discount_deadline,
    due_date,
    instalment_schedule,
    parse_terms,
)

D = Decimal
NET_30 = PaymentTerms.net(30)
EOM_30 = PaymentTerms.end_of_month(30)
TWO_10_NET_30 = PaymentTerms(NET_30.instalments, CashDiscount(D("0.02"), 10))
PREPAY_30_70 = PaymentTerms((InstalmentRule(D("0.3"), 0), InstalmentRule(D("0.7"), 60)))

# Spring Festival 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 are working days.
CN_2025 = BusinessCalendar(
    holidays=frozenset(date(2025, 1, 28) + timedelta(days=i) for i in range(8)),
    extra_workdays=frozenset({date(2025, 1, 26), date(2025, 2, 8)}),
)


def problems(error: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in error.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("net 30", NET_30),
        ("NET30", NET_30),
        ("n30", NET_30),
        ("  Net   30  ", NET_30),
        ("net 30 days", NET_30),
        ("100% 30", NET_30),
        ("30天", NET_30),
        ("30 days", NET_30),
        ("eom 30", EOM_30),
        ("EOM+30", EOM_30),
        ("eom30", EOM_30),
        ("月结30天", EOM_30),
        ("月结 30", EOM_30),
        ("2/10 net 30", TWO_10_NET_30),
        ("2/10 n30", TWO_10_NET_30),
        ("2/10, NET 30", TWO_10_NET_30),
        (
            "\uff12\uff0f\uff11\uff10\u3000\uff4e\uff45\uff54\uff13\uff10",
            TWO_10_NET_30,
        ),  # full width
        ("30% 0, 70% 60", PREPAY_30_70),
        ("30%/0 70%/60", PREPAY_30_70),
        ("30% 0; 70% 60", PREPAY_30_70),
        ("30%0,70%60", PREPAY_30_70),
        ("30\uff05 0\uff0c70\uff05 60", PREPAY_30_70),  # full-width % and comma
        ("prepay", PaymentTerms.net(0)),
        ("CASH", PaymentTerms.net(0)),
        ("预付", PaymentTerms.net(0)),
        (
            "30% 0, 70% eom 60",
            PaymentTerms((InstalmentRule(D("0.3"), 0), InstalmentRule(D("0.7"), 60, True))),
        ),
        (
            "1.5/10 50% 30, 50% 60",
            PaymentTerms(
                (InstalmentRule(D("0.5"), 30), InstalmentRule(D("0.5"), 60)),
                CashDiscount(D("0.015"), 10),
            ),
        ),
        (
            "33.33% 30, 33.33% 60, 33.34% 90",
            PaymentTerms(
                (
                    InstalmentRule(D("0.3333"), 30),
                    InstalmentRule(D("0.3333"), 60),
                    InstalmentRule(D("0.3334"), 90),
                )
            ),
        ),
    ],
)
def test_parse_terms(text: str, expected: PaymentTerms) -> None:
    assert parse_terms(text) == expected


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        (NET_30, "net 30"),
        (EOM_30, "eom 30"),
        (TWO_10_NET_30, "2/10 net 30"),
        (PREPAY_30_70, "30% 0, 70% 60"),
        (PaymentTerms.net(0), "net 0"),
        (
            PaymentTerms((InstalmentRule(D("0.3"), 0), InstalmentRule(D("0.7"), 60, True))),
            "30% 0, 70% eom 60",
        ),
        (
            PaymentTerms(PREPAY_30_70.instalments, CashDiscount(D("0.015"), 10)),
            "1.5/10 30% 0, 70% 60",
        ),
    ],
)
def test_code_is_canonical(terms: PaymentTerms, code: str) -> None:
    assert terms.code() == code
    assert parse_terms(code) == terms


@pytest.mark.parametrize(
    "text", ["", "net", "net -5", "30", "foo", "30% 0,", "net 30 eom", "2/10", "30% 0 70%", "n三十"]
)
def test_bad_text(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_terms(text, field="payment_terms")
    assert problems(error) == [("payment_terms", "bad_terms")]
    assert error.value.problems[0].value == text


@pytest.mark.parametrize(
    ("text", "field", "code"),
    [
        ("50% 0, 60% 30", "terms", "schedule_does_not_add_up"),
        ("30% 0, 60% 30", "terms", "schedule_does_not_add_up"),
        ("0% 0, 100% 30", "terms.instalments[0].share", "not_positive"),
        ("net 3651", "terms.instalments[0].days", "out_of_range"),
        ("2/31 net 30", "terms.discount.within_days", "out_of_range"),
        ("50/10 net 30", "terms.discount.rate", "out_of_range"),
    ],
)
def test_text_that_reads_but_breaks_a_rule(text: str, field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_terms(text)
    assert problems(error) == [(field, code)]


def test_schedule_that_does_not_add_up_says_by_how_much() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_terms("50% 0, 60% 30")
    assert error.value.message("en") == "terms: the instalments add up to 110%, not to 100%"
    assert error.value.message("zh-CN") == "terms: 分期比例合计 110%\uff0c不等于 100%"


@pytest.mark.parametrize(
    ("instalments", "discount", "expected"),
    [
        ((), None, [("instalments", "required")]),
        ((InstalmentRule(D("0.9"), 30),), None, [("instalments", "schedule_does_not_add_up")]),
        ((InstalmentRule(D(1), -1),), None, [("instalments[0].days", "negative")]),
        ((InstalmentRule(D(1), 3651),), None, [("instalments[0].days", "out_of_range")]),
        ((InstalmentRule(D("1.1"), 30),), None, [("instalments[0].share", "out_of_range")]),
        (
            (InstalmentRule(D(0), -1), InstalmentRule(D(1), 30)),
            None,
            [("instalments[0].days", "negative"), ("instalments[0].share", "not_positive")],
        ),
        ((InstalmentRule(0.5, 30),), None, [("instalments[0].share", "float_refused")]),  # type: ignore[arg-type]
        (NET_30.instalments, CashDiscount(D("0.5"), 10), [("discount.rate", "out_of_range")]),
        (NET_30.instalments, CashDiscount(D("-0.01"), 10), [("discount.rate", "out_of_range")]),
        (
            NET_30.instalments,
            CashDiscount(D("0.02"), 31),
            [("discount.within_days", "out_of_range")],
        ),
        (NET_30.instalments, CashDiscount(D("0.02"), -1), [("discount.within_days", "negative")]),
        (
            NET_30.instalments,
            CashDiscount(0.02, 40),  # type: ignore[arg-type]
            [("discount.rate", "float_refused"), ("discount.within_days", "out_of_range")],
        ),
    ],
)
def test_terms_validation_reports_every_problem(
    instalments: tuple[InstalmentRule, ...],
    discount: CashDiscount | None,
    expected: list[tuple[str, str]],
) -> None:
    with pytest.raises(InvalidInput) as error:
        PaymentTerms(instalments, discount)
    assert problems(error) == expected


@pytest.mark.parametrize(
    ("instalments", "discount"),
    [
        ((InstalmentRule(D(1), 3650),), None),  # the longest term allowed
        (NET_30.instalments, CashDiscount(D("0.4999"), 30)),  # the largest discount, full window
        (NET_30.instalments, CashDiscount(D(0), 0)),
    ],
)
def test_terms_at_the_limits_are_accepted(
    instalments: tuple[InstalmentRule, ...], discount: CashDiscount | None
) -> None:
    terms = PaymentTerms(instalments, discount)
    assert parse_terms(terms.code()) == terms


def test_max_days() -> None:
    assert PREPAY_30_70.max_days == 60
    assert PaymentTerms((InstalmentRule(D("0.5"), 90), InstalmentRule(D("0.5"), 30))).max_days == 90


@pytest.mark.parametrize(
    ("terms", "issued_on", "due"),
    [
        (NET_30, date(2025, 1, 31), date(2025, 3, 2)),
        (TWO_10_NET_30, date(2025, 1, 31), date(2025, 3, 2)),
        (NET_30, date(2024, 1, 31), date(2024, 3, 1)),  # leap year
        (PaymentTerms.net(0), date(2025, 5, 5), date(2025, 5, 5)),
        (EOM_30, date(2025, 1, 15), date(2025, 3, 2)),
        (EOM_30, date(2025, 1, 31), date(2025, 3, 2)),
        (EOM_30, date(2025, 2, 1), date(2025, 3, 30)),
        (EOM_30, date(2024, 2, 10), date(2024, 3, 30)),  # 29 February
        (PaymentTerms.end_of_month(0), date(2025, 12, 15), date(2025, 12, 31)),
        (PaymentTerms.end_of_month(1), date(2025, 12, 15), date(2026, 1, 1)),
        (PREPAY_30_70, date(2025, 1, 1), date(2025, 3, 2)),
        (
            PaymentTerms((InstalmentRule(D("0.5"), 90), InstalmentRule(D("0.5"), 30))),
            date(2025, 1, 1),
            date(2025, 4, 1),
        ),
    ],
)
def test_due_date(terms: PaymentTerms, issued_on: date, due: date) -> None:
    assert due_date(terms, issued_on) == due


@pytest.mark.parametrize(
    ("issued_on", "plain", "china"),
    [
        (date(2024, 12, 29), date(2025, 1, 28), date(2025, 2, 5)),  # Spring Festival eve
        (date(2025, 1, 5), date(2025, 2, 4), date(2025, 2, 5)),  # last day of the holiday
        (date(2025, 1, 9), date(2025, 2, 8), date(2025, 2, 8)),  # make-up Saturday stands
        (date(2024, 12, 27), date(2025, 1, 26), date(2025, 1, 26)),  # make-up Sunday stands
        (date(2025, 1, 10), date(2025, 2, 9), date(2025, 2, 10)),  # ordinary Sunday
    ],
)
def test_due_dates_roll_to_a_business_day(issued_on: date, plain: date, china: date) -> None:
    assert due_date(NET_30, issued_on) == plain
    assert due_date(NET_30, issued_on, CN_2025) == china


@pytest.mark.parametrize(
    ("amount", "parts"),
    [
        (Money.parse("1000.01", "CNY"), ["300.00", "700.01"]),
        (Money.parse("1000.00", "CNY"), ["300.00", "700.00"]),
        (Money.parse("0.01", "CNY"), ["0.00", "0.01"]),
        (Money.parse("10001", "JPY"), ["3000", "7001"]),
        (Money.parse("1.001", "KWD"), ["0.300", "0.701"]),
        (Money.parse("1.005", "KWD"), ["0.302", "0.703"]),  # equal remainders: earliest first
    ],
)
def test_prepayment_schedule_amounts(amount: Money, parts: list[str]) -> None:
    schedule = instalment_schedule(PREPAY_30_70, date(2025, 1, 1), amount)
    assert [i.amount.decimal_string() for i in schedule] == parts
    assert [i.seq for i in schedule] == [1, 2]
    assert [i.due_on for i in schedule] == [date(2025, 1, 1), date(2025, 3, 2)]
    assert sum(i.amount.minor for i in schedule) == amount.minor


def test_thirds_add_up_exactly() -> None:
    terms = parse_terms("33.33% 30, 33.33% 60, 33.34% 90")
    schedule = instalment_schedule(terms, date(2025, 3, 1), Money.parse("100.01", "CNY"))
    assert schedule == (
        Instalment(1, date(2025, 3, 31), Money(3333, "CNY")),
        Instalment(2, date(2025, 4, 30), Money(3333, "CNY")),
        Instalment(3, date(2025, 5, 30), Money(3335, "CNY")),
    )


def test_schedule_rolls_each_instalment() -> None:
    terms = parse_terms("30% 0, 70% eom 30")
    schedule = instalment_schedule(terms, date(2024, 12, 28), Money(100000, "CNY"), CN_2025)
    assert [i.due_on for i in schedule] == [date(2024, 12, 30), date(2025, 2, 5)]


@pytest.mark.parametrize("minor", [0, -1])
def test_schedule_needs_a_positive_amount(minor: int) -> None:
    with pytest.raises(InvalidInput) as error:
        instalment_schedule(NET_30, date(2025, 1, 1), Money(minor, "CNY"))
    assert problems(error) == [("amount", "not_positive")]


@pytest.mark.parametrize(
    ("issued_on", "calendar", "deadline"),
    [
        (date(2025, 1, 31), None, date(2025, 2, 10)),
        (date(2025, 1, 20), None, date(2025, 1, 30)),
        (date(2025, 1, 20), CN_2025, date(2025, 2, 5)),  # ten days land in the holiday
        (date(2025, 1, 29), CN_2025, date(2025, 2, 8)),  # make-up Saturday
    ],
)
def test_discount_deadline(
    issued_on: date, calendar: BusinessCalendar | None, deadline: date
) -> None:
    assert discount_deadline(TWO_10_NET_30, issued_on, calendar) == deadline


def test_no_discount() -> None:
    assert discount_deadline(NET_30, date(2025, 1, 31)) is None
    assert discount_amount(NET_30, Money(100000, "CNY")) == Money(0, "CNY")
    assert amount_to_settle(NET_30, Money(100000, "CNY"), date(2025, 1, 1), date(2025, 1, 1)) == (
        Money(100000, "CNY")
    )


@pytest.mark.parametrize(
    ("amount", "discount"),
    [
        (Money.parse("1000.00", "CNY"), "20.00"),
        (Money.parse("0.25", "CNY"), "0.01"),  # 0.005 rounds half up, once
        (Money.parse("0.24", "CNY"), "0.00"),
        (Money.parse("1234", "JPY"), "25"),
        (Money.parse("1.234", "KWD"), "0.025"),
    ],
)
def test_discount_amount(amount: Money, discount: str) -> None:
    assert discount_amount(TWO_10_NET_30, amount).decimal_string() == discount


@pytest.mark.parametrize(
    ("paid_on", "settles"),
    [
        (date(2025, 1, 31), "980.00"),
        (date(2025, 2, 10), "980.00"),  # the tenth day still earns the discount
        (date(2025, 2, 11), "1000.00"),  # one day late: full amount
        (date(2025, 3, 2), "1000.00"),
    ],
)
def test_amount_to_settle(paid_on: date, settles: str) -> None:
    amount = Money.parse("1000.00", "CNY")
    result = amount_to_settle(TWO_10_NET_30, amount, date(2025, 1, 31), paid_on)
    assert result.decimal_string() == settles


def test_amount_to_settle_with_a_rolled_deadline() -> None:
    amount = Money.parse("1000.00", "CNY")
    issued = date(2025, 1, 20)
    assert amount_to_settle(TWO_10_NET_30, amount, issued, date(2025, 2, 5)) == amount
    assert amount_to_settle(TWO_10_NET_30, amount, issued, date(2025, 2, 5), CN_2025) == (
        Money(98000, "CNY")
    )


@st.composite
def payment_terms(draw: st.DrawFn) -> PaymentTerms:
    weights = draw(st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=4))
    whole = sum(weights)
    basis_points = [w * 10000 // whole for w in weights]
    basis_points[-1] += 10000 - sum(basis_points)
    rules = tuple(
        InstalmentRule(
            D(bp).scaleb(-4),
            draw(st.integers(min_value=0, max_value=3650)),
            end_of_month=draw(st.booleans()),
        )
        for bp in basis_points
    )
    discount = None
    if draw(st.booleans()):
        longest = max(rule.days for rule in rules)
        discount = CashDiscount(
            D(draw(st.integers(min_value=0, max_value=4999))).scaleb(-4),
            draw(st.integers(min_value=0, max_value=longest)),
        )
    return PaymentTerms(rules, discount)


@given(terms=payment_terms())
def test_code_round_trips(terms: PaymentTerms) -> None:
    assert parse_terms(terms.code()) == terms
    assert parse_terms(terms.code().upper()) == terms


@given(
    terms=payment_terms(),
    issued_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
    minor=st.integers(min_value=1, max_value=10**12),
)
def test_schedule_adds_up_and_ends_on_the_due_date(
    terms: PaymentTerms, issued_on: date, minor: int
) -> None:
    schedule = instalment_schedule(terms, issued_on, Money(minor, "CNY"))
    assert sum(i.amount.minor for i in schedule) == minor
    assert all(i.amount.minor >= 0 for i in schedule)
    assert max(i.due_on for i in schedule) == due_date(terms, issued_on)
    assert all(i.due_on >= issued_on for i in schedule)
