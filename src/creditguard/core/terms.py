"""Payment terms: due dates, instalment schedules and cash discounts.

Terms are data (:class:`PaymentTerms`) with a canonical text form (:meth:`PaymentTerms.code`)
that :func:`parse_terms` reads back. The seed's contract guidance — prepayment for risky buyers,
balance within 90 days, cash discount "2/10 Net 30" — is expressed here:

* ``net 30``: the whole amount 30 days after the issue date;
* ``eom 30``: 30 days after the end of the issue month (月结30天);
* ``2/10 net 30``: net 30, but 2% off when paid within 10 days of the issue date;
* ``30% 0, 70% 60``: 30% prepayment due at issue, 70% at 60 days.

Due dates count calendar days; with a :class:`BusinessCalendar` a date that falls on a weekend
or holiday rolls forward to the next business day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from creditguard.core.business_days import BusinessCalendar
from creditguard.core.errors import InvalidInput, Problem, invalid
from creditguard.core.money import Money

MAX_DAYS = 3650  # ten years: anything longer is a typing mistake, not a credit term
MAX_DISCOUNT_RATE = Decimal("0.5")
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class InstalmentRule:
    """One part of the amount: ``share`` (0 < share ≤ 1) due ``days`` after a start date.

    The start is the issue date, or the last day of the issue month when ``end_of_month``.
    ``days`` = 0 with a share below 1 is a prepayment, due at issue.
    """

    share: Decimal
    days: int
    end_of_month: bool = False


@dataclass(frozen=True, slots=True)
class CashDiscount:
    """Early-payment discount: ``rate`` off when paid within ``within_days`` of issue (2/10)."""

    rate: Decimal
    within_days: int


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """The instalments an invoice is payable in, and an optional cash discount.

    Validated on construction; every problem is reported at once: shares in (0, 1] adding up to
    exactly 1, days in [0, 3650], discount rate in [0, 0.5) and a discount window no longer than
    the longest instalment.
    """

    instalments: tuple[InstalmentRule, ...]
    discount: CashDiscount | None = None

    def __post_init__(self) -> None:
        problems = _terms_problems(self)
        if problems:
            raise InvalidInput(problems)

    @classmethod
    def net(cls, days: int) -> PaymentTerms:
        """Make the whole amount due ``days`` after issue ("net 30"; "net 0" is cash)."""
        return cls((InstalmentRule(_ONE, days),))

    @classmethod
    def end_of_month(cls, days: int) -> PaymentTerms:
        """Make the whole amount due ``days`` after the end of the issue month (月结30天)."""
        return cls((InstalmentRule(_ONE, days, end_of_month=True),))

    @property
    def max_days(self) -> int:
        """The longest ``days`` of any instalment."""
        return max(rule.days for rule in self.instalments)

    def code(self) -> str:
        """Write the canonical text of these terms, which :func:`parse_terms` reads back.

        "net 30", "eom 30", "2/10 net 30", "30% 0, 70% 60", "2/10 30% 0, 70% eom 60".
        """
        if len(self.instalments) == 1:
            only = self.instalments[0]
            body = f"{'eom' if only.end_of_month else 'net'} {only.days}"
        else:
            body = ", ".join(
                f"{_percent(rule.share)}% {'eom ' if rule.end_of_month else ''}{rule.days}"
                for rule in self.instalments
            )
        if self.discount is None:
            return body
        return f"{_percent(self.discount.rate)}/{self.discount.within_days} {body}"


def _percent(share: Decimal) -> str:
    """``Decimal("0.3")`` → ``"30"``: a share as a plain percentage without exponent."""
    return f"{share.scaleb(2).normalize():f}"


def _is_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _days_problems(field: str, days: object) -> list[Problem]:
    if not isinstance(days, int) or isinstance(days, bool):
        return [Problem(field, days, "not_a_number")]
    if days < 0:
        return [Problem(field, days, "negative")]
    if days > MAX_DAYS:
        return [Problem(field, days, "out_of_range", {"low": 0, "high": MAX_DAYS})]
    return []


def _rule_problems(i: int, rule: InstalmentRule) -> list[Problem]:
    field = f"instalments[{i}]"
    problems = _days_problems(f"{field}.days", rule.days)
    share: object = rule.share
    if not _is_decimal(rule.share):
        code = "float_refused" if isinstance(share, float) else "not_a_number"
        problems.append(Problem(f"{field}.share", share, code))
    elif rule.share <= 0:
        problems.append(Problem(f"{field}.share", str(rule.share), "not_positive"))
    elif rule.share > 1:
        problems.append(
            Problem(f"{field}.share", str(rule.share), "out_of_range", {"low": 0, "high": 1})
        )
    return problems


def _discount_problems(discount: CashDiscount, longest: int | None) -> list[Problem]:
    rate: object = discount.rate
    problems: list[Problem] = []
    if not _is_decimal(rate):
        code = "float_refused" if isinstance(rate, float) else "not_a_number"
        problems.append(Problem("discount.rate", rate, code))
    elif not 0 <= discount.rate < MAX_DISCOUNT_RATE:
        params = {"low": 0, "high": MAX_DISCOUNT_RATE}
        problems.append(Problem("discount.rate", str(discount.rate), "out_of_range", params))
    window = _days_problems("discount.within_days", discount.within_days)
    if not window and longest is not None and discount.within_days > longest:
        params = {"low": 0, "high": longest}
        window = [Problem("discount.within_days", discount.within_days, "out_of_range", params)]
    return problems + window


def _terms_problems(terms: PaymentTerms) -> list[Problem]:
    if not terms.instalments:
        return [Problem("instalments", [], "required")]
    problems: list[Problem] = []
    for i, rule in enumerate(terms.instalments):
        problems += _rule_problems(i, rule)
    if problems:  # shares or days unusable: the sum and the window cannot be judged
        longest = None
    else:
        longest = terms.max_days
        parts = sum((rule.share for rule in terms.instalments), Decimal(0))
        if parts != 1:
            problems.append(
                Problem(
                    "instalments",
                    _percent(parts) + "%",
                    "schedule_does_not_add_up",
                    {"parts": _percent(parts) + "%"},
                )
            )
    if terms.discount is not None:
        problems += _discount_problems(terms.discount, longest)
    return problems


# --- reading terms ------------------------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_DAYS_WORD = r"(?:\s*(?:days?|d|天))?"
_DISCOUNT = re.compile(rf"(?P<rate>{_NUM})\s*/\s*(?P<within>\d+)\s*,?\s*(?P<rest>.+)")
_NET = re.compile(rf"(?:net|n)\s*\+?\s*(?P<days>\d+){_DAYS_WORD}")
_EOM = re.compile(rf"(?:eom|月结)\s*\+?\s*(?P<days>\d+){_DAYS_WORD}")
_PLAIN_DAYS = re.compile(r"(?P<days>\d+)\s*(?:days?|天)")
_CASH = re.compile(r"prepay|prepaid|prepayment|cash|预付|现金|现款")
_PART = re.compile(rf"(?P<share>{_NUM})\s*%\s*/?\s*(?P<eom>eom\s*\+?\s*)?(?P<days>\d+){_DAYS_WORD}")
_SEPARATOR = re.compile(r"\s*[,;]?\s*")


def parse_terms(text: str, field: str = "terms") -> PaymentTerms:
    """Read payment terms from text, case-insensitively and tolerant of spacing.

    Accepts "net 30", "NET30", "n30", "eom 30", "EOM+30", "2/10 net 30", "2/10 n30",
    "30% 0, 70% 60", "30%/0 70%/60", "30% 0, 70% eom 60", "prepay" and "cash" (net 0), and the
    Chinese "月结30天" (eom 30) and "30天" (net 30); full-width characters are read as ASCII.
    Text that is not terms raises ``bad_terms`` on ``field``; terms that read but break a rule
    raise that rule's error on ``field`` (shares not adding up to 100%) or on the part at fault
    (``terms.discount.within_days``), with the text as the value.
    """
    normal = unicodedata.normalize("NFKC", text).strip().lower()
    discount = None
    found = _DISCOUNT.fullmatch(normal)
    if found:
        within = int(found["within"])
        discount = CashDiscount(Decimal(found["rate"]).scaleb(-2), within)
        normal = found["rest"].strip()
    instalments = _read_body(normal)
    if instalments is None:
        raise invalid(field, text, "bad_terms")
    try:
        return PaymentTerms(instalments, discount)
    except InvalidInput as error:
        raise InvalidInput(_relabel(field, text, p) for p in error.problems) from None


def _relabel(field: str, text: str, problem: Problem) -> Problem:
    """Name the caller's field (and the part of the terms at fault) in a rule's problem."""
    where = field if problem.field == "instalments" else f"{field}.{problem.field}"
    return Problem(where, text, problem.code, problem.params)


def _read_body(body: str) -> tuple[InstalmentRule, ...] | None:
    """Read the instalments written in ``body`` (terms without the discount), or None."""
    if _CASH.fullmatch(body):
        return (InstalmentRule(_ONE, 0),)
    for pattern, end_of_month in ((_NET, False), (_EOM, True), (_PLAIN_DAYS, False)):
        found = pattern.fullmatch(body)
        if found:
            return (InstalmentRule(_ONE, int(found["days"]), end_of_month=end_of_month),)
    return _read_parts(body)


def _read_parts(body: str) -> tuple[InstalmentRule, ...] | None:
    """Instalments in percent form ("30% 0, 70% 60"), or None if ``body`` is not that."""
    rules: list[InstalmentRule] = []
    position = 0
    while position < len(body):
        separator = _SEPARATOR.match(body, position) if rules else None
        if separator is not None:
            position = separator.end()
        part = _PART.match(body, position)
        if part is None:
            return None
        share = Decimal(part["share"]).scaleb(-2)
        rules.append(InstalmentRule(share, int(part["days"]), end_of_month=bool(part["eom"])))
        position = part.end()
    return tuple(rules) or None


# --- applying terms -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instalment:
    """One scheduled payment of an invoice: number ``seq`` (from 1), due date and amount."""

    seq: int
    due_on: date
    amount: Money


def _end_of_month(d: date) -> date:
    next_month = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return next_month - timedelta(days=1)


def _rule_due(rule: InstalmentRule, issued_on: date, calendar: BusinessCalendar | None) -> date:
    start = _end_of_month(issued_on) if rule.end_of_month else issued_on
    due = start + timedelta(days=rule.days)
    return calendar.roll_forward(due) if calendar is not None else due


def instalment_schedule(
    terms: PaymentTerms,
    issued_on: date,
    amount: Money,
    calendar: BusinessCalendar | None = None,
) -> tuple[Instalment, ...]:
    """Split ``amount`` into the instalments of ``terms``, in the order the terms list them.

    Amounts come from :meth:`Money.split` by share, so they add up exactly to ``amount`` (the
    leftover minor units go to the largest remainders). Due dates are the issue date (or the end
    of the issue month) plus the days, rolled forward to a business day when ``calendar`` is given.
    """
    if amount.minor <= 0:
        raise invalid("amount", amount.decimal_string(), "not_positive")
    parts = amount.split([rule.share for rule in terms.instalments])
    return tuple(
        Instalment(seq, _rule_due(rule, issued_on, calendar), part)
        for seq, (rule, part) in enumerate(zip(terms.instalments, parts, strict=True), start=1)
    )


def due_date(
    terms: PaymentTerms, issued_on: date, calendar: BusinessCalendar | None = None
) -> date:
    """Return the final (latest) due date of an invoice issued on ``issued_on``."""
    return max(_rule_due(rule, issued_on, calendar) for rule in terms.instalments)


def discount_deadline(
    terms: PaymentTerms, issued_on: date, calendar: BusinessCalendar | None = None
) -> date | None:
    """Return the last day a payment earns the cash discount, or None without one.

    The window counts from the issue date (2/10: ten days after issue), even under
    end-of-month terms, and rolls forward to a business day when ``calendar`` is given.
    """
    if terms.discount is None:
        return None
    deadline = issued_on + timedelta(days=terms.discount.within_days)
    return calendar.roll_forward(deadline) if calendar is not None else deadline


def discount_amount(terms: PaymentTerms, amount: Money) -> Money:
    """Compute the cash discount on ``amount`` (rate * amount, rounded half up once)."""
    if terms.discount is None:
        return Money.zero(amount.currency)
    return amount.times(terms.discount.rate)


def amount_to_settle(
    terms: PaymentTerms,
    amount: Money,
    issued_on: date,
    paid_on: date,
    calendar: BusinessCalendar | None = None,
) -> Money:
    """Return what settles ``amount`` paid on ``paid_on``: less the discount in its window."""
    deadline = discount_deadline(terms, issued_on, calendar)
    if deadline is not None and paid_on <= deadline:
        return amount - discount_amount(terms, amount)
    return amount
