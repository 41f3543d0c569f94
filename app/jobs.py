"""Payout run jobs: a run of a period requested now, built by a worker thread, polled.

    job = create_job(session, actor, "2026-Q3")  # queued; flushes, the caller commits
    submit(job.id)                               # the worker: building -> done | failed
    job_status(sessionmaker, job.id)             # state, progress, counts, problems

The run is `start_run`, ONE transaction; the job row around it is written in short
transactions of this module's own (building, progress, failed), `done` in the run's, so
a job is never done without its run. Progress is also kept in this process (on SQLite
the build holds the only write lock). A job whose worker is gone (this host and a dead
pid, or this process and no thread on it) reads failed and is marked so, in a
transaction of its own, which frees its period; other hosts' jobs are not judged.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.database import begin_writing, database
from governance import audit
from governance.errors import Conflict, GovernanceError, NotFound, RunRejected
from governance.paging import page
from governance.payouts.runs import Progress, check_begun, start_run
from governance.permissions import require
from models import PayoutRun, PayoutRunJob, User
from models.base import utcnow
from models.payout_jobs import ACTIVE_STATES
from rules.period import Period, PeriodError
from rules.problems import Problem

log = logging.getLogger(__name__)

OBJECT_TYPE = "payout_run_job"
STOPPED = "The process building it stopped before the run was committed; nothing was written."
UNEXPECTED = "The run failed unexpectedly (see the server log); nothing was written."
# At most one progress write per this many seconds (PostgreSQL): a write per batch of
# 250 statements is cheap, but a fast run should not double its commits for it.
PROGRESS_EVERY = 1.0


class _Registry:
    """Jobs this process is working on (queued or building) and their progress; and the
    jobs whose final state it has committed.

    The latter closes a race: a reader may load a job as building just before the worker
    commits it done and lets go of it; the job is then not stale, only read early.
    Keyed by id and creation time (ids of rolled-back rows are reused on SQLite).
    """

    KEEP = 10_000  # finished jobs remembered (oldest forgotten first)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, tuple[int, int] | None] = {}
        self._finished: OrderedDict[int, Any] = OrderedDict()

    def add(self, job_id: int) -> None:
        with self._lock:
            self._jobs[job_id] = None

    def update(self, job_id: int, done: int, total: int) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = (done, total)

    def discard(self, job_id: int) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def get(self, job_id: int) -> tuple[bool, tuple[int, int] | None]:
        with self._lock:
            return job_id in self._jobs, self._jobs.get(job_id)

    def finish(self, job_id: int, created_at: Any) -> None:
        with self._lock:
            self._finished[job_id] = created_at
            while len(self._finished) > self.KEEP:
                self._finished.popitem(last=False)

    def finished(self, job_id: int, created_at: Any) -> bool:
        with self._lock:
            return job_id in self._finished and self._finished[job_id] == created_at


registry = _Registry()


def this_worker() -> str:
    # Read at each call, not at import: a forked server worker has its own pid.
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def is_stale(job: PayoutRunJob) -> bool:
    """True when the job is queued or building but nothing is working on it any more."""
    if job.state not in ACTIVE_STATES or not job.worker:
        return False
    host, _, pid_text = job.worker.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another host's process cannot be checked from here
    pid = int(pid_text)
    if pid == os.getpid():
        return not registry.get(job.id)[0] and not registry.finished(job.id, job.created_at)
    return not _pid_alive(pid)


# --------------------------------------------------------------------------- starting


def create_job(session: Session, actor: Any | None, period: str) -> PayoutRunJob:
    """Queue a run of `period` for this process; flushes, the caller commits.

    Refuses a bad period (RunRejected, before anything is queued) and a second job of a
    period while one is queued or building (Conflict). The job is in this process's
    registry from here on: the caller hands it to its worker (or calls `forget` if its
    commit fails).
    """
    require(actor, "payouts.run", "Starting a payout run")
    try:
        target = Period.parse(period)
    except PeriodError as exc:
        raise RunRejected("Not a period.", [Problem("period", str(exc))]) from None
    check_begun(target)  # an early run is built in the request, not queued
    for active in session.scalars(
        select(PayoutRunJob).where(
            PayoutRunJob.period == target.name, PayoutRunJob.state.in_(ACTIVE_STATES)
        )
    ):
        if not _reap(session, active):
            raise Conflict(
                f"A run of {target.name} is already {active.state} (job {active.id}).",
                [Problem("period", f"job {active.id} is {active.state}")],
            )
    job = PayoutRunJob(
        period=target.name,
        state="queued",
        started_by_id=getattr(actor, "id", None),
        worker=this_worker(),
        problems=[],
    )
    session.add(job)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"A run of {target.name} was queued at the same moment.") from None
    except OperationalError:
        # SQLite: another run holds the write lock for its whole build (busy timeout).
        raise Conflict(
            "Another payout run is being built (the database has one writer); "
            "start this one when it has finished."
        ) from None
    registry.add(job.id)
    return job


def forget(job_id: int) -> None:
    """The job will not be executed by this process (its creation was rolled back)."""
    registry.discard(job_id)


# --------------------------------------------------------------------------- executing


class _Progress:
    """start_run's progress callback: the registry always, the row on PostgreSQL."""

    def __init__(
        self, sessions: sessionmaker, job_id: int, write_row: bool, observer: Progress | None
    ) -> None:
        self.sessions, self.job_id, self.write_row = sessions, job_id, write_row
        self.observer = observer
        self.last = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        registry.update(self.job_id, done, total)
        now = time.monotonic()
        if self.write_row and (now - self.last >= PROGRESS_EVERY or done >= total):
            self.last = now
            # Its own session: a transaction apart from the run's, committed at once.
            with self.sessions() as side:
                side.execute(
                    update(PayoutRunJob)
                    .where(PayoutRunJob.id == self.job_id, PayoutRunJob.state == "building")
                    .values(progress_done=done, progress_total=total, heartbeat_at=utcnow())
                )
                side.commit()
        if self.observer is not None:
            self.observer(done, total)


def execute_job(sessions: sessionmaker, job_id: int, *, on_progress: Progress | None = None) -> str:
    """Build the job's run (the worker's side); returns the job's final state.

    `sessions` makes the worker's own sessions (never a request's session). Refusals of
    the run (RunRejected, Conflict, NotAllowed...) and any other error leave the job
    failed with the message and problems; the run's transaction is rolled back.
    `on_progress(done, total)` is called after each progress report, in the worker
    while the run's transaction is open (tests observe the job from there).
    """
    try:
        begun = _begin(sessions, job_id)
        if isinstance(begun, str):
            return begun
        state = _build(sessions, job_id, *begun[:3], on_progress)
        registry.finish(job_id, begun[3])  # committed: a reader may still hold it as building
        return state
    except Exception:
        # The job's own bookkeeping failed (the database is gone, or SQLite's write lock
        # stayed taken): the job is left as it was; once this process no longer works
        # on it (the registry, below), it reads as failed.
        log.exception("payout run job %s: could not be run or recorded", job_id)
        return "failed"
    finally:
        registry.discard(job_id)


def _begin(sessions: sessionmaker, job_id: int) -> str | tuple[int | None, str, str, Any]:
    """queued -> building, committed; its state instead when it is not queued."""
    with sessions() as session:
        begin_writing(session)  # SQLite: queue for the write lock, never fail upgrading
        job = session.get(PayoutRunJob, job_id)
        if job is None or job.state != "queued":
            return job.state if job is not None else "missing"
        job.state = "building"
        job.started_at = job.heartbeat_at = utcnow()
        job.worker = this_worker()
        dialect = session.get_bind().dialect.name
        session.commit()
        return job.started_by_id, job.period, dialect, job.created_at


def _build(
    sessions: sessionmaker,
    job_id: int,
    actor_id: int | None,
    period: str,
    dialect: str,
    on_progress: Progress | None,
) -> str:
    progress = _Progress(sessions, job_id, dialect == "postgresql", on_progress)
    with sessions() as session:
        try:
            begin_writing(session)
            actor = session.get(User, actor_id) if actor_id is not None else None
            run = start_run(session, actor, period, progress=progress)
            # Done in the run's transaction: the job is done exactly when the run is.
            job = session.get(PayoutRunJob, job_id)
            job.state, job.run_id = "done", run.id
            job.progress_done, job.progress_total = run.progress_total, run.progress_total
            job.finished_at = job.heartbeat_at = utcnow()
            session.commit()
            return "done"
        except GovernanceError as exc:
            session.rollback()
            _fail(sessions, job_id, exc.message, exc.problems, actor_id)
        except Exception:
            session.rollback()
            log.exception("payout run job %s (%s) failed", job_id, period)
            _fail(sessions, job_id, UNEXPECTED, (), actor_id)
        return "failed"


def _fail(
    sessions: sessionmaker,
    job_id: int,
    message: str,
    problems: tuple[Problem, ...] | list[Problem],
    actor_id: int | None,
) -> None:
    with sessions() as session:
        begin_writing(session)
        job = session.get(PayoutRunJob, job_id)
        actor = session.get(User, actor_id) if actor_id is not None else None
        _mark_failed(session, job, message, problems, actor)
        session.commit()


def _mark_failed(
    session: Session,
    job: PayoutRunJob,
    message: str,
    problems: tuple[Problem, ...] | list[Problem],
    actor: Any | None,
) -> None:
    job.state = "failed"
    job.message = message
    job.problems = [p.as_dict() for p in problems]
    job.finished_at = utcnow()
    if job.progress_done > job.progress_total:  # the CHECK: never, but be safe
        job.progress_done = job.progress_total
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.failed",
        OBJECT_TYPE,
        job.label,
        payload={"period": job.period, "message": message, "problems": job.problems},
    )
    session.flush()


def _reap(session: Session, job: PayoutRunJob) -> bool:
    """Mark a job whose worker is gone failed (flushes); True when it was stale."""
    if not is_stale(job):
        return False
    log.warning("payout run job %s (%s): its worker %s is gone", job.id, job.period, job.worker)
    _mark_failed(session, job, STOPPED, (), None)
    return True


# --------------------------------------------------------------------------- reading


def job_status(sessions: sessionmaker, job_id: int) -> dict[str, Any]:
    """One job's `status`, read in a session of its own; a stale job is marked failed
    there and committed (the job's bookkeeping, not the reader's transaction)."""
    with sessions() as session:
        job = session.get(PayoutRunJob, job_id)
        if job is None:
            raise NotFound(f"No payout run job {job_id}.")
        _reap(session, job)
        out = status(session, job)
        session.commit()
    return out


def job_statuses(
    sessions: sessionmaker, *, period: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """A page of jobs' `status`, newest first, read as `job_status` reads one."""
    stmt = select(PayoutRunJob)
    if period:
        stmt = stmt.where(PayoutRunJob.period == period)
    with sessions() as session:
        rows, total = page(
            session, stmt.order_by(PayoutRunJob.id.desc()), offset=offset, limit=limit
        )
        for job in rows:
            _reap(session, job)
        out = [status(session, job) for job in rows]
        session.commit()
    return out, total


def active_statuses(session: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """Queued and building jobs, newest first, with their progress (read-only: a stale
    job is left out here, and marked failed by the next API read of it)."""
    rows = session.scalars(
        select(PayoutRunJob)
        .where(PayoutRunJob.state.in_(ACTIVE_STATES))
        .order_by(PayoutRunJob.id.desc())
        .limit(limit)
    )
    return [status(session, job) for job in rows if not is_stale(job)]


COUNTS = ("participant_count", "deal_count", "statement_count", "line_count", "recomputed_count")


def status(session: Session, job: PayoutRunJob) -> dict[str, Any]:
    """What a client polls: the row, progress merged from this process, the run's counts."""
    out = {
        column: getattr(job, column)
        for column in (
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
    }
    if job.state in ACTIVE_STATES:
        _here, progress = registry.get(job.id)
        if progress is not None and progress[0] >= job.progress_done:
            out["progress_done"], out["progress_total"] = progress
    out["counts"] = None
    if job.run_id is not None:
        run = session.get(PayoutRun, job.run_id)
        if run is not None:
            out["counts"] = {name: getattr(run, name) for name in COUNTS}
    return out


# --------------------------------------------------------------------------- the worker

_pool_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_futures: dict[int, Future] = {}


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _pool_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-run")
        return _executor


def submit(job_id: int) -> None:
    """Build a committed, queued job: on this process's one worker thread (later jobs wait
    queued), with sessions of its own from the app's sessionmaker. With the config key
    `PAYOUT_JOBS_INLINE` (default: on when TESTING) in the request itself instead, after
    the job was committed: deterministic tests, and the app's sessions may then be bound
    to one test connection that threads must not share."""
    sessions = database().sessionmaker
    config = current_app.config
    if config.get("PAYOUT_JOBS_INLINE", config.get("TESTING", False)):
        execute_job(sessions, job_id)
        return
    future = _pool().submit(execute_job, sessions, job_id)
    with _pool_lock:
        _futures[job_id] = future
    future.add_done_callback(lambda _f: _drop(job_id))


def _drop(job_id: int) -> None:
    with _pool_lock:
        _futures.pop(job_id, None)


def wait_for(job_id: int, timeout: float = 60.0) -> str | None:
    """Wait until this process's worker has finished the job; its final state, or None
    when the job is not (or no longer) pending here."""
    with _pool_lock:
        future = _futures.get(job_id)
    if future is None:
        return None
    return future.result(timeout=timeout)
