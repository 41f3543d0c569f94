"""Payout run jobs: a run of a period requested now, built by a Celery worker, polled.

    job = create_job(session, actor, "2026-Q3")  # queued; queue_run publishes its task
    execute_job(sessions, job_id, ...)           # the worker (app/tasks/payout_runs.py)
    job_status(sessionmaker, job_id)             # state, progress, counts, problems

The database is the source of truth: the job row is committed before its task is
published, by the one queueing mechanism of all background work (app/tasks/queueing.py,
the rows' bookkeeping `ROWS` in governance/queueing.py): a job whose publish fails is
deleted again (503, nothing written), one whose web process died in between is
published again by the sweep. What is the payout run's own: one active job per period,
the build. The run is `start_run`, ONE transaction, in which the job also becomes
`done`; a task delivered twice (a lost worker, a sweep) finds the job done or failed
and does nothing, or waits on the job's lock while the other delivery builds. Progress:
the job row on PostgreSQL, a small file beside the database on SQLite (whose only write
lock the build holds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.job_progress import ProgressFiles
from app.tasks import queueing
from app.tasks.queueing import take_write_lock
from governance.errors import Conflict, GovernanceError, NotFound, RunRejected, kind_named
from governance.paging import page
from governance.payouts import staging
from governance.payouts.runs import Progress, check_begun, start_run
from governance.permissions import require
from governance.queueing import QueuedRows, TryLater  # noqa: F401 (callers import it from here)
from models import PayoutRun, PayoutRunJob, User
from models.base import utcnow
from models.payout_jobs import ACTIVE_STATES
from rules.period import Period, PeriodError
from rules.problems import Problem

log = logging.getLogger(__name__)

OBJECT_TYPE = "payout_run_job"
UNEXPECTED = "The run failed unexpectedly (see the worker's log); nothing was written."
LOST = (
    "The run was started {n} times and its worker was lost each time (killed, out of "
    "memory?); nothing was written. See the worker's log."
)
MISMATCH = "The task does not match its job; nothing was written."
MAX_ATTEMPTS = 3  # deliveries that may claim a job before it is failed
# At most one progress write per this many seconds: a write per batch of 250
# statements is cheap, but a fast run should not double its commits for it.
PROGRESS_EVERY = 1.0
WAIT_EVERY = 0.1  # seconds between two reads of a job that a request waits for
LOCK_NAMESPACE = 8013  # pg_advisory_xact_lock(namespace, job id); background jobs use 8014
ROWS = QueuedRows(PayoutRunJob, ACTIVE_STATES, "payout run job", OBJECT_TYPE)


# --------------------------------------------------------------------------- queuing


def create_job(
    session: Session, actor: Any | None, period: str, *, early: bool = False
) -> PayoutRunJob:
    """Queue a run of `period`; flushes, the caller commits, then publishes its task.

    Refuses a bad period (RunRejected, before anything is queued), one not begun unless
    `early` (start_run audits it), and a second job of a period while one is queued or
    building (Conflict: the partial unique index decides between simultaneous requests).
    """
    require(actor, "payouts.run", "Starting a payout run")
    try:
        target = Period.parse(period)
    except PeriodError as exc:
        raise RunRejected("Not a period.", [Problem("period", str(exc))]) from None
    check_begun(target, early=early)
    active = session.scalars(
        select(PayoutRunJob).where(
            PayoutRunJob.period == target.name, PayoutRunJob.state.in_(ACTIVE_STATES)
        )
    ).first()
    if active is not None:
        raise _busy(target.name, active)
    job = PayoutRunJob(
        period=target.name,
        state="queued",
        early=early,
        started_by_id=getattr(actor, "id", None),
        problems=[],
    )
    session.add(job)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"A run of {target.name} was queued at the same moment.") from None
    except OperationalError:
        # SQLite: a run being built holds the only write lock (busy timeout).
        raise Conflict(
            "Another payout run is being built (the database has one writer); "
            "start this one when it has finished."
        ) from None
    return job


def _busy(period: str, active: PayoutRunJob) -> Conflict:
    return Conflict(
        f"A run of {period} is already {active.state} (job {active.id}).",
        [Problem("period", f"job {active.id} is {active.state}")],
    )


# The queue's bookkeeping (governance/queueing.py), under the names callers know.
mark_published, withdraw, stranded = ROWS.mark_published, ROWS.withdraw, ROWS.stranded
job_state = ROWS.state


# --------------------------------------------------------------------------- executing


class _Progress:
    """start_run's progress callback: the job row (PostgreSQL) or the progress file."""

    def __init__(self, sessions: sessionmaker, job_id: int, observer: Progress | None) -> None:
        self.sessions, self.job_id, self.observer = sessions, job_id, observer
        self.files = ProgressFiles.of(sessions)
        self.last = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY or done >= total:
            self.last = now
            if self.files is not None:
                self.files.put(self.job_id, done, total)
            else:  # its own transaction, apart from the run's, committed at once
                with self.sessions() as side:
                    side.execute(
                        update(PayoutRunJob)
                        .where(PayoutRunJob.id == self.job_id, PayoutRunJob.state == "building")
                        .values(progress_done=done, progress_total=total, heartbeat_at=utcnow())
                    )
                    side.commit()
        if self.observer is not None:
            self.observer(done, total)


def execute_job(
    sessions: sessionmaker,
    job_id: int,
    *,
    actor_id: int | None = None,
    worker: str | None = None,
    on_progress: Progress | None = None,
) -> str:
    """Build the job's run (a worker's side); returns the job's final state, or the
    state it was found in when there was nothing to do.

    Idempotent: only a queued or building job is claimed (building: a delivery after a
    lost worker); the build then takes the job's lock and reads the job again, so a
    second delivery waits for the first and finds it done. Refusals and errors of the
    build leave the job failed with the message and problems, nothing of the run
    written. TryLater when the lock or the database is not to be had now.
    `on_progress(done, total)` is called in the worker while the run's transaction is
    open (tests observe the job from there).
    """
    claimed = claim(sessions, job_id, worker, actor_id)
    if isinstance(claimed, str):
        return claimed
    period, started_by, early = claimed
    progress = _Progress(sessions, job_id, on_progress)
    try:
        return _build(sessions, job_id, started_by, period, early, progress)
    finally:
        if progress.files is not None:
            progress.files.drop(job_id)


def claim(
    sessions: sessionmaker, job_id: int, worker: str | None, actor_id: int | None = None
) -> str | tuple:
    """Claim a job for a delivery: queued|building -> building (attempts + 1), committed;
    returns (period, started_by_id, early), or the state found when there is nothing to
    do (a job claimed MAX_ATTEMPTS times is failed: its workers were lost). A task whose
    `actor_id` is not the job's starter fails the job ("failed")."""
    claimed = _claim(sessions, job_id, worker)
    if isinstance(claimed, tuple) and actor_id is not None and actor_id != claimed[1]:
        record_failure(sessions, job_id, MISMATCH, (), None)
        return "failed"
    return claimed


def _claim(sessions: sessionmaker, job_id: int, worker: str | None) -> str | tuple:
    def lost(session: Session, job: PayoutRunJob) -> None:
        _mark_failed(session, job, LOST.format(n=job.attempts), (), None)

    def taken(job: PayoutRunJob) -> tuple:
        job.heartbeat_at = utcnow()
        return job.period, job.started_by_id, job.early

    return queueing.claim(
        sessions,
        ROWS,
        job_id,
        worker,
        working="building",
        max_attempts=MAX_ATTEMPTS,
        lose=lost,
        taken=taken,
    )


def lock_job(session: Session, job_id: int) -> PayoutRunJob | None:
    """Take the job's lock for the run's transaction and read the job again under it;
    None when it is no longer building (another delivery finished it)."""
    return queueing.lock_row(
        session, ROWS, job_id, LOCK_NAMESPACE, "building", heartbeat_at=utcnow()
    )


def _build(
    sessions: sessionmaker,
    job_id: int,
    actor_id: int | None,
    period: str,
    early: bool,
    progress: _Progress,
) -> str:
    with sessions() as session:
        take_write_lock(session)
        with job_step(sessions, job_id, f"build of {period}", session, actor_id=actor_id):
            job = lock_job(session, job_id)
            if job is None:  # another delivery finished it meanwhile
                session.rollback()
                return job_state(sessions, job_id)
            actor = session.get(User, actor_id) if actor_id is not None else None
            run = start_run(session, actor, period, progress=progress, early=early)
            # Done in the run's transaction: the job is done exactly when the run is.
            job.state, job.run_id = "done", run.id
            job.progress_done, job.progress_total = run.progress_total, run.progress_total
            job.finished_at = job.heartbeat_at = utcnow()
            session.commit()
            return "done"
        return "failed"


# record_failure's signature: (sessions, job_id, message, problems, actor_id, *, refusal).
Fail = Callable[..., None]


def job_step(
    sessions: sessionmaker,
    job_id: int,
    what: str,
    session: Session | None = None,
    *,
    actor_id: int | None = None,
    fail: Fail | None = None,
) -> AbstractContextManager[queueing.Step]:
    """The one failure policy (`queueing.failing`) for a job's steps (build, plan, batch,
    finalize): a database busy -> TryLater; a refusal -> the job failed with its message,
    problems and refusal kind; anything else -> logged, failed with UNEXPECTED. `fail`
    (default `record_failure`) records it; the code after the `with` block runs."""
    record = fail or record_failure

    def failed(step: queueing.Step, failure: queueing.Failure) -> None:
        message = failure.message or UNEXPECTED
        record(sessions, job_id, message, failure.problems, step.actor_id, refusal=failure.refusal)

    return queueing.failing(ROWS, job_id, what, failed, session, actor_id=actor_id)


def record_failure(
    sessions: sessionmaker,
    job_id: int,
    message: str,
    problems: tuple[Problem, ...] | list[Problem],
    actor_id: int | None,
    *,
    refusal: str | None = None,
) -> None:
    """Mark the job failed with `message` and `problems` (and the `refusal`'s kind, when
    a refusal failed it), audited as `actor_id`'s, in a transaction of its own (if it is
    still active). TryLater when the database is busy."""

    def mark(session: Session, job: PayoutRunJob) -> None:
        actor = session.get(User, actor_id) if actor_id is not None else None
        job.refusal = refusal
        _mark_failed(session, job, message, problems, actor)

    queueing.fail_row(sessions, ROWS, job_id, mark)


def fail_job(sessions: sessionmaker, job_id: int, message: str = UNEXPECTED) -> None:
    """Give up on a job (its task's retries are spent): failed, audited, period free."""
    queueing.give_up(
        sessions, ROWS, job_id, lambda session, job: _mark_failed(session, job, message, (), None)
    )


def _mark_failed(
    session: Session,
    job: PayoutRunJob,
    message: str,
    problems: tuple[Problem, ...] | list[Problem],
    actor: Any | None,
) -> None:
    if job.progress_done > job.progress_total:  # the CHECK: never, but be safe
        job.progress_done = job.progress_total
    building = (job.plan or {}).get("building")
    if building is not None:  # a first build's rows go with it: the period is free
        staging.discard_building(session, building)
    ROWS.mark_failed(session, job, message, problems, actor, period=job.period)


# --------------------------------------------------------------------------- reading


def job_status(sessions: sessionmaker, job_id: int) -> dict[str, Any]:
    """One job's `status`, read in a session of its own."""
    with sessions() as session:
        job = session.get(PayoutRunJob, job_id)
        if job is None:
            raise NotFound(f"No payout run job {job_id}.")
        return status(session, job)


def wait_for(sessions: sessionmaker, job_id: int, *, seconds: float) -> PayoutRunJob | None:
    """The job once it is done or failed (detached), polled for at most `seconds`; None
    when it is still queued or building then (the caller answers with the job)."""
    deadline = time.monotonic() + seconds
    while True:
        with sessions() as session:
            job = session.get(PayoutRunJob, job_id)
            if job is None:
                raise NotFound(f"No payout run job {job_id}.")
            if job.state not in ACTIVE_STATES:
                session.expunge(job)
                return job
        if time.monotonic() >= deadline:
            return None
        time.sleep(WAIT_EVERY)


def refusal_of(job: PayoutRunJob) -> GovernanceError | None:
    """The refusal that failed `job`, as the build raised it (same kind, message and
    problems: the same HTTP status), or None when it did not fail on one."""
    kind = kind_named(job.refusal) if job.refusal else None
    if kind is None or job.state != "failed":
        return None
    return kind(job.message or "", [Problem(**problem) for problem in job.problems or ()])


def job_statuses(
    sessions: sessionmaker, *, period: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """A page of jobs' `status`, newest first."""
    stmt = select(PayoutRunJob)
    if period:
        stmt = stmt.where(PayoutRunJob.period == period)
    with sessions() as session:
        rows, total = page(
            session, stmt.order_by(PayoutRunJob.id.desc()), offset=offset, limit=limit
        )
        return [status(session, job) for job in rows], total


def active_statuses(session: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """Queued and building jobs, newest first, with their progress."""
    rows = session.scalars(
        select(PayoutRunJob)
        .where(PayoutRunJob.state.in_(ACTIVE_STATES))
        .order_by(PayoutRunJob.id.desc())
        .limit(limit)
    )
    return [status(session, job) for job in rows]


COUNTS = ("participant_count", "deal_count", "statement_count", "line_count", "recomputed_count")
FIELDS = (
    "id",
    "period",
    "state",
    "progress_done",
    "progress_total",
    "run_id",
    "message",
    "problems",
    "started_by_id",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "worker",
)


def status(session: Session, job: PayoutRunJob) -> dict[str, Any]:
    """What a client polls: the row, progress from the progress file (SQLite), the run's
    counts once done."""
    out = {column: getattr(job, column) for column in FIELDS}
    if job.state == "building":
        files = ProgressFiles.of(session)
        reported = files.get(job.id) if files is not None else None
        if reported is not None and reported[0] >= job.progress_done:
            out["progress_done"], out["progress_total"] = reported
    out["counts"] = None
    if job.run_id is not None:
        run = session.get(PayoutRun, job.run_id)
        if run is not None:
            out["counts"] = {name: getattr(run, name) for name in COUNTS}
    return out
