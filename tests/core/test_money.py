from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditguard.core.errors import InvalidInput
from creditguard.core.money import Money, currency_exponent, round_minor, to_decimal, total


def codes(error: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in error.value.problems]


@pytest.mark.parametrize(
    ("text", "currency", "minor", "shown"),
    [
        ("123.45", "CNY", 12345, "123.45"),
        ("0.01", "CNY", 1, "0.01"),
        ("  7 ", "CNY", 700, "7.00"),
        ("-5.5", "USD", -550, "-5.50"),
        ("1000", "JPY", 1000, "1000"),
        ("1.234", "KWD", 1234, "1.234"),
        ("0.001", "KWD", 1, "0.001"),
        ("1e2", "CNY", 10000, "100.00"),
        (42, "EUR", 4200, "42.00"),
        (Decimal("9.90"), "CNY", 990, "9.90"),
    ],
)
def test_parse_reads_exact_amounts(text: object, currency: str, minor: int, shown: str) -> None:
    money = Money.parse(text, currency)
    assert money == Money(minor, currency)
    assert money.decimal_string() == shown
    assert str(money) == f"{shown} {currency}"


@pytest.mark.parametrize(
    ("currency", "exponent"), [("JPY", 0), ("CNY", 2), ("USD", 2), ("KWD", 3), ("CLF", 4)]
)
def test_currency_exponents(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan")])
def test_float_is_refused(value: float) -> None:
    with pytest.raises(InvalidInput) as error:
        Money.parse(value, "CNY")
    assert codes(error) == [("amount", "float_refused")]


def test_float_minor_units_are_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        Money(1.0, "CNY")  # type: ignore[arg-type]
    assert codes(error) == [("amount", "float_refused")]


def test_float_factor_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        Money(100, "CNY").times(0.5)  # type: ignore[arg-type]
    assert codes(error) == [("factor", "float_refused")]


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.005", "CNY"), ("0.1", "JPY"), ("1.0001", "KWD"), ("0.001", "USD")],
)
def test_too_many_decimals_are_refused(text: str, currency: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Money.parse(text, currency, field="total")
    assert codes(error) == [("total", "too_many_decimals")]
    assert error.value.problems[0].params["currency"] == currency


@pytest.mark.parametrize("text", ["abc", "", "1,000.00", "Infinity", "NaN", True])
def test_junk_is_not_a_number(text: object) -> None:
    with pytest.raises(InvalidInput) as error:
        to_decimal(text)
    assert codes(error) == [("amount", "not_a_number")]


@pytest.mark.parametrize("currency", ["XXX", "cny", "", "RMB"])
def test_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Money(100, currency)
    assert codes(error) == [("currency", "unknown_currency")]


def test_currencies_never_mix() -> None:
    cny, usd = Money(100, "CNY"), Money(100, "USD")
    for combine in (
        lambda: cny + usd,
        lambda: cny - usd,
        lambda: cny < usd,
        lambda: cny >= usd,
        lambda: total([cny, usd], "CNY"),
    ):
        with pytest.raises(InvalidInput) as error:
            combine()
        assert codes(error) == [("currency", "currency_mismatch")]
    assert cny != usd


def test_arithmetic_and_comparison() -> None:
    a, b = Money.parse("10.50", "CNY"), Money.parse("0.75", "CNY")
    assert a + b == Money(1125, "CNY")
    assert a - b == Money(975, "CNY")
    assert -b == Money(-75, "CNY")
    assert abs(-b) == b
    assert b < a
    assert a >= Money(1050, "CNY")
    assert Money.zero("CNY").is_zero()
    assert total([], "JPY") == Money(0, "JPY")
    assert total([a, b, b], "CNY") == Money(1200, "CNY")


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        (Decimal("0.005"), "CNY", 1),
        (Decimal("0.00499"), "CNY", 0),
        (Decimal("-0.005"), "CNY", -1),
        (Decimal("2.5"), "JPY", 3),
        (Decimal("0.0005"), "KWD", 1),
    ],
)
def test_from_decimal_rounds_half_up(value: Decimal, currency: str, minor: int) -> None:
    assert Money.from_decimal(value, currency) == Money(minor, currency)


def test_round_minor_is_half_up() -> None:
    assert [round_minor(Decimal(x)) for x in ("0.5", "1.5", "2.4999", "-0.5")] == [1, 2, 2, -1]


def test_times_rounds_once() -> None:
    assert Money.parse("0.25", "CNY").times(Decimal("0.02")) == Money(1, "CNY")
    assert Money.parse("10000.00", "CNY").times(Decimal("0.005")) == Money(5000, "CNY")


@pytest.mark.parametrize(
    ("minor", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (100001, [Decimal("0.3"), Decimal("0.7")], [30000, 70001]),
        (5, [0, 1], [0, 5]),
        (1, [1, 1], [1, 0]),
        (0, [1, 2], [0, 0]),
    ],
)
def test_split_table(minor: int, weights: list[Decimal | int], parts: list[int]) -> None:
    assert Money(minor, "CNY").split(weights) == tuple(Money(p, "CNY") for p in parts)


@pytest.mark.parametrize(
    ("weights", "code"), [([], "negative"), ([1, -1], "negative"), ([0, 0], "not_positive")]
)
def test_split_refuses_bad_weights(weights: list[Decimal | int], code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Money(100, "CNY").split(weights)
    assert codes(error) == [("weights", code)]


weights_strategy = st.lists(
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=8,
).filter(lambda ws: sum(ws) > 0)


@given(minor=st.integers(min_value=-(10**12), max_value=10**12), weights=weights_strategy)
def test_split_sums_exactly_and_stays_fair(minor: int, weights: list[Decimal]) -> None:
    parts = Money(minor, "CNY").split(weights)
    assert len(parts) == len(weights)
    assert sum(p.minor for p in parts) == minor
    whole = sum(weights, Decimal(0))
    for part, weight in zip(parts, weights, strict=True):
        assert abs(Decimal(part.minor) - Decimal(minor) * weight / whole) < 1


@given(minor=st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_reads_back_its_own_string(minor: int) -> None:
    for currency in ("JPY", "CNY", "KWD"):
        money = Money(minor, currency)
        assert Money.parse(money.decimal_string(), currency) == money
