"""Money as integer minor units of an ISO 4217 currency.

Amounts never pass through a binary float. Rounding happens in one place, :func:`round_minor`,
half up (the convention of Chinese and most commercial invoicing). Adding, comparing or
subtracting two currencies raises :class:`~creditguard.core.errors.InvalidInput`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final

from creditguard.core.errors import invalid

# ISO 4217 minor-unit exponents for the currencies in circulation. Two is the rule; the
# exceptions are listed explicitly so that JPY has no cents and KWD has fils.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()  # noqa: SIM905
_THREE = "BHD IQD JOD KWD LYD OMR TND".split()  # noqa: SIM905
_FOUR = ["CLF", "UYW"]
_TWO = (  # noqa: SIM905
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
).split()

CURRENCY_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {code: exp for exp, codes in ((0, _ZERO), (2, _TWO), (3, _THREE), (4, _FOUR)) for code in codes}
)


# The largest amount one entry may carry, in minor units (10 trillion CNY): sums of a million
# such entries still fit the databases' 64-bit integers.
MAX_MINOR: Final = 10**15


def currency_exponent(currency: str) -> int:
    """Return the number of decimal places of ``currency`` (JPY 0, CNY 2, KWD 3)."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise invalid("currency", currency, "unknown_currency") from None


def check_currency(currency: object, field: str = "currency") -> str:
    """Return ``currency`` if it is a known ISO 4217 code, else raise naming ``field``."""
    if not isinstance(currency, str) or currency not in CURRENCY_EXPONENTS:
        raise invalid(field, currency, "unknown_currency")
    return currency


def round_minor(value: Decimal) -> int:
    """Round a Decimal number of minor units to an integer, half up: the one rounding rule."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_decimal(value: object, field: str = "amount") -> Decimal:
    """Read a Decimal from a Decimal, an int or a numeric string; refuse floats and junk."""
    if isinstance(value, float):
        raise invalid(field, value, "float_refused")
    if isinstance(value, bool):
        raise invalid(field, value, "not_a_number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise invalid(field, value, "not_a_number") from None
    else:
        raise invalid(field, value, "not_a_number")
    if not result.is_finite():
        raise invalid(field, value, "not_a_number")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units of one currency (``Money(12345, "CNY")`` is 123.45)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise invalid("amount", self.minor, "float_refused")
        check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: object, currency: str, field: str = "amount") -> Money:
        """Read an exact amount: ``Money.parse("123.45", "CNY")``; refuse extra decimals."""
        exponent = currency_exponent(check_currency(currency))
        value = to_decimal(amount, field)
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise invalid(field, amount, "too_many_decimals", currency=currency, exponent=exponent)
        if abs(scaled) > MAX_MINOR:
            largest = cls(MAX_MINOR, currency).decimal_string()
            raise invalid(field, amount, "too_large", currency=currency, largest=largest)
        return cls(int(scaled), currency)

    @classmethod
    def from_decimal(cls, amount: Decimal, currency: str) -> Money:
        """Round a computed Decimal amount to the currency's minor unit (half up)."""
        exponent = currency_exponent(currency)
        return cls(round_minor(amount.scaleb(exponent)), currency)

    @property
    def amount(self) -> Decimal:
        """The amount as a Decimal with the currency's exact number of places."""
        exponent = currency_exponent(self.currency)
        return Decimal(self.minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def decimal_string(self) -> str:
        """Write the amount as the API does: ``"123.45"``."""
        return str(self.amount)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise invalid(
                "currency",
                other.currency,
                "currency_mismatch",
                left=self.currency,
                right=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def is_zero(self) -> bool:
        """Tell whether the amount is exactly nothing."""
        return self.minor == 0

    def times(self, factor: Decimal) -> Money:
        """Multiply by an exact Decimal factor (a rate, a share), rounding half up once."""
        given: object = factor  # callers outside mypy may still pass a float
        if isinstance(given, float):
            raise invalid("factor", given, "float_refused")
        return Money(round_minor(Decimal(self.minor) * factor), self.currency)

    def split(self, weights: Sequence[Decimal | int]) -> tuple[Money, ...]:
        """Split into parts proportional to ``weights`` that add up exactly to the whole.

        Largest remainder: every part is rounded down, and the minor units left over go to the
        parts with the largest remainders (earliest first on ties), so nothing is lost or made.
        """
        if not weights or any(Decimal(w) < 0 for w in weights):
            raise invalid("weights", list(weights), "negative")
        total_weight = sum((Decimal(w) for w in weights), Decimal(0))
        if total_weight == 0:
            raise invalid("weights", list(weights), "not_positive")
        sign = -1 if self.minor < 0 else 1
        whole = abs(self.minor)
        exact = [Decimal(whole) * Decimal(w) / total_weight for w in weights]
        floors = [int(x) for x in exact]
        left = whole - sum(floors)
        by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in by_remainder[:left]:
            floors[i] += 1
        return tuple(Money(sign * part, self.currency) for part in floors)


def total(amounts: Sequence[Money], currency: str) -> Money:
    """Sum ``amounts`` (all in ``currency``); the sum of nothing is zero."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
