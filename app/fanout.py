"""A payout run job fanned out: a planner, one task per participant batch, a finalizer.

    numbers = plan_job(sessions, job_id, actor_id=..., worker=...)   # the planner task
    last = run_batch(sessions, job_id, number, worker=...)            # each batch task
    state = finalize_job(sessions, job_id)                            # once all are done

The steps are `governance.payouts.run_steps`' (the same code `start_run` composes in one
transaction). The planner records the batches in `payout_run_job_batches`; a batch task
evaluates its batch outside any write lock and stages its statement and line rows
(`governance.payouts.staging`) in one transaction, only if no other delivery finished
the batch first (a killed batch retried writes once). The batch that finishes last says
so (the job row's lock, taken just before commit, orders the batches' ends), and the
finalizer then moves the staged rows into the run with INSERT ... SELECT in ONE
transaction under the job's and the period's locks: readers never see a half-built run,
and a failure there leaves no run and the period free. Docs: docs/payout-runs.md,
"Fanned out"; decisions: docs/decisions.md, "Fan-out" and "Fan-out speed (issue 13)".
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.jobs import (
    LOST,
    MAX_ATTEMPTS,
    TryLater,
    claim,
    job_state,
    job_step,
    lock_job,
    record_failure,
    take_write_lock,
)
from governance.errors import Conflict
from governance.payouts import staging
from governance.payouts.batches import Batch
from governance.payouts.run_steps import (
    BatchResult,
    RunPlan,
    evaluate_batch,
    finalize_run,
    kept_hashes,
    lock_period,
    parse_period,
    plan_run,
)
from governance.payouts.staging import plain
from models import PayoutRun, PayoutRunJob, PayoutRunJobBatch, User
from models.base import utcnow
from models.payouts import BUILDING
from rules.gcpause import paused_gc

log = logging.getLogger(__name__)

CHANGED = (
    "The period's plans, exceptions or draft changed while the run was built; nothing was "
    "written. Start it again."
)


def _plan_record(plan: RunPlan, count: int) -> dict[str, Any]:
    return plain(
        {
            "draft": list(plan.draft()),
            "plan_versions": plan.inputs.plan_versions,
            "exceptions_hash": plan.inputs.exceptions_hash,
            "batches": count,
        }
    )


def _journal_record(plan: RunPlan) -> dict[str, Any]:
    """What the finalizer needs of an incremental plan (`plan_run(incremental=True)`):
    the journal revision read before the inputs and, if only the changed people were
    planned, those gone from the data (`gone`; None for a full pass)."""
    return {
        "revision": plan.revision,
        "gone": None if plan.kept is None else sorted(plan.gone),
    }


def _same(plan: RunPlan, record: dict[str, Any]) -> bool:
    """Whether `plan` (read again now) is what the planner recorded."""
    now = _plan_record(plan, record["batches"])
    return all(record.get(key) == value for key, value in now.items())


def _as_planned(plan: RunPlan, record: dict[str, Any]) -> RunPlan:
    """The finalizer's plan (`evaluating=False`) given the planner's revision and, for
    an incremental plan, the draft's hashes of the people not evaluated again."""
    plan.revision = record.get("revision")
    plan.building = record.get("building")
    if record.get("gone") is not None:
        plan.kept = kept_hashes(plan.draft_hashes, record["gone"])
    return plan


def _actor(session: Session, actor_id: int | None) -> User | None:
    return session.get(User, actor_id) if actor_id is not None else None


# --------------------------------------------------------------------------- planning


def plan_job(
    sessions: sessionmaker,
    job_id: int,
    *,
    actor_id: int | None = None,
    worker: str | None = None,
    deals_per_batch: int | None = None,
) -> list[int] | str:
    """Plan the job's run: its batch numbers to queue (all of them, or on a redelivered
    planner those not done yet; [] when every batch is done: queue the finalizer), or
    the state the job was found in when there is nothing to do."""
    with sessions() as session:
        job = session.get(PayoutRunJob, job_id)
        if job is not None and job.state == "building" and job.plan is not None:
            return _pending(session, job_id)  # planned already: a redelivery
    claimed = claim(sessions, job_id, worker, actor_id)
    if isinstance(claimed, str):
        return claimed
    period, started_by, early = claimed
    with sessions() as session:
        take_write_lock(session)
        with job_step(sessions, job_id, "planner", session, actor_id=started_by):
            job = lock_job(session, job_id)
            if job is None:
                session.rollback()
                return job_state(sessions, job_id)
            if job.plan is not None:
                return _pending(session, job_id)
            actor = _actor(session, started_by)
            plan = plan_run(
                session,
                actor,
                period,
                early=early,
                deals_per_batch=deals_per_batch,
                incremental=True,
            )
            for number, batch in enumerate(plan.batches):
                adjustments = {p: plan.adjustments.get(p) for p in batch.people}
                adjustments = {p: lines for p, lines in adjustments.items() if lines}
                session.add(
                    PayoutRunJobBatch(
                        job_id=job_id,
                        number=number,
                        people_count=len(batch.people),
                        batch=_batch_document(batch),
                        adjustments=plain(adjustments),
                    )
                )
            building = {"building": _building_run(session, plan, started_by)}
            job.plan = _plan_record(plan, len(plan.batches)) | _journal_record(plan) | building
            job.progress_done, job.progress_total = 0, plan.inputs.participant_count
            session.commit()
            return list(range(len(plan.batches)))
        return "failed"


def _building_run(session: Session, plan: RunPlan, started_by: int | None) -> int | None:
    """A first build's run, in the state `building`, that its batches write into (None
    on a re-run of a draft: its batches stage, and the finalizer replaces what changed).
    A building run of the period left by a job that failed without cleaning up is
    deleted first: this job holds the period now."""
    if plan.run_id is not None:
        return None
    staging.discard_building(session, period=plan.target.name)
    target = plan.target
    run = PayoutRun(
        period=target.name,
        period_start=target.start,
        period_end=target.end,
        state=BUILDING,
        started_by_id=started_by,
        started_at=utcnow(),
        plan_versions=plan.inputs.plan_versions,
        exceptions_hash=plan.inputs.exceptions_hash,
        input_data_hash="",
        progress_total=plan.inputs.participant_count,
    )
    session.add(run)
    session.flush()
    return run.id


def _pending(session: Session, job_id: int) -> list[int]:
    return list(
        session.scalars(
            select(PayoutRunJobBatch.number)
            .where(PayoutRunJobBatch.job_id == job_id, PayoutRunJobBatch.state != "done")
            .order_by(PayoutRunJobBatch.number)
        )
    )


def _batch_document(batch: Batch) -> dict[str, list[str]]:
    return {
        "people": sorted(batch.people),
        "credited": sorted(batch.credited),
        "extra_deals": sorted(batch.extra_deals),
    }


def _batch_of(document: dict[str, list[str]]) -> Batch:
    return Batch(
        frozenset(document["people"]),
        frozenset(document["credited"]),
        frozenset(document["extra_deals"]),
    )


# --------------------------------------------------------------------------- a batch


@paused_gc()
def run_batch(
    sessions: sessionmaker, job_id: int, number: int, *, worker: str | None = None
) -> str:
    """Evaluate and stage batch `number`: "last" when it was the job's last batch to
    finish (queue the finalizer), "staged", or "skipped" (the job is not building, or
    another delivery staged the batch already). TryLater when the database is busy.
    The cyclic collector stays paused until the batch is staged: its rows hold no
    cycles, and collections rescanned them while they were written (0.05-0.22 CPU s a
    20,000-deal batch; rules/gcpause.py)."""
    claimed = _claim_batch(sessions, job_id, number)
    if isinstance(claimed, str):
        return claimed
    job_plan, period, started_by, early, batch, adjustments, attempt = claimed
    result = None
    step = job_step(
        sessions, job_id, f"batch {number}", actor_id=started_by, fail=_fail_and_discard
    )
    with step, sessions() as session:  # reads only: no write lock while it evaluates
        plan = plan_run(session, _actor(session, started_by), period, early=early, evaluating=False)
        if not _same(plan, job_plan):
            raise Conflict(CHANGED)
        plan.also |= set(adjustments)
        result = evaluate_batch(session, plan, batch, adjustments)
        session.rollback()
    if result is None:  # failed: job_step recorded it
        return "skipped"
    outcome = _stage(sessions, job_id, number, attempt, result)
    log.info("payout run job %s, batch %s, attempt %s: %s", job_id, number, attempt, outcome)
    return outcome


def _claim_batch(sessions: sessionmaker, job_id: int, number: int) -> str | tuple:
    try:
        with sessions() as session:
            take_write_lock(session)
            job = session.get(PayoutRunJob, job_id)
            row = session.get(PayoutRunJobBatch, (job_id, number))
            if job is None or job.state != "building" or row is None or row.state == "done":
                return "skipped"
            if row.attempts >= MAX_ATTEMPTS:
                session.rollback()
                _fail_and_discard(sessions, job_id, LOST.format(n=row.attempts), (), None)
                return "skipped"
            # The job row is not written here: a batch's stage locks it (serialising the
            # batches' ends), and a claim must not wait for that.
            row.state, row.attempts = "running", row.attempts + 1
            out = (
                job.plan,
                job.period,
                job.started_by_id,
                job.early,
                _batch_of(row.batch),
                dict(row.adjustments or {}),
                row.attempts,
            )
            session.commit()
            return out
    except OperationalError as exc:
        raise TryLater(str(exc.orig or exc)) from exc


def _stage(
    sessions: sessionmaker, job_id: int, number: int, attempt: int, result: BatchResult
) -> str:
    """Write the batch's result once, in one transaction: under the batch row's lock
    while its rows are copied (batches do not wait for each other), then under the job
    row's lock for the count that says which batch is the last (held only to commit)."""
    try:
        with sessions() as session:
            take_write_lock(session)
            row = _locked(session, PayoutRunJobBatch, PayoutRunJobBatch.job_id == job_id,
                          PayoutRunJobBatch.number == number)  # fmt: skip
            job = session.get(PayoutRunJob, job_id)
            if job is None or job.state != "building" or row is None or row.state == "done":
                return "skipped"
            staging.discard(session, job_id, number)  # none: a stage commits whole
            building = (job.plan or {}).get("building")
            staging.stage_batch(session, job_id, number, attempt, result, building=building)
            row.state, row.finished_at = "done", utcnow()
            session.flush()
            # FOR NO KEY UPDATE: the staged rows' foreign keys hold KEY SHARE on the job
            # row; FOR UPDATE would deadlock two batches staging at once.
            job = _locked(session, PayoutRunJob, PayoutRunJob.id == job_id)
            if job is None or job.state != "building":  # failed meanwhile
                session.rollback()
                return "skipped"
            job.progress_done = min(job.progress_total, job.progress_done + row.people_count)
            job.heartbeat_at = utcnow()
            session.flush()
            left = session.scalar(
                select(func.count())
                .select_from(PayoutRunJobBatch)
                .where(PayoutRunJobBatch.job_id == job_id, PayoutRunJobBatch.state != "done")
            )
            session.commit()
            return "staged" if left else "last"
    except OperationalError as exc:
        raise TryLater(str(exc.orig or exc)) from exc


def _locked(session: Session, model: type, *where: Any) -> Any:
    """The row, read again FOR NO KEY UPDATE (PostgreSQL; SQLite's write lock is the
    lock): the row's writers wait, inserts referencing it do not."""
    stmt = select(model).where(*where).with_for_update(key_share=True)
    return session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


# --------------------------------------------------------------------------- finalizing


def finalize_job(sessions: sessionmaker, job_id: int) -> str:
    """Write the job's run from its staged batches in ONE transaction; the job's final
    state ("waiting" while a batch is not done: a later finalizer will come)."""
    with sessions() as session:
        take_write_lock(session)
        with job_step(sessions, job_id, "finalizer", session, fail=_fail_and_discard) as step:
            job = lock_job(session, job_id)
            if job is None or job.plan is None:
                session.rollback()
                return job_state(sessions, job_id)
            step.actor_id = job.started_by_id
            numbers = list(
                session.scalars(
                    select(PayoutRunJobBatch.number)
                    .where(PayoutRunJobBatch.job_id == job_id, PayoutRunJobBatch.state == "done")
                    .order_by(PayoutRunJobBatch.number)
                )
            )
            if numbers != list(range(job.plan["batches"])):
                session.rollback()
                return "waiting"
            actor = _actor(session, step.actor_id)
            lock_period(session, parse_period(job.period))
            plan = plan_run(session, actor, job.period, early=job.early, evaluating=False)
            if not _same(plan, job.plan):
                raise Conflict(CHANGED)
            plan = _as_planned(plan, job.plan)
            run = finalize_run(session, actor, plan, staging.StagedRun(job_id, numbers))
            job.state, job.run_id = "done", run.id
            job.progress_done = job.progress_total = run.progress_total
            job.finished_at = job.heartbeat_at = utcnow()
            session.commit()
        if step.failed:
            return "failed"
    _discard_staging(sessions, job_id)
    return "done"


def _discard_staging(sessions: sessionmaker, job_id: int) -> None:
    """Delete a finished or failed job's batches and staged rows, in a transaction of
    their own after the run's (the run is visible meanwhile; staging is read by nothing
    else, and a job's leftovers are deleted with it)."""
    started = time.perf_counter()
    try:
        with sessions() as session:
            take_write_lock(session)
            staging.discard(session, job_id)
            session.execute(delete(PayoutRunJobBatch).where(PayoutRunJobBatch.job_id == job_id))
            session.commit()
    except (OperationalError, TryLater) as exc:
        log.warning("payout run job %s: staging left in place (%s)", job_id, exc)
        return
    log.info("payout run job %s: staging discarded in %.1fs", job_id, time.perf_counter() - started)


def _fail_and_discard(
    sessions: sessionmaker,
    job_id: int,
    message: str,
    problems,
    actor_id: int | None,
    *,
    refusal: str | None = None,
) -> None:
    """`record_failure`, then the job's staged batches discarded (the steps' `fail`)."""
    record_failure(sessions, job_id, message, problems, actor_id, refusal=refusal)
    _discard_staging(sessions, job_id)
