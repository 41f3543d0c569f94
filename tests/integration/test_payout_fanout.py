"""A fanned-out payout run (app/fanout.py): planner, batch tasks, finalizer, driven step
by step on a fresh database of each backend with real commits.

The run it writes is compared with a single-process `start_run` of the same inputs
(built first in the same database and rolled back): the same hashes, statements and
lines. A batch claimed by a delivery that died is retried and stages once; a database
error in the finalizer leaves no run and the period free. Real worker processes on
Redis: tests/integration/test_worker_e2e.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from app import fanout, jobs
from governance.errors import NotFound
from governance.payouts import batches as payout_batches
from governance.payouts import run_steps, runs
from governance.payouts.runs import start_run
from models import (
    Deal,
    PayoutLine,
    PayoutRun,
    PayoutRunJob,
    PayoutRunJobBatch,
    PayoutRunJobStaged,
    ReplacedLine,
    ReplacedStatement,
    Statement,
)
from models.engine import make_engine
from models.payout_jobs import STAGED_LINES, STAGED_STATEMENTS
from models.payouts import BUILDING
from tests.integration.payout_support import seed

PERIOD = "2026-Q3"
RUN = ("result_hash", "input_data_hash", "plan_versions", "exceptions_hash")
RUN_COUNTS = ("statement_count", "participant_count", "line_count", "deal_count")
RUN_COUNTS += ("recomputed_count",)
SKIP = {"id", "run_id", "adjusts_line_id"}


@pytest.fixture
def real(backend, migrated_database, monkeypatch):
    # Small batches: the seed's four people make four batches.
    monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", 8)
    with migrated_database(backend) as url:
        engine = make_engine(url)
        seed(engine)
        yield sessionmaker(engine)
        engine.dispose()


def _content(session: Session, run: PayoutRun) -> dict:
    """What a run pays: its hashes and counts, every statement and line (ids aside)."""

    def rows(model, order):
        found = session.scalars(select(model).where(model.run_id == run.id).order_by(*order))
        return [
            {c.name: getattr(r, c.name) for c in model.__table__.columns if c.name not in SKIP}
            for r in found
        ]

    kept = session.execute(
        select(ReplacedStatement, ReplacedLine)
        .outerjoin(ReplacedLine, ReplacedLine.statement_id == ReplacedStatement.id)
        .where(ReplacedStatement.run_id == run.id)
    )
    replaced = sorted(  # what the re-run replaced, as "what changed" reads it
        (
            (
                tuple(getattr(s, c) for c in ("participant_id", "plan_key", "change", "payable")),
                None if ln is None else (ln.kind, ln.deal_id, ln.rule, ln.amount, ln.position),
            )
            for s, ln in kept
        ),
        key=repr,
    )
    return {
        "replaced": replaced,
        "run": {k: getattr(run, k) for k in RUN + RUN_COUNTS},
        "statements": rows(Statement, (Statement.participant_id, Statement.plan_key)),
        "lines": rows(
            PayoutLine, (PayoutLine.participant_id, PayoutLine.plan_key, PayoutLine.position)
        ),
    }


def _single_process(sessions: sessionmaker, *, full: bool = False) -> dict:
    """The run `start_run` builds in one transaction, rolled back (`full`: every batch
    read and hashed, as without the change journal)."""
    with sessions() as session:
        if full:
            session.execute(update(PayoutRun).values(participant_hashes=None))
        run = start_run(session, None, PERIOD)
        content = _content(session, run)
        content["run"]["participant_hashes"] = run.participant_hashes
        session.rollback()
    return content


def _queue(sessions: sessionmaker) -> int:
    with sessions() as session:
        job = jobs.create_job(session, None, PERIOD)
        session.commit()
        return job.id


def _fan_out(sessions: sessionmaker, job_id: int, batches: int = 4) -> str:
    numbers = fanout.plan_job(sessions, job_id, worker="test")
    assert numbers == list(range(batches))
    outcomes = [fanout.run_batch(sessions, job_id, n, worker="test") for n in numbers]
    assert outcomes == ["staged"] * (batches - 1) + ["last"]
    return fanout.finalize_job(sessions, job_id)


def _done_content(sessions: sessionmaker, job_id: int) -> dict:
    with sessions() as session:
        job = session.get(PayoutRunJob, job_id)
        assert job.state == "done", job.message
        assert (job.progress_done, job.progress_total) == (4, 4)
        assert _leftovers(session, job_id) == [0, 0, 0, 0]  # staging discarded after commit

        run = session.get(PayoutRun, job.run_id)
        content = _content(session, run)
        content["run"]["participant_hashes"] = run.participant_hashes
        return content


def _leftovers(session: Session, job_id: int) -> list[int]:
    tables = (PayoutRunJobBatch.__table__, PayoutRunJobStaged.__table__)
    return [
        session.scalar(select(func.count()).select_from(t).where(t.c.job_id == job_id))
        for t in (*tables, STAGED_STATEMENTS, STAGED_LINES)
    ]


def test_a_fanned_out_run_equals_a_single_process_run(real):
    expected = _single_process(real)
    assert expected["run"]["statement_count"] == 4 and expected["lines"]
    job_id = _queue(real)
    assert _fan_out(real, job_id) == "done"
    assert _done_content(real, job_id) == expected


def test_an_incremental_fanned_out_re_run_equals_a_single_process_re_run(real):
    assert _fan_out(real, _queue(real)) == "done"
    with real() as session:  # cy's deal changes: only cy (and di, cy's manager) move
        session.execute(update(Deal).where(Deal.id == "D-5").values(amount="99999.50"))
        session.commit()
    expected = _single_process(real)
    assert _single_process(real, full=True) == expected  # the journal missed nothing
    job_id = _queue(real)
    # Only the people the change journal reaches are planned: cy and di, one batch.
    assert _fan_out(real, job_id, batches=1) == "done"
    got = _done_content(real, job_id)
    assert got == expected
    assert {s[0] for s, _line in got["replaced"]} == {"cy", "di"}  # kept for "what changed"
    with real() as session:
        run = session.scalars(select(PayoutRun)).one()
        assert (run.version, run.recomputed_count) == (2, 2)  # cy and di rewritten
        assert session.get(PayoutRunJob, job_id).plan["gone"] == []
        assert run.input_revision and len(run.participant_hashes) == 4


def test_a_fanned_out_re_run_with_nothing_changed_plans_no_batch(real):
    assert _fan_out(real, _queue(real)) == "done"
    expected = _single_process(real, full=True)
    job_id = _queue(real)
    assert fanout.plan_job(real, job_id, worker="test") == []  # the finalizer is queued
    assert fanout.finalize_job(real, job_id) == "done"
    assert _done_content(real, job_id) == expected
    with real() as session:
        run = session.scalars(select(PayoutRun)).one()
        assert run.recomputed_count == 0  # nothing rewritten


def test_a_batch_whose_delivery_died_is_retried_and_stages_once(real):
    expected = _single_process(real)
    job_id = _queue(real)
    numbers = fanout.plan_job(real, job_id, worker="test")
    # A delivery claims batch 1 and dies before staging (killed worker): attempt 1.
    assert isinstance(fanout._claim_batch(real, job_id, 1), tuple)
    assert fanout.run_batch(real, job_id, 0) == "staged"
    assert fanout.run_batch(real, job_id, 1) == "staged"  # the redelivery: attempt 2
    assert fanout.run_batch(real, job_id, 1) == "skipped"  # a duplicate: writes nothing
    assert fanout.run_batch(real, job_id, 2) == "staged"
    assert fanout.finalize_job(real, job_id) == "waiting"  # batch 3 is not done
    assert fanout.run_batch(real, job_id, numbers[-1]) == "last"
    with real() as session:
        staged = session.execute(
            select(PayoutRunJobStaged.number, PayoutRunJobStaged.attempt)
            .where(PayoutRunJobStaged.job_id == job_id)
            .order_by(PayoutRunJobStaged.number)
        ).all()
        assert [tuple(s) for s in staged] == [(0, 1), (1, 2), (2, 1), (3, 1)]
        # The batches wrote their rows under a `building` run, which no reader sees yet.
        run = session.scalars(select(PayoutRun)).one()
        assert run.state == BUILDING and runs.list_runs(session) == ([], 0)
        with pytest.raises(NotFound):
            runs.get_run(session, run.id)
        written = session.scalar(select(func.count()).select_from(Statement))
        assert written == len(expected["statements"])  # each batch once
    assert fanout.finalize_job(real, job_id) == "done"
    assert fanout.finalize_job(real, job_id) == "done"  # a second finalizer: nothing
    assert _done_content(real, job_id) == expected


def test_a_database_error_in_the_finalizer_leaves_no_run_and_the_period_free(real, monkeypatch):
    expected = _single_process(real)
    job_id = _queue(real)
    numbers = fanout.plan_job(real, job_id, worker="test")
    for n in numbers:
        fanout.run_batch(real, job_id, n)

    def broken(session, run):  # the database refuses a statement of the finalizer's
        session.execute(text("UPDATE payout_runs SET version = 0 WHERE id = :id"), {"id": run.id})

    with monkeypatch.context() as patched:
        patched.setattr(run_steps.payout_adjustments, "mark_adjustments", broken)
        assert fanout.finalize_job(real, job_id) == "failed"  # the CHECK on version refuses
    with real() as session:
        job = session.get(PayoutRunJob, job_id)
        assert job.state == "failed" and job.run_id is None
        assert session.scalar(select(func.count()).select_from(PayoutRun)) == 0
        assert session.scalar(select(func.count()).select_from(Statement)) == 0
        assert _leftovers(session, job_id) == [0, 0, 0, 0]
    again = _queue(real)  # the period is free: a new job builds it
    assert _fan_out(real, again) == "done"
    assert _done_content(real, again) == expected


def test_a_building_run_left_by_a_job_that_vanished_is_replaced_by_the_next_build(real):
    """A first build's rows go with its job when it fails (`_mark_failed`); should a
    job stop holding its period any other way, the next planner deletes the leftover."""
    expected = _single_process(real)
    job_id = _queue(real)
    for n in fanout.plan_job(real, job_id, worker="test")[:2]:
        fanout.run_batch(real, job_id, n)
    with real() as session:  # the job row is gone (say, deleted by hand): nobody fails it
        session.execute(delete(PayoutRunJob).where(PayoutRunJob.id == job_id))
        session.commit()
        assert session.scalars(select(PayoutRun.state)).all() == [BUILDING]
    again = _queue(real)
    assert _fan_out(real, again) == "done"
    assert _done_content(real, again) == expected
    with real() as session:
        assert session.scalars(select(PayoutRun.state)).all() == ["draft"]
