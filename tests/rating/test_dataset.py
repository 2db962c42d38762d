"""Training data from the company's own ledger: a literal ledger whose every label and feature
is known, the leakage check (with a broken variant that must fail it), and the boundaries
(90 vs 91 days past due; day 365 vs 366 after the observation date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from typer.testing import CliRunner

from creditguard.analytics.behaviour import payment_behaviour
from creditguard.cli.main import app
from creditguard.core.errors import InvalidInput
from creditguard.core.permissions import Actor
from creditguard.db import Database
from creditguard.ledger import service as ledger
from creditguard.ledger.schemas import (
    CreditNoteIn,
    DisputeIn,
    DisputeResolveIn,
    ReversalIn,
    WriteOffIn,
)
from creditguard.rating import features
from creditguard.rating import service as rating
from creditguard.rating.schemas import QualificationIn, StatementIn
from creditguard.rating.service import dataset
from tests import builders as b

T = date(2025, 6, 30)
T2 = date(2025, 9, 30)


def _write_off(db: Database, actor: Actor, ref: str, on: date) -> None:
    with db.write() as session:
        data = WriteOffIn(external_ref=f"WO-{ref}", invoice_ref=ref, written_off_on=on, reason="x")
        ledger.post_write_off(session, actor, data, b.clock())


def _ledger(db: Database) -> tuple[Actor, int]:
    """Seven customers; C1 has every kind of fact before T. Returns the actor and C1's first
    payment id (reversed after T in the leakage test)."""
    actor = b.company(db)
    ids = {c: b.customer(db, actor, code=c) for c in ("C1", "C2", "C3", "C4", "C5", "C6", "C7")}
    b.invoice(db, actor, ref="I1", amount="100.00", issued_on=date(2025, 3, 1))
    b.invoice(db, actor, ref="I2", amount="300.00", issued_on=date(2025, 5, 1))
    b.invoice(db, actor, ref="I3", amount="200.00", issued_on=date(2025, 6, 15))
    first = b.payment(db, actor, ref="P1", amount="100.00", received_on=date(2025, 4, 10), to={"I1": "100.00"})  # fmt: skip
    b.payment(db, actor, ref="P2", amount="300.00", received_on=date(2025, 5, 31), to={"I2": "300.00"})  # fmt: skip
    with db.write() as session:
        note = CreditNoteIn(
            external_ref="CN1", customer_ref="C1", issued_on=date(2025, 6, 20), currency="CNY",
            amount="50.00", reason="return", invoice_ref="I3",
        )  # fmt: skip
        ledger.post_credit_note(session, actor, note, b.clock())
        dispute = DisputeIn(invoice_ref="I3", amount="10.00", reason="q", opened_on=date(2025, 6, 25))  # fmt: skip
        opened = ledger.open_dispute(session, actor, dispute, b.clock())
        refused = DisputeResolveIn(outcome="rejected", resolved_on=date(2025, 7, 10), resolution="no")  # fmt: skip
        ledger.resolve_dispute(session, actor, opened.id, refused, b.clock())
        for period, assets, current in ((date(2024, 12, 31), "1000.00", "300.00"), (date(2025, 12, 31), "9.00", "1.00")):  # fmt: skip
            statement = StatementIn(
                period_end=period, currency="CNY", total_assets=assets,
                total_liabilities="400.00", current_assets=current, current_liabilities="200.00",
            )  # fmt: skip
            rating.add_statement(session, actor, ids["C1"], statement, b.clock())
        founded = QualificationIn(founded_on=date(2015, 6, 30))
        rating.put_qualification(session, actor, ids["C1"], founded, b.clock())
    b.payment(db, actor, ref="P3", amount="150.00", received_on=date(2025, 8, 1), to={"I3": "150.00"})  # fmt: skip
    # C2 pays 91 days late (bad), C3 90 days late (good): due 2025-07-01.
    for code, paid in (("C2", date(2025, 9, 30)), ("C3", date(2025, 9, 29))):
        b.invoice(db, actor, ref=f"{code}-1", customer=code, amount="100.00", issued_on=date(2025, 6, 1))  # fmt: skip
        b.payment(db, actor, ref=f"{code}-P", customer=code, amount="100.00", received_on=paid, to={f"{code}-1": "100.00"})  # fmt: skip
    # C4 is written off after T (bad); C5 is already 150 days past due at T (left out).
    b.invoice(db, actor, ref="C4-1", customer="C4", amount="80.00", issued_on=date(2025, 5, 1))
    _write_off(db, actor, "C4-1", date(2025, 7, 20))
    b.invoice(db, actor, ref="C5-1", customer="C5", amount="70.00", issued_on=date(2025, 1, 1))
    # C6 goes 91 days past due on T + 365 (bad), C7 on T + 366 (good at T).
    for code, issued in (("C6", date(2026, 3, 1)), ("C7", date(2026, 3, 2))):
        b.invoice(db, actor, ref=f"{code}-0", customer=code, amount="10.00", issued_on=date(2025, 6, 1))  # fmt: skip
        b.payment(db, actor, ref=f"{code}-P", customer=code, amount="10.00", received_on=date(2025, 7, 1), to={f"{code}-0": "10.00"})  # fmt: skip
        b.invoice(db, actor, ref=f"{code}-1", customer=code, amount="10.00", issued_on=issued)
    # The ledger is observed up to 2026-07-15: 365 days after T, not after T2.
    b.invoice(db, actor, ref="I9", amount="1.00", issued_on=date(2026, 7, 15))
    return actor, first


def _table(db: Database, actor: Actor) -> tuple[pl.DataFrame, features.Counts]:
    with db.read() as session:
        return dataset.training_dataset(session, actor, date(2025, 6, 1), T2, "3m")


def test_labels_counts_and_every_feature_of_a_literal_ledger(db: Database) -> None:
    actor, _ = _ledger(db)
    table, counts = _table(db, actor)
    labels = dict(zip(table["id"].to_list(), table["bad"].to_list(), strict=True))
    assert labels == {
        "C1@2025-06-30": 0,
        "C2@2025-06-30": 1,  # 91 days late
        "C3@2025-06-30": 0,  # 90 days late
        "C4@2025-06-30": 1,  # written off
        "C6@2025-06-30": 1,  # 91 days past due on day 365
        "C7@2025-06-30": 0,  # ... on day 366
        "C6@2025-09-30": 1,  # bad even though the year after T2 is not all observed
        "C7@2025-09-30": 1,
    }
    assert counts == features.Counts(kept=8, not_observed=4, in_default=2)
    c1 = table.filter(pl.col("id") == "C1@2025-06-30").drop("id", "bad").row(0, named=True)
    assert c1 == {
        "days_late_3m": 2.5,  # 100.00 paid 10 days late, 300.00 on time
        "days_late_6m": 2.5,
        "days_late_12m": 2.5,
        "share_paid_late_12m": 25.0,
        "late_trend_days": 0.0,
        "max_days_past_due": 0,
        "open_minor": 15000,  # I3 200.00 less the 50.00 credit note
        "overdue_minor": 0,
        "sales_12m_minor": 60000,
        "sales_3m_share": pytest.approx(100 * 50000 / 60000),
        "invoices_12m": 3,
        "relationship_months": 3,
        "credit_note_share_12m": pytest.approx(100 * 5000 / 60000),
        "disputes_12m": 1,
        "debt_ratio": 40.0,  # the 2024 statement: that of 2025-12-31 is not known at T
        "current_ratio": 1.5,
        "years_in_business": pytest.approx(3653 / 365.25),
    }


def test_days_late_match_the_rating_behaviour(db: Database) -> None:
    actor, _ = _ledger(db)
    with db.read() as session:
        feats = dataset.current_features(session, actor, T)
        behaviour = payment_behaviour(session, actor, T, feats["customer_id"].to_list())
    for row in feats.iter_rows(named=True):
        windows = behaviour[row["customer_id"]].windows
        for window in windows:
            expected = window.average_days_late
            got = row[f"days_late_{window.months}m"]
            assert (None if got is None else Decimal(str(round(got, 2)))) == expected


@dataclass(frozen=True)
class LeakyLedger(features.Ledger):
    """Broken on purpose: reads the whole ledger whatever the date."""

    def known_on(self, t: date) -> features.Ledger:
        return self


def _add_after_t(db: Database, actor: Actor, first_payment: int) -> None:
    """Entries dated after T that touch what was known at T."""
    day = date(2025, 7, 5)
    b.invoice(db, actor, ref="LATE-1", amount="500.00", issued_on=day)
    b.payment(db, actor, ref="LATE-P", customer="C5", amount="70.00", received_on=day, to={"C5-1": "70.00"})  # fmt: skip
    with db.write() as session:
        undo = ReversalIn(target_kind="payment", target_id=first_payment, reversed_on=day, reason="r")  # fmt: skip
        ledger.reverse(session, actor, undo, b.clock())
        dispute = DisputeIn(invoice_ref="LATE-1", amount="5.00", reason="q", opened_on=day)
        ledger.open_dispute(session, actor, dispute, b.clock())


@pytest.mark.parametrize("kind", [features.Ledger, LeakyLedger])
def test_entries_after_t_change_no_feature_at_t(db: Database, kind: type) -> None:
    actor, first_payment = _ledger(db)
    with db.read() as session:
        before = features.features_at(kind(**vars(dataset.read_ledger(session, actor))), T)
    _add_after_t(db, actor, first_payment)
    with db.read() as session:
        after = features.features_at(kind(**vars(dataset.read_ledger(session, actor))), T)
    if kind is LeakyLedger:
        assert not before.equals(after)  # the broken variant sees the future
    else:
        assert before.equals(after)


def test_refusals_name_the_option(db: Database) -> None:
    actor = b.company(db)
    with db.read() as session, pytest.raises(InvalidInput) as caught:
        dataset.training_dataset(session, actor, T, T, "13m")
    assert caught.value.problems[0].field == "every"
    with db.read() as session, pytest.raises(InvalidInput) as caught:
        dataset.training_dataset(session, actor, T2, T, "3m")
    assert caught.value.problems[0].field == "to"


def test_cli_writes_a_csv_that_model_evaluate_reads(
    db: Database, runner: CliRunner, tmp_path: pytest.TempPathFactory
) -> None:
    actor, _ = _ledger(db)
    out = f"{tmp_path}/ledger.csv"
    url = db.engine.url.render_as_string(hide_password=False)
    args = ["model", "dataset", "--company", "ACME", "--from", "2025-06-01", "--to", "2025-09-30"]
    result = runner.invoke(app, [*args, "--out", out, "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert '"rows": 8' in result.output
    frame = pl.read_csv(out)
    assert frame.columns == ["id", *features.FEATURES, "bad"]
    assert frame["bad"].sum() == 5
    del actor


def test_the_rating_reads_the_same_behaviour_as_analytics(db: Database) -> None:
    """The rating reads payment behaviour from the ledger's columns (indexed reads of a
    chunk's customers); the figures equal analytics.behaviour's, reversals included."""
    actor, first_payment = _ledger(db)
    _add_after_t(db, actor, first_payment)
    for day in (T, date(2025, 7, 5), T2):
        with db.read() as session:
            ids = dataset.current_features(session, actor, day)["customer_id"].to_list()
            ours = features.behaviours(dataset.read_ledger(session, actor, ids), day, ids)
            theirs = payment_behaviour(session, actor, day, ids)
        assert ours == theirs
