"""Amounts converted to the base currency column-wise, bit for bit as the Decimal path does.

The one conversion rule (``service.to_base``, ``reference.convert``) is
``Money.from_decimal(Money(minor, currency).amount * rate, base)``: the exact amount times the
rate, which Decimal rounds to the context's precision (28 significant digits, half even: a
cross rate has 28 digits, so the product of an amount and a cross rate usually has more), then
rounded once to the base currency's minor unit, half up (away from zero on a tie). Converting
the exact rational product rounded once would differ from it on a few cells; this reproduces
both roundings on integers.

The product of an amount (Int64 minor units, up to 19 digits) and a rate's coefficient (up to
32 digits) has up to 51 digits, more than Int128 holds (38): the coefficient is cut in two
halves of 14 digits below and the rest above, each half's product fits Int128, and the two
are carried into a high part and a low part of 14 digits. Every intermediate is bounded below
2**127 by that construction (see the comments). Cells it cannot bound (a rate's coefficient
longer than 32 digits, a result scaled up past 10**37) and every cell under a Decimal context
other than half even with 14 to 33 digits take the Decimal path, one by one.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final

import polars as pl

from creditguard.core.money import currency_exponent

_LOW: Final = 14  # digits of the low half of the rate's coefficient
_MAX_RATE_DIGITS: Final = 32  # the high half below 10**18: m * high < 9.3e18 * 1e18 < 2**127
_MIN_PRECISION: Final = 14  # at most 51 - 14 = 37 digits dropped: the remainder fits
_MAX_PRECISION: Final = 33  # the rounded coefficient below 10**33
_POWERS: Final = pl.Series([10**i for i in range(38)], dtype=pl.Int128)
_I128: Final = pl.Int128
FEW: Final = 256  # below this many cells, the Decimal path is the quicker one

Scalar = Callable[[int, str, str, Decimal], int]  # one cell the Decimal way


def _pow10(exponent: pl.Expr) -> pl.Expr:
    """10 ** ``exponent`` per row (0 <= exponent <= 37), as Int128."""
    return exponent.replace_strict(list(range(38)), _POWERS, return_dtype=_I128)


def _digits(value: pl.Expr) -> pl.Expr:
    """How many decimal digits a non-negative Int128 has (0 has one, as Decimal's 0)."""
    return value.cast(pl.String).str.len_chars().cast(pl.Int32)


def _rate_table(rates: Mapping[str, Decimal], base: str) -> pl.DataFrame:
    """Per currency other than ``base``: the rate's coefficient in two halves, its sign, and
    the decimal exponent of the product scaled to ``base`` minor units. A coefficient too long
    for the halves is left out (its cells take the Decimal path)."""
    rows: list[tuple[str, int, int, int, int]] = []
    for currency, rate in rates.items():
        sign, digits, exponent = rate.as_tuple()
        if currency == base or len(digits) > _MAX_RATE_DIGITS or not isinstance(exponent, int):
            continue
        high, low = divmod(int("".join(map(str, digits))), 10**_LOW)
        # minor * 10**-e_c * coefficient * 10**exponent, then scaleb(e_b): in base minor units
        shift = exponent - currency_exponent(currency) + currency_exponent(base)
        rows.append((currency, high, low, -1 if sign else 1, shift))
    schema = {"currency": pl.String, "_high": _I128, "_low": _I128, "_sign": _I128}
    return pl.DataFrame(rows, schema=schema | {"_shift": pl.Int32}, orient="row")


def _product(precision: int) -> list[list[pl.Expr]]:
    """Steps to ``_hi``, ``_lo``: |amount| * coefficient as hi * 10**14 + lo; ``_cut``: the
    digits Decimal's context drops from it; ``_scale``: the decimal exponent of what is left."""
    m = pl.col("_m").abs()
    b = m * pl.col("_low")  # < 9.3e18 * 1e14
    ten14 = pl.lit(10**_LOW, _I128)
    hi, lo = pl.col("_hi"), pl.col("_lo")
    digits = pl.when(hi > 0).then(_digits(hi) + _LOW).otherwise(_digits(lo))
    cut = pl.max_horizontal(digits - precision, pl.lit(0, pl.Int32))  # <= 51 - 14 = 37
    return [
        [(m * pl.col("_high") + b // ten14).alias("_hi"), (b % ten14).alias("_lo")],  # < 1e37
        [cut.alias("_cut")],
        [(pl.col("_cut") + pl.col("_shift")).alias("_scale")],
    ]


def _converted() -> list[list[pl.Expr]]:
    """Steps (each a ``with_columns``) from a row of :func:`_product` to ``_base``, the
    converted amount: the coefficient rounded to the context's digits half even, scaled,
    rounded to an integer half up."""
    hi, lo, cut, scale = pl.col("_hi"), pl.col("_lo"), pl.col("_cut"), pl.col("_scale")
    low_cut = pl.min_horizontal(cut, pl.lit(_LOW, pl.Int32))
    high_cut = cut - low_cut  # > 0 only when the whole low part goes
    # quotient < 10**precision; remainder < 10**cut <= 10**37
    quotient = (hi // _pow10(high_cut)) * _pow10(_LOW - low_cut) + lo // _pow10(low_cut)
    remainder = (hi % _pow10(high_cut)) * _pow10(low_cut) + lo % _pow10(low_cut)
    q, twice, unit = pl.col("_q"), pl.col("_r") * 2, _pow10(cut)
    tie = (twice == unit) & (cut > 0) & (q % 2 == 1)  # half even
    rounded, down = pl.col("_rounded"), pl.col("_down")
    up = (rounded % _pow10(down)) * 2 >= _pow10(down)  # half up: a tie goes away from zero
    shifted = rounded // _pow10(down) + up.cast(_I128)
    magnitude = pl.when(scale >= 0).then(rounded * _pow10(scale.clip(0, 37))).otherwise(shifted)
    return [
        [quotient.alias("_q"), remainder.alias("_r")],
        [
            (q + ((twice > unit) | tie).cast(_I128)).alias("_rounded"),  # <= 10**33
            pl.min_horizontal(-scale, pl.lit(37, pl.Int32)).clip(0).alias("_down"),
        ],
        [(magnitude * pl.col("_m").sign() * pl.col("_sign")).alias("_base")],
    ]


def in_base(
    frame: pl.DataFrame,
    column: str,
    base: str,
    rates: Mapping[str, Decimal],
    one: Scalar,
    *,
    few: int = FEW,
) -> pl.DataFrame:
    """``frame`` with ``base_minor`` (Int64): its ``column`` in ``base`` at ``rates`` (per
    currency), each cell exactly as ``one(minor, currency, base, rate)`` converts it. Fewer
    than ``few`` cells to convert (one customer's report) go through ``one`` directly: the
    same answer, without the fixed cost of the column-wise steps."""
    home = frame.filter(pl.col("currency") == base).with_columns(base_minor=pl.col(column))
    away = frame.filter(pl.col("currency") != base)
    if not away.height:
        return home
    context = decimal.getcontext()
    usual = context.rounding == decimal.ROUND_HALF_EVEN
    if away.height < few or not (usual and _MIN_PRECISION <= context.prec <= _MAX_PRECISION):
        return pl.concat([home, _by_cell(away, column, base, rates, one)])
    table = _rate_table(rates, base)
    joined = away.join(table, on="currency", how="left").with_columns(_m=pl.col(column).cast(_I128))
    known = joined.filter(pl.col("_high").is_not_null())
    for step in _product(context.prec):
        known = known.with_columns(step)
    # a positive scale only where the result cannot wrap: rounded * 10**scale <= 10**37
    small = (pl.col("_scale") <= 0) | (pl.col("_scale") + context.prec <= 37)
    done = known.filter(small)
    for step in _converted():
        done = done.with_columns(step)
    done = done.with_columns(base_minor=pl.col("_base").cast(pl.Int64, strict=True))
    rest = pl.concat(
        [joined.filter(pl.col("_high").is_null()), known.filter(~small).select(joined.columns)]
    ).select(frame.columns)
    parts = [home, done.select(*frame.columns, "base_minor")]
    if rest.height:
        parts.append(_by_cell(rest, column, base, rates, one))
    return pl.concat(parts)


def _by_cell(
    frame: pl.DataFrame, column: str, base: str, rates: Mapping[str, Decimal], one: Scalar
) -> pl.DataFrame:
    """``frame`` with ``base_minor``, each cell converted by ``one`` (the Decimal path)."""
    converted = [
        one(minor, currency, base, rates[currency])
        for currency, minor in frame.select("currency", column).iter_rows()
    ]
    return frame.with_columns(base_minor=pl.Series(converted, dtype=pl.Int64))
