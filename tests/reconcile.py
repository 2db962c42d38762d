"""Recompute every running total from the entries themselves (scorecard line R6)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import text

from creditguard.db import Database

Key = tuple[int, str]

QUERIES = {
    "invoiced_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM invoices WHERE status <> 'reversed' GROUP BY 1, 2",
    "open_minor": "SELECT customer_id, currency, SUM(open_minor) FROM invoices GROUP BY 1, 2",
    "received_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM payments WHERE status = 'posted' GROUP BY 1, 2",
    "credit_issued_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM credit_notes WHERE status = 'posted' GROUP BY 1, 2",
    "paid_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM applications WHERE source_kind = 'payment' GROUP BY 1, 2",
    "credited_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM applications WHERE source_kind = 'credit_note' GROUP BY 1, 2",
    "written_off_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM applications WHERE source_kind = 'write_off' GROUP BY 1, 2",
    "disputed_minor": "SELECT customer_id, currency, SUM(amount_minor) FROM disputes WHERE status = 'open' GROUP BY 1, 2",
}
UNAPPLIED = (
    "SELECT customer_id, currency, SUM(unapplied_minor) FROM ("
    " SELECT customer_id, currency, unapplied_minor FROM payments"
    " UNION ALL SELECT customer_id, currency, unapplied_minor FROM credit_notes) AS u GROUP BY 1, 2"
)
INVOICE_DRIFT = (
    "SELECT i.id FROM invoices i LEFT JOIN ("
    " SELECT invoice_id, SUM(amount_minor) AS applied FROM applications GROUP BY invoice_id) a"
    " ON a.invoice_id = i.id"
    " WHERE i.status <> 'reversed' AND i.open_minor <> i.amount_minor - COALESCE(a.applied, 0)"
)
INSTALMENT_DRIFT = (
    "SELECT i.id FROM invoices i JOIN ("
    " SELECT invoice_id, SUM(open_minor) AS open_sum FROM instalments GROUP BY invoice_id) s"
    " ON s.invoice_id = i.id WHERE s.open_sum <> i.open_minor"
)


def recomputed(db: Database) -> dict[Key, dict[str, int]]:
    figures: dict[Key, dict[str, int]] = defaultdict(dict)
    with db.engine.connect() as connection:
        for name, sql in [*QUERIES.items(), ("unapplied_minor", UNAPPLIED)]:
            for customer_id, currency, value in connection.execute(text(sql)):
                figures[(customer_id, currency)][name] = int(value)
    return figures


def stored(db: Database) -> dict[Key, dict[str, int]]:
    names = [*QUERIES, "unapplied_minor"]
    out: dict[Key, dict[str, int]] = {}
    with db.engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT customer_id, currency, {', '.join(names)} FROM customer_balances")
        )
        for row in rows:
            out[(row[0], row[1])] = {n: int(v) for n, v in zip(names, row[2:], strict=True) if v}
    return out


def mismatches(db: Database) -> list[str]:
    """Every disagreement between stored balances and balances recomputed from entries."""
    problems: list[str] = []
    want = {k: {n: v for n, v in figs.items() if v} for k, figs in recomputed(db).items()}
    have = {k: v for k, v in stored(db).items() if v}
    want = {k: v for k, v in want.items() if v}
    for key in sorted(set(want) | set(have)):
        if want.get(key, {}) != have.get(key, {}):
            problems.append(f"{key}: stored {have.get(key)} != recomputed {want.get(key)}")
    with db.engine.connect() as connection:
        problems += [
            f"invoice {r[0]} open != amount - applications"
            for r in connection.execute(text(INVOICE_DRIFT))
        ]
        problems += [
            f"invoice {r[0]} open != sum of instalments"
            for r in connection.execute(text(INSTALMENT_DRIFT))
        ]
    return problems
