"""Bulk reads into frames: the same rows whatever the piece size, names with quotes and line
breaks included (a row is cut only where it ends), dates as dates."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from creditguard.customers import service as customers
from creditguard.customers.schemas import CustomerIn
from creditguard.db import Database, bulk
from creditguard.models import Customer, Invoice
from tests import builders as b

NAMES = ['甲 "Jia" 贸易', "Line\nbreak, Ltd", '"quoted"', "plain", 'x""y\n"z"', "逗号,分号;"] * 5
SCHEMA = {"code": pl.String, "name": pl.String, "issued_on": pl.Date, "amount": pl.Int64}
START = date(2026, 1, 1)


def _ledger(db: Database) -> None:
    actor = b.company(db)
    with db.write() as session:
        customers.create_many(
            session,
            actor,
            [
                CustomerIn(code=f"C{i:02d}", name=name, payment_terms="net 30", currency="CNY")
                for i, name in enumerate(NAMES)
            ],
            b.clock(),
        )
    for i in range(len(NAMES)):
        b.invoice(
            db, actor, ref=f"I{i:02d}", customer=f"C{i:02d}", amount=f"{i + 1}.00",
            issued_on=START + timedelta(days=i),
        )  # fmt: skip


@pytest.mark.parametrize("piece", [1, 40, bulk.PIECE_BYTES])
def test_pieces_of_any_size_give_the_same_rows(
    db: Database, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ledger(db)
    monkeypatch.setattr(bulk, "PIECE_BYTES", piece)
    monkeypatch.setattr(bulk, "FETCH_ROWS", min(piece, 1_000))
    stmt = (
        select(Customer.code, Customer.name, Invoice.issued_on, Invoice.amount_minor)
        .join(Invoice, Invoice.customer_id == Customer.id)
        .order_by(Customer.code)
    )
    with db.read() as session:
        frame = bulk.read_frame(session, stmt, SCHEMA)
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.rows() == [
        (f"C{i:02d}", name, START + timedelta(days=i), (i + 1) * 100)
        for i, name in enumerate(NAMES)
    ]
    assert frame.n_chunks("all") == [1, 1, 1, 1]  # whole columns, whatever the pieces


def test_pieces_are_joined_into_whole_columns() -> None:
    """A frame read in pieces comes back with one chunk per column: a later operation that
    wants it whole does not copy it all beside itself. ``pl.concat`` (the broken variant)
    keeps the pieces as chunks."""
    parts = [
        pl.DataFrame({"id": [i, i + 1], "name": [f"n{i}", None], "on": [START, START]})
        for i in range(0, 20, 2)
    ]
    joined = bulk._joined(list(parts))
    assert joined.rows() == pl.concat(parts).rows()
    assert joined.schema == parts[0].schema
    assert joined.n_chunks("all") == [1, 1, 1]
    assert pl.concat(parts).n_chunks("all") == [10, 10, 10]
    assert bulk._joined(parts[:1]) is parts[0]


def test_an_empty_answer_has_the_schema(db: Database) -> None:
    b.company(db)
    stmt = select(Customer.code, Customer.name, Invoice.issued_on, Invoice.amount_minor).join(
        Invoice, Invoice.customer_id == Customer.id
    )
    with db.read() as session:
        frame = bulk.read_frame(session, stmt, SCHEMA)
    assert (frame.height, frame.schema) == (0, pl.Schema(SCHEMA))


@pytest.mark.parametrize(
    ("text", "end"),
    [
        (b"a,1\nb,2\nc", 8),  # after the last whole row
        (b'a,"x\ny",1\nb', 10),  # the quoted newline is not an end
        (b'a,"x\ny', 0),  # inside quotes: no end known yet
        (b'"a""b",1\n', 9),  # doubled quotes inside a value
        (b"", 0),
    ],
)
def test_a_row_ends_only_outside_quotes(text: bytes, end: int) -> None:
    assert bulk._row_end(bytearray(text)) == end
