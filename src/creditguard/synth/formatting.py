"""From numpy arrays to polars columns exactly as the import formats write them.

Amounts are written as plain decimals with the currency's number of decimals ("12800.00",
"1280" for JPY): a polars Decimal column when every currency of the run has the same number of
decimals (the usual case, and much the fastest), else decimal strings. Dates become polars dates
(written YYYY-MM-DD), empty cells are nulls (written as nothing), codes and references are
zero-padded numbers behind a prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from creditguard.core.money import currency_exponent
from creditguard.imports.formats import FORMATS
from creditguard.synth.arrays import NEVER, Bools, Ints, ints, years_of

PRECISION = 38  # digits of a polars Decimal


def amounts(
    name: str, minor: Ints, currency: Ints, currencies: Sequence[str], blank: Bools | None = None
) -> pl.Series:
    """Minor units as decimals with each row's currency decimals; blank where asked."""
    exponents = np.asarray([currency_exponent(code) for code in currencies], dtype=np.int64)
    values = np.ma.masked_array(minor, mask=blank) if blank is not None else minor
    distinct = sorted({int(e) for e in exponents})
    if len(distinct) == 1:  # one number of decimals: an exact Decimal column
        return _scaled(name, values, distinct[0])
    frame = pl.DataFrame({"minor": values, "exponent": exponents[currency]})
    expression = _decimal_text(distinct[-1])
    for exponent in distinct[:-1]:  # at most four exponents (0, 2, 3, 4)
        expression = (
            pl.when(pl.col("exponent") == exponent)
            .then(_decimal_text(exponent))
            .otherwise(expression)
        )
    return frame.select(expression.alias(name)).to_series()


def _scaled(name: str, units: Ints | np.ma.MaskedArray[Any, Any], scale: int) -> pl.Series:
    """A Decimal column of ``units`` / 10**scale (exact: integers in, decimals out)."""
    decimal = pl.Decimal(PRECISION, scale)
    exact = (pl.col("units").cast(decimal) / 10**scale).cast(decimal)
    return pl.DataFrame({"units": units}).select(exact.alias(name)).to_series()


def fixed(name: str, values: npt.NDArray[np.floating[Any]], decimals: int) -> pl.Series:
    """Measurements rounded to ``decimals`` places, written without exponent (0.003590)."""
    return _scaled(name, ints(np.rint(values.astype(np.float64) * 10**decimals)), decimals)


def _decimal_text(exponent: int) -> pl.Expr:
    minor = pl.col("minor")
    if exponent == 0:
        return minor.cast(pl.String)
    scale = 10**exponent
    return pl.concat_str(
        (minor // scale).cast(pl.String),
        pl.lit("."),
        (minor % scale).cast(pl.String).str.zfill(exponent),
    )


def labels(name: str, index: Ints, names: Sequence[str]) -> pl.Series:
    """Category labels by index (an Enum column); -1 leaves the cell blank."""
    values = np.ma.masked_array(np.maximum(index, 0).astype(np.uint32), mask=index < 0)
    return pl.Series(name, values).cat.to(pl.Enum(list(names)))


def dates(name: str, days: Ints) -> pl.Series:
    """Dates from day numbers; NEVER (or any negative number) leaves the cell blank."""
    blank = (days >= NEVER) | (days < 0)
    values = np.ma.masked_array(np.where(blank, 0, days).astype(np.int32), mask=blank)
    return pl.Series(name, values).cast(pl.Date)


# The ASCII digits of 0000 ... 9999, four bytes each, read as one 32-bit word per number.
FOUR_DIGITS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(), np.uint32)


def text(name: str, parts: Sequence[str | tuple[Ints, int]]) -> pl.Series:
    """ASCII strings of a fixed shape: constant parts, and numbers zero-padded to a width.

    ``text("ref", ["SO-", (numbers, 7)])`` gives SO-0000001, ... Built as one byte matrix (four
    digits at a time), much faster than string expressions for millions of references.
    """
    numbers = [part[0] for part in parts if not isinstance(part, str)]
    count = len(numbers[0]) if numbers else 0
    total = sum(len(part) if isinstance(part, str) else part[1] for part in parts)
    matrix = np.empty((count, total), dtype=np.uint8)
    column = 0
    for part in parts:  # a few parts
        if isinstance(part, str):
            matrix[:, column : column + len(part)] = np.frombuffer(part.encode("ascii"), np.uint8)
            column += len(part)
        else:
            matrix[:, column : column + part[1]] = _digits(part[0], part[1])
            column += part[1]
    return pl.Series(name, matrix.view(f"S{total}").ravel()).cast(pl.String)


def _digits(values: Ints, digits: int) -> npt.NDArray[np.uint8]:
    """``values`` zero-padded to ``digits`` ASCII digits: a (len(values), digits) byte matrix."""
    words = -(-digits // 4)
    block = np.empty((len(values), words), dtype=np.uint32)
    rest = values.copy()
    for word in range(words - 1, -1, -1):  # a few words
        block[:, word] = FOUR_DIGITS[rest % 10_000]
        rest //= 10_000
    return block.view(np.uint8)[:, 4 * words - digits :]


def yearly(name: str, prefix: str, days: Ints) -> pl.Series:
    """References numbered from 1 within each year of ``days`` (sorted): INV-2026-0000123."""
    if len(days) == 0:
        return pl.Series(name, [], dtype=pl.String)
    year = years_of(days)
    first = int(year[0])
    starts = np.searchsorted(year, np.arange(first, int(year[-1]) + 1))
    sequence = np.arange(len(days), dtype=np.int64) - starts[year - first] + 1
    return text(name, [prefix, (year, 4), "-", (sequence, width(int(sequence.max())))])


def width(count: int, at_least: int = 6) -> int:
    return max(at_least, len(str(count)))


def conform(kind: str, columns: Sequence[pl.Series]) -> pl.DataFrame:
    """A frame with exactly the columns of import kind ``kind``, in order; the others blank."""
    names = [column.name for column in FORMATS[kind]]
    given = {series.name for series in columns}
    if not given <= set(names):
        raise ValueError(f"{kind} has no columns {sorted(given - set(names))}")
    return pl.DataFrame(columns).select(
        pl.col(name) if name in given else pl.lit(None, dtype=pl.String).alias(name)
        for name in names
    )
