"""Column-wise conversion to the base currency equals the Decimal path (``service.to_base``)
cell for cell: random amounts of every size and sign, cross rates of 28 digits, rates typed
with up to 32, half-way cases at both roundings; and the check fails broken variants."""

from __future__ import annotations

import decimal
import random
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditguard.analytics import conversion
from creditguard.analytics.service import decimal_text, in_base, to_base
from creditguard.core.money import Money, currency_exponent

INT64 = 2**63 - 1
Pairs = list[tuple[str, str, Decimal]]  # currency, base, rate


def refuse(minor: int, currency: str, base: str, rate: Decimal) -> int:
    """The Decimal fallback, refused: the integer path must answer every cell by itself."""
    raise AssertionError(f"cell left to the Decimal path: {minor} {currency}->{base} at {rate}")


def rates(rng: random.Random) -> Pairs:
    """Currency pairs across exponents 0, 2, 3, 4 and rates as the reference data makes them
    (a quotient of two ECB quotations: 28 digits), typed ones (short, long, trailing zeros,
    a positive exponent) and awkward ones (a 28-digit rate just under a half)."""
    pairs = [("USD", "CNY"), ("JPY", "CNY"), ("KWD", "CNY"), ("CNY", "JPY"), ("CLF", "KWD")]
    pairs += [("EUR", "JPY"), ("JPY", "KWD"), ("USD", "CLF")]
    found: Pairs = []
    for currency, base in pairs:
        quote = Decimal(rng.randint(10_000, 9_999_999)).scaleb(-rng.randint(1, 6))
        per = Decimal(rng.randint(10_000, 9_999_999)).scaleb(-rng.randint(1, 6))
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(20, 31)))
        for rate in (
            quote / per,  # a cross rate: 28 significant digits
            per / quote,
            Decimal(f"{rng.randint(0, 99)}.{digits}"),  # typed with up to 33 digits in all
            Decimal("0.5"),
            Decimal("7.10000"),
            Decimal("1E+2"),
            Decimal("0.0000123"),
            Decimal("0.4999999999999999999999999999"),
        ):
            if len(rate.as_tuple().digits) <= 32:
                found.append((currency, base, rate))
    return found


def amounts(rng: random.Random, count: int) -> list[int]:
    """Minor units of every length from 1 to 19 digits, either sign, zero, and small ones."""
    chosen = [0, 1, -1, 2, -2, 3, -3, 5, -5, 15, -15, 25, -25]
    while len(chosen) < count:
        size = 10 ** rng.randint(0, 18)
        chosen.append(rng.randint(-size, size))
    return chosen


Cell = tuple[str, str, Decimal, int]  # currency, base, rate, minor units


def cells(pairs: Pairs, minors: list[int]) -> list[Cell]:
    """Every amount at every pair's rate, each with what ``to_base`` makes of it (cells whose
    result would not fit Int64 dropped: no report holds them)."""
    chosen = []
    for currency, base, rate in pairs:
        for minor in minors:
            if abs(to_base(minor, currency, base, rate)) <= INT64:
                chosen.append((currency, base, rate, minor))
    return chosen


def vectorised(rows: list[Cell]) -> list[int]:
    """The column-wise conversion, one frame per (base, rate), in the rows' order."""
    found: list[int] = [0] * len(rows)
    groups: dict[tuple[str, Decimal], list[int]] = {}
    for n, (_, base, rate, _) in enumerate(rows):
        groups.setdefault((base, rate), []).append(n)
    for (base, rate), picked in groups.items():
        frame = pl.DataFrame(
            {
                "n": picked,
                "currency": [rows[n][0] for n in picked],
                "open_minor": [rows[n][3] for n in picked],
            }
        )
        currencies = {rows[n][0] for n in picked}
        converted = conversion.in_base(
            frame, "open_minor", base, dict.fromkeys(currencies, rate), refuse, few=0
        )
        for n, value in converted.select("n", "base_minor").iter_rows():
            found[n] = value
    return found


def as_float(rows: list[Cell]) -> list[int]:
    """Broken: the product in binary floating point."""
    return [
        round(m * float(r) * 10.0 ** (currency_exponent(b) - currency_exponent(c)))
        for c, b, r, m in rows
    ]


def half_even(rows: list[Cell]) -> list[int]:
    """Broken: the last rounding half even (banker's) instead of half up."""
    return [
        int(
            (Money(m, c).amount * r)
            .scaleb(currency_exponent(b))
            .quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        )
        for c, b, r, m in rows
    ]


def exact_once(rows: list[Cell]) -> list[int]:
    """Broken: the exact rational product rounded once, half up, without the context's 28
    digits the Decimal path rounds the product to first."""
    found = []
    for c, b, r, m in rows:
        value = (
            Fraction(m)
            * Fraction(r)
            * Fraction(10) ** (currency_exponent(b) - currency_exponent(c))
        )
        whole, rest = divmod(abs(value), 1)
        found.append(int(whole + (rest >= Fraction(1, 2))) * (1 if value >= 0 else -1))
    return found


SAMPLE = cells(rates(random.Random(20261120)), amounts(random.Random(4), 400))
EXPECTED = [to_base(m, c, b, r) for c, b, r, m in SAMPLE]


def test_the_sample_holds_the_hard_cases() -> None:
    """Ties at the last rounding, ties made by the context's rounding, negative amounts."""
    assert len(SAMPLE) > 20_000
    assert sum(1 for *_, m in SAMPLE if m < 0) > 5_000
    assert as_float(SAMPLE) != EXPECTED
    assert half_even(SAMPLE) != EXPECTED
    assert exact_once(SAMPLE) != EXPECTED


@pytest.mark.parametrize(
    ("name", "convert", "equal"),
    [
        ("column-wise", vectorised, True),
        ("broken: float", as_float, False),
        ("broken: half even", half_even, False),
        ("broken: exact product rounded once", exact_once, False),
    ],
)
def test_column_wise_conversion_is_the_decimal_path_cell_for_cell(
    name: str, convert: Callable[[list[Cell]], list[int]], equal: bool
) -> None:
    found = convert(SAMPLE)
    wrong = [(row, f, e) for row, f, e in zip(SAMPLE, found, EXPECTED, strict=True) if f != e]
    assert (not wrong) is equal, (name, wrong[:5])


@pytest.mark.parametrize(
    ("minor", "rate", "expected"),
    [
        (1, "0.5", 1),  # 0.005 CNY: a tie, half up (half even would give 0)
        (-1, "0.5", -1),  # a credit balance: the tie goes away from zero too
        (3, "0.5", 2),
        (2, "0.5", 1),
        # 0.03 x 0.4999999999999999999999999999 = 0.014999...97 exactly (29 digits): Decimal
        # keeps 28 digits, 0.01500000..., and half up makes it 0.02. Exact once: 0.01.
        (3, "0.4999999999999999999999999999", 2),
        (-3, "0.4999999999999999999999999999", -2),
        (0, "7.0991234567890123456789012345", 0),
    ],
)
def test_ties_at_both_roundings(minor: int, rate: str, expected: int) -> None:
    frame = pl.DataFrame({"currency": ["USD"], "open_minor": [minor]})
    found = conversion.in_base(frame, "open_minor", "CNY", {"USD": Decimal(rate)}, refuse, few=0)
    assert found["base_minor"].to_list() == [expected]
    alone = in_base(frame, "open_minor", "CNY", {"USD": Decimal(rate)})  # one cell: Decimal
    assert alone["base_minor"].to_list() == [expected]
    assert to_base(minor, "USD", "CNY", Decimal(rate)) == expected


def decimal_path(minor: int, currency: str, base: str, rate: Decimal) -> int | None:
    """``to_base``, or None where it has no answer a report could hold: a result of more
    digits than the Decimal context keeps (it raises), or beyond Int64."""
    try:
        found = to_base(minor, currency, base, rate)
    except decimal.InvalidOperation:
        return None
    return found if abs(found) <= INT64 else None


@settings(max_examples=200, deadline=None)
@given(
    minors=st.lists(st.integers(min_value=-(10**17), max_value=10**17), min_size=1, max_size=20),
    coefficient=st.integers(min_value=1, max_value=10**28 - 1),
    exponent=st.integers(min_value=-32, max_value=-18),  # rates below 10**10
    pair=st.sampled_from([("USD", "CNY"), ("JPY", "CNY"), ("KWD", "JPY"), ("CNY", "CLF")]),
)
def test_any_rate_and_amounts(
    minors: list[int], coefficient: int, exponent: int, pair: tuple[str, str]
) -> None:
    currency, base = pair
    rate = Decimal(coefficient).scaleb(exponent)
    expected = [decimal_path(m, currency, base, rate) for m in minors]
    kept = [(m, e) for m, e in zip(minors, expected, strict=True) if e is not None]
    frame = pl.DataFrame(
        {"currency": [currency] * len(kept), "open_minor": [m for m, _ in kept]},
        schema={"currency": pl.String, "open_minor": pl.Int64},
    )
    found = conversion.in_base(frame, "open_minor", base, {currency: rate}, refuse, few=0)
    assert found["base_minor"].to_list() == [e for _, e in kept]


def test_cells_in_the_base_currency_stay_and_the_rest_keep_their_columns() -> None:
    frame = pl.DataFrame(
        {"key": ["a", "b", "c"], "currency": ["CNY", "USD", "CNY"], "open_minor": [5, 100, -7]}
    )
    found = in_base(frame, "open_minor", "CNY", {"USD": Decimal("7.1"), "CNY": Decimal(1)})
    assert found.sort("key").rows() == [
        ("a", "CNY", 5, 5),
        ("b", "USD", 100, 710),
        ("c", "CNY", -7, -7),
    ]


def test_what_the_integers_cannot_bound_takes_the_decimal_path() -> None:
    """A rate typed with 33 digits, a Decimal context of more digits than the integer path
    handles, and a handful of cells (one customer's): each such cell is the Decimal path's."""
    long_rate = Decimal("7.12345678901234567890123456789012")  # 33 digits
    frame = pl.DataFrame({"currency": ["USD", "EUR"], "open_minor": [123_456_789, -5]})
    asked: list[tuple[int, str]] = []

    def one(minor: int, currency: str, base: str, rate: Decimal) -> int:
        asked.append((minor, currency))
        return to_base(minor, currency, base, rate)

    rates = {"USD": long_rate, "EUR": Decimal("7.8")}
    found = conversion.in_base(frame, "open_minor", "CNY", rates, one, few=0)
    assert asked == [(123_456_789, "USD")]
    assert found.sort("currency").rows() == [
        ("EUR", -5, -39),
        ("USD", 123_456_789, to_base(123_456_789, "USD", "CNY", long_rate)),
    ]
    asked.clear()
    with decimal.localcontext(prec=40):
        wide = conversion.in_base(frame, "open_minor", "CNY", rates, one, few=0)
        assert sorted(asked) == [(-5, "EUR"), (123_456_789, "USD")]
        assert wide.sort("currency")["base_minor"].to_list() == [
            -39,
            to_base(123_456_789, "USD", "CNY", long_rate),
        ]
    asked.clear()
    few = conversion.in_base(frame, "open_minor", "CNY", rates, one)  # two cells: below FEW
    assert sorted(asked) == [(-5, "EUR"), (123_456_789, "USD")]
    assert few.sort("currency").equals(found.sort("currency"))


@pytest.mark.parametrize("currency", ["JPY", "CNY", "KWD", "CLF"])
def test_decimal_text_writes_what_money_writes(currency: str) -> None:
    rng = random.Random(9)
    minors = [0, 1, -1, 9, -10, 100, -99_999, 10**15, -(10**15), INT64, -INT64]
    minors += [
        rng.randint(-(10 ** rng.randint(0, 18)), 10 ** rng.randint(0, 18)) for _ in range(500)
    ]
    places = currency_exponent(currency)
    shown = pl.DataFrame({"m": minors}).select(decimal_text(pl.col("m"), places).alias("m"))["m"]
    assert shown.to_list() == [Money(m, currency).decimal_string() for m in minors]
