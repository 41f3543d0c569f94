"""Payout runs on both databases: lines agree with the engine, re-runs are reproducible and
incremental, a failed run leaves nothing, closed runs are not re-run, mid-period versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from governance import periods
from governance.engine_input import database_data
from governance.errors import Conflict, NotAllowed, RunRejected
from governance.payouts import batches as payout_batches
from governance.payouts import run_steps
from governance.payouts.runs import start_run
from governance.plans.lookup import plan_of, version_governing
from models import AuditRecord, Deal, PayoutLine, PayoutRun, Statement
from models.base import utcnow
from rules.evaluate import evaluate
from tests.integration.payout_support import activate_plan, setup_org

PERIOD = "2026-Q3"


@pytest.fixture
def org(db):
    setup_org(db)
    db.commit()


def _lines(db, run) -> list[tuple]:
    rows = db.scalars(
        select(PayoutLine).where(PayoutLine.run_id == run.id).order_by(PayoutLine.line_key)
    )
    return [
        (ln.line_key, ln.kind, ln.deal_id, ln.amount, ln.status, ln.plan_version_hash, ln.trace)
        for ln in rows
    ]


def test_a_run_persists_what_the_engine_computes(db, org):
    run = start_run(db, None, PERIOD)
    db.commit()
    assert (run.state, run.version, run.period_start) == ("draft", 1, date(2026, 7, 1))
    # The same evaluation `accord evaluate` makes over the same data and versions.
    data = database_data(db, up_to=date(2026, 9, 30))
    plans = [plan_of(version_governing(db, k, date(2026, 9, 30))) for k in ("mgr-plan", "pay-plan")]
    expected = evaluate(plans, data, PERIOD)
    statements = {
        (s.participant_id, s.plan_key): s
        for s in db.scalars(select(Statement).where(Statement.run_id == run.id))
    }
    assert len(statements) == len(expected["statements"]) == run.statement_count == 4
    lines = 0
    for st in expected["statements"]:
        row = statements[(st["participant"], st["plan"])]
        assert row.payable == Decimal(st["payable"])
        assert row.held == Decimal(st["held"])
        assert row.credited == Decimal(st["credited"])
        stored = db.scalars(
            select(PayoutLine)
            .where(PayoutLine.run_id == run.id, PayoutLine.participant_id == st["participant"])
            .where(PayoutLine.plan_key == st["plan"])
            .order_by(PayoutLine.position)
        ).all()
        assert [(ln.kind, ln.deal_id, str(ln.amount.normalize()), ln.status) for ln in stored] == [
            (ln["kind"], ln["deal"], str(Decimal(ln["amount"]).normalize()), ln["status"])
            for ln in st["lines"]
        ]
        assert [ln.trace for ln in stored] == [ln["trace"] for ln in st["lines"]]
        assert row.line_count == len(stored)
        lines += len(stored)
    assert run.line_count == lines > 0
    assert {ln.status for ln in db.scalars(select(PayoutLine))} >= {"payable", "blocked", "held"}
    assert run.deal_count == 12  # deals closed in Q3
    assert set(run.plan_versions) == {"mgr-plan", "pay-plan"}
    assert run.input_data_hash.startswith("sha256:") and run.result_hash.startswith("sha256:")
    actions = db.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "payout_run"))
    assert list(actions) == ["payout_run.built"]


def test_re_running_a_draft_with_the_same_inputs_changes_nothing(db, org):
    first = start_run(db, None, PERIOD)
    db.commit()
    hashes = (first.input_data_hash, first.plan_versions, first.exceptions_hash, first.result_hash)
    before = _lines(db, first)
    ids = set(db.scalars(select(PayoutLine.id).where(PayoutLine.run_id == first.id)))
    again = start_run(db, None, PERIOD)
    db.commit()
    assert again.id == first.id and again.version == 1  # the same content: same version
    assert (again.input_data_hash, again.plan_versions, again.exceptions_hash) == hashes[:3]
    assert again.result_hash == hashes[3]
    assert again.recomputed_count == 0
    assert _lines(db, again) == before
    assert set(db.scalars(select(PayoutLine.id).where(PayoutLine.run_id == again.id))) == ids


def test_an_incremental_re_run_rewrites_only_the_affected_statements(db, org):
    run = start_run(db, None, PERIOD)
    db.commit()
    # D-3 (owner ana, reporting to di) closes in Q3: ana's and di's statements change.
    db.execute(update(Deal).where(Deal.id == "D-3").values(amount=Decimal("99999")))
    db.commit()
    old_hash = run.result_hash
    run = start_run(db, None, PERIOD)
    db.commit()
    assert run.recomputed_count == 2
    # D-4 is bo's, split between ana and cy: the three and their manager di are evaluated.
    db.execute(update(Deal).where(Deal.id == "D-4").values(amount=Decimal("55555")))
    db.commit()
    run = start_run(db, None, PERIOD)
    db.commit()
    assert run.recomputed_count == 4
    changed = {
        (s.participant_id, s.plan_key)
        for s in db.scalars(select(Statement).where(Statement.run_id == run.id))
    }
    assert len(changed) == 4
    assert run.result_hash != old_hash
    incremental = (_lines(db, run), run.result_hash, run.line_count)
    # A full build of the same data gives the same lines and hash.
    db.execute(update(PayoutRun).where(PayoutRun.id == run.id).values(state="failed"))
    db.commit()
    full = start_run(db, None, PERIOD)
    db.commit()
    assert full.id != run.id and full.recomputed_count == full.statement_count == 4
    assert (_lines(db, full), full.result_hash, full.line_count) == incremental


def test_a_run_failing_midway_leaves_nothing_and_can_be_retried(db, org, monkeypatch):
    monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", 1)  # a participant per batch
    calls = []

    def killed(done, total):
        calls.append(done)
        if done == 2:  # two participants are written, the others are not
            raise RuntimeError("process killed")

    with pytest.raises(RuntimeError):
        start_run(db, None, PERIOD, progress=killed)
    db.rollback()
    assert calls == [1, 2]
    assert db.scalars(select(PayoutRun)).all() == []
    assert db.scalars(select(PayoutLine)).all() == []
    run = start_run(db, None, PERIOD, progress=lambda done, _total: calls.append(done))
    db.commit()
    assert run.statement_count == 4 and run.progress_done == run.progress_total == 4
    assert calls[-4:] == [1, 2, 3, 4]


def test_a_failed_write_of_lines_fails_the_run_with_its_own_error(db, org, monkeypatch):
    """On PostgreSQL a batch's lines are still being inserted while the next batch is read
    and evaluated (`bulk_insert.CopySender`): their error is the run's, whatever the
    next statement met meanwhile, and nothing is left."""
    monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", 1)  # a participant per batch
    real = run_steps.statement_rows

    def twice_the_first_line(slot, st, input_hash):
        statement, lines = real(slot, st, input_hash)
        return statement, lines[:1] + lines  # the same line key twice

    monkeypatch.setattr(run_steps, "statement_rows", twice_the_first_line)
    with pytest.raises(IntegrityError, match="line_key"):
        start_run(db, None, PERIOD)
    db.rollback()
    assert db.scalars(select(PayoutRun)).all() == []
    assert db.scalars(select(PayoutLine)).all() == []
    monkeypatch.setattr(run_steps, "statement_rows", real)
    run = start_run(db, None, PERIOD)
    db.commit()
    assert run.statement_count == 4


def test_closed_runs_are_not_re_run_and_report_locked_periods(db, org):
    run = start_run(db, None, PERIOD)
    db.commit()
    assert periods.locked_period_keys(db) == set()
    run.state = "approved"
    db.commit()
    with pytest.raises(Conflict):
        start_run(db, None, PERIOD)
    db.rollback()
    run.state, run.locked_at = "locked", utcnow()
    db.commit()
    assert periods.locked_period_keys(db) == {PERIOD}
    assert periods.is_period_locked(db, date(2026, 7, 1))
    assert periods.is_period_locked(db, date(2026, 9, 30))
    assert not periods.is_period_locked(db, date(2026, 10, 1))
    with pytest.raises(Conflict):
        start_run(db, None, PERIOD)
    db.rollback()
    # The next period runs; its history replays the locked one.
    assert start_run(db, None, "2026-Q4").state == "draft"


def test_a_plan_changing_version_mid_period(db, org):
    v2 = activate_plan(db, rate="0.10", effective=date(2026, 8, 1))
    db.commit()
    run = start_run(db, None, PERIOD)
    db.commit()
    v1 = version_governing(db, "pay-plan", date(2026, 7, 31))
    assert run.plan_versions["pay-plan"] == sorted(
        [v2.content_hash, v1.content_hash],
        key=lambda h: h != v2.content_hash,  # the period-end version first
    )
    closes = dict(db.execute(select(Deal.id, Deal.close_date)).all())
    lines = db.scalars(
        select(PayoutLine).where(PayoutLine.run_id == run.id, PayoutLine.plan_key == "pay-plan")
    ).all()
    assert lines
    for ln in lines:
        day = closes.get(ln.deal_id)
        if day and date(2026, 7, 1) <= day:
            expected = v2 if day >= date(2026, 8, 1) else v1
            assert ln.plan_version_hash == expected.content_hash, ln.line_key
    # New business pays 6% before August and 10% from August on.
    rates = {ln.rate for ln in lines if ln.kind == "commission"}
    assert rates >= {Decimal("0.06"), Decimal("0.1")}


def test_refusals(db, org, make_user):
    with pytest.raises(NotAllowed):
        start_run(db, make_user("rep"), PERIOD)
    with pytest.raises(RunRejected) as bad:
        start_run(db, None, "2026-Q5")
    assert bad.value.problems[0].path == "period"
    with pytest.raises(RunRejected):
        start_run(db, None, "2024-Q1")  # no version governs it
    db.rollback()
    assert db.scalars(select(PayoutRun)).all() == []
