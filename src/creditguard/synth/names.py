"""Names and identities of the customers, built for all customers at once.

Chinese companies: city + trade name (字号) + industry word + legal form (上海恒信机电有限公司);
groups: city + trade name + 集团有限公司, their subsidiaries share the trade name. Export buyers:
an English name with their country's legal form (Northstar Components GmbH). Chinese companies
get a unified social credit code with a valid check character; contacts, e-mails (example
domains) and phone numbers complete the record.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from creditguard.synth import vocab
from creditguard.synth.arrays import Bools, Ints, ints, pick
from creditguard.synth.customers import Customers

FORMS = [form for row in vocab.EXPORT_COUNTRIES for form in row[5].split("|")]
FORM_COUNTS = ints([len(row[5].split("|")) for row in vocab.EXPORT_COUNTRIES])
FORM_OFFSETS = np.concatenate([[0], np.cumsum(FORM_COUNTS)[:-1]]).astype(np.int64)
USCC_LENGTH = 18


def take(table: Sequence[str], index: Ints) -> pl.Series:
    """The strings of ``table`` at each index."""
    return pl.Series(list(table), dtype=pl.String).gather(pl.Series(index, dtype=pl.Int64))


def _joined(name: str, parts: Sequence[pl.Series]) -> pl.Series:
    return (
        pl.DataFrame({f"p{i}": part for i, part in enumerate(parts)})
        .select(pl.concat_str(pl.all()).alias(name))
        .to_series()
    )


def _choose(name: str, condition: Bools, yes: pl.Series | None, no: pl.Series) -> pl.Series:
    """``yes`` where ``condition`` holds (blank when None), else ``no``."""
    frame = pl.DataFrame({"c": condition, "n": no})
    chosen = pl.lit(None, dtype=pl.String) if yes is None else pl.lit(yes)
    return frame.select(pl.when("c").then(chosen).otherwise("n").alias(name)).to_series()


def company_names(rng: np.random.Generator, customers: Customers) -> pl.Series:
    count = customers.count
    size = len(vocab.TRADE_CHARS)
    chars = list(vocab.TRADE_CHARS)
    words = [row[0] for row in vocab.INDUSTRIES]
    suffix = pick(rng, vocab.LEGAL_SUFFIX_WEIGHTS, count)
    group = customers.group
    domestic = _joined(
        "name",
        [
            take([row[0] for row in vocab.CITIES], customers.city),
            take(chars, customers.trade // size),
            take(chars, customers.trade % size),
            take([*words, ""], np.where(group, len(words), customers.industry)),
            take(
                [*vocab.LEGAL_SUFFIXES, vocab.GROUP_SUFFIX],
                np.where(group, len(vocab.LEGAL_SUFFIXES), suffix),
            ),
        ],
    )
    country = np.maximum(customers.country, 0)
    form = FORM_OFFSETS[country] + (rng.random(count) * FORM_COUNTS[country]).astype(np.int64)
    space = take([" "], np.zeros(count, dtype=np.int64))
    foreign = _joined(
        "name",
        [
            take(vocab.EXPORT_WORDS, rng.integers(0, len(vocab.EXPORT_WORDS), count)),
            space,
            take(vocab.EXPORT_TRADES, rng.integers(0, len(vocab.EXPORT_TRADES), count)),
            space,
            take(FORMS, form),
        ],
    )
    return _choose("name", customers.export, foreign, domestic)


def tax_ids(rng: np.random.Generator, customers: Customers) -> pl.Series:
    """Unified social credit codes (统一社会信用代码) of the Chinese companies, with check."""
    count = customers.count
    digits = np.empty((count, USCC_LENGTH), dtype=np.int64)
    digits[:, 0], digits[:, 1] = 9, 1  # registered by industry and commerce, an enterprise
    division = ints([[int(ch) for ch in row[3]] for row in vocab.CITIES])
    digits[:, 2:8] = division[customers.city]
    digits[:, 8:17] = rng.integers(0, len(vocab.USCC_ALPHABET), (count, 9))
    weights = ints(vocab.USCC_WEIGHTS)
    digits[:, 17] = (31 - (digits[:, :17] @ weights) % 31) % 31
    alphabet = np.frombuffer(vocab.USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
    text = np.ascontiguousarray(alphabet[digits]).view(f"S{USCC_LENGTH}").ravel()
    codes = pl.Series("tax_id", text).cast(pl.String)
    return _choose("tax_id", customers.export, None, codes)


def contacts(
    rng: np.random.Generator, customers: Customers, codes: pl.Series
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Name, e-mail and phone of each customer's main contact."""
    count = customers.count
    chinese = _joined(
        "contact_name",
        [
            take(list(vocab.SURNAMES), rng.integers(0, len(vocab.SURNAMES), count)),
            take(vocab.GIVEN_NAMES, rng.integers(0, len(vocab.GIVEN_NAMES), count)),
        ],
    )
    english = _joined(
        "contact_name",
        [
            take(vocab.EXPORT_FIRST, rng.integers(0, len(vocab.EXPORT_FIRST), count)),
            take([" "], np.zeros(count, dtype=np.int64)),
            take(vocab.EXPORT_LAST, rng.integers(0, len(vocab.EXPORT_LAST), count)),
        ],
    )
    lower = codes.str.to_lowercase()
    frame = pl.DataFrame(
        {
            "export": customers.export,
            "code": lower,
            "area": take([row[2] for row in vocab.CITIES], customers.city),
            "dial": take(
                [row[3] for row in vocab.EXPORT_COUNTRIES], np.maximum(customers.country, 0)
            ),
            "number": rng.integers(20_000_000, 90_000_000, count),
        }
    )
    email = (
        pl.when("export")
        .then(pl.concat_str(pl.lit("ap@"), "code", pl.lit(".example.com")))
        .otherwise(pl.concat_str(pl.lit("finance@"), "code", pl.lit(".example.cn")))
    )
    phone = (
        pl.when("export")
        .then(pl.concat_str(pl.lit("+"), "dial", pl.lit(" 555 "), pl.col("number").cast(pl.String)))
        .otherwise(
            pl.concat_str(pl.lit("+86 "), "area", pl.lit(" "), pl.col("number").cast(pl.String))
        )
    )
    extra = frame.select(email.alias("contact_email"), phone.alias("contact_phone"))
    name = _choose("contact_name", customers.export, english, chinese)
    return name, extra.to_series(0), extra.to_series(1)


def salespeople(customers: Customers) -> pl.Series:
    """The account owner: the domestic team, or the export desk for foreign buyers."""
    team = len(vocab.SALESPEOPLE)
    export_desk = team + customers.salesperson % len(vocab.EXPORT_SALESPEOPLE)
    index = np.where(customers.export, export_desk, customers.salesperson)
    return pl.Series(
        "salesperson", [*vocab.SALESPEOPLE, *vocab.EXPORT_SALESPEOPLE], dtype=pl.String
    ).gather(pl.Series(index))
