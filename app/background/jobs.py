"""Background jobs: queued from a request, run by a Celery worker, polled.

    job = queue(actor, "import", parameters, input=body)   # committed, then published
    execute(sessions, job_id, actor_id=..., worker=...)    # the worker (app/tasks/background.py)
    status(job) / find(session, actor, job_id)             # what a client polls

Queued, published, swept and retried by the one mechanism of all background work
(app/tasks/queueing.py; the rows' bookkeeping `ROWS`, governance/queueing.py): the job
row is committed before its task is published; a publish the broker refuses withdraws
the row (503, nothing written), a web process dying in between leaves it to the sweep. The work is
ONE transaction in which the job also becomes `done`; a task delivered twice finds the
job done or failed and does nothing, or waits on the job's lock while the other
delivery works. The requester is the actor: the worker reads the user again and the
kind checks their permissions as the request did.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session, sessionmaker

from app.background import progress
from app.background.kind import Outcome
from app.background.registry import KINDS
from app.database import unit_of_work
from app.tasks import queueing
from app.tasks.queueing import take_write_lock
from governance.errors import Conflict, NotAllowed, NotFound
from governance.paging import page
from governance.permissions import Actor, has_permission
from governance.queueing import QueuedRows
from models import User
from models.base import utcnow
from models.jobs import ACTIVE_STATES, Job
from rules.problems import Problem

log = logging.getLogger(__name__)

RUN = "accord.background.run"
OBJECT_TYPE = "job"
UNEXPECTED = "The job failed unexpectedly (see the worker's log); nothing was written."
LOST = (
    "The job was started {n} times and its worker was lost each time (killed, out of "
    "memory?); nothing was written. See the worker's log."
)
UNAVAILABLE = (
    "The task queue is unavailable: the job was not queued and nothing was written. "
    "Try again later."
)
MAX_ATTEMPTS = 3  # deliveries that may claim a job before it is failed
LOCK_NAMESPACE = 8014  # pg_advisory_xact_lock(namespace, job id); payout runs use 8013
ROWS = QueuedRows(Job, ACTIVE_STATES, "job", OBJECT_TYPE)


# --------------------------------------------------------------------------- queuing


def queue(
    actor: Actor, kind: str, parameters: dict[str, Any], *, input: bytes | None = None
) -> Job:
    """Commit a queued job of `kind` and publish its task; the job (detached). 503 when
    the broker is unavailable: the job is withdrawn, nothing is left written."""
    if kind not in KINDS:
        raise KeyError(f"unknown job kind {kind!r}")
    with unit_of_work() as session:
        job = Job(
            kind=kind,
            state="queued",
            requested_by_id=getattr(actor, "id", None),
            parameters=parameters,
            problems=[],
            input=input,
        )
        session.add(job)
        session.flush()
    queueing.publish_or_503(ROWS, RUN, job.id, job.requested_by_id, unavailable=UNAVAILABLE)
    return job


# The queue's bookkeeping (governance/queueing.py), under the names callers know.
mark_published, withdraw, stranded = ROWS.mark_published, ROWS.withdraw, ROWS.stranded


# --------------------------------------------------------------------------- executing


def execute(
    sessions: sessionmaker, job_id: int, *, actor_id: int | None = None, worker: str | None = None
) -> str:
    """Do job `job_id`'s work (a worker's side); its final state, or the state it was
    found in when there was nothing to do. Refusals leave it failed with their message
    and problems, nothing of the work written. TryLater: lock or database not to be had.
    """
    claimed = _claim(sessions, job_id, worker)
    if claimed is not None:
        return claimed
    with sessions() as session:
        take_write_lock(session)

        def failed(step: queueing.Step, failure: queueing.Failure) -> None:
            message = failure.message or (_rejected(sessions, job_id) if failure.refused else None)
            _fail(sessions, job_id, message or UNEXPECTED, failure.problems)

        with queueing.failing(ROWS, job_id, "work", failed, session):
            job = _lock(session, job_id)
            if job is None:  # another delivery finished it meanwhile
                session.rollback()
                return ROWS.state(sessions, job_id)
            kind = KINDS[job.kind]
            if actor_id != job.requested_by_id:
                raise NotAllowed("The task does not match its job.")
            actor = _actor(session, job.requested_by_id)
            outcome = kind.run(session, actor, job)
            if not outcome.keep:  # a dry run: its work rolled back, the job still done
                session.rollback()
                return _finish_apart(sessions, job_id, outcome)
            _finish(job, outcome)
            session.commit()
            return "done"
        return "failed"


def _finish(job: Job, outcome: Outcome) -> None:
    job.state, job.result = "done", outcome.result
    job.output, job.output_name = outcome.output, outcome.output_name
    job.output_type = outcome.output_type
    job.input, job.finished_at = None, utcnow()


def _finish_apart(sessions: sessionmaker, job_id: int, outcome: Outcome) -> str:
    """Mark the job done in a transaction of its own (its work was rolled back)."""
    with sessions() as session:
        take_write_lock(session)
        job = _lock(session, job_id)
        if job is None:
            session.rollback()
            return ROWS.state(sessions, job_id)
        _finish(job, outcome)
        session.commit()
        return "done"


def _claim(sessions: sessionmaker, job_id: int, worker: str | None) -> str | None:
    """queued|running -> running (attempts + 1), committed: None; else the state found."""

    def lost(session: Session, job: Job) -> None:
        _mark_failed(session, job, LOST.format(n=job.attempts), ())

    return queueing.claim(
        sessions,
        ROWS,
        job_id,
        worker,
        working="running",
        max_attempts=MAX_ATTEMPTS,
        lose=lost,
        taken=lambda job: None,
    )


def _lock(session: Session, job_id: int) -> Job | None:
    """Take the job's lock for the work's transaction and read the job again under it."""
    return queueing.lock_row(session, ROWS, job_id, LOCK_NAMESPACE, "running")


def _actor(session: Session, user_id: int | None) -> Actor:
    """The requester, read again: a user deactivated since the request is refused."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAllowed("The user who queued the job is no longer active.")
    return user


def _rejected(sessions: sessionmaker, job_id: int) -> str:
    with sessions() as session:
        job = session.get(Job, job_id)
        return KINDS[job.kind].rejected if job is not None else UNEXPECTED


def _fail(sessions: sessionmaker, job_id: int, message: str, problems: tuple[Problem, ...]) -> None:
    """Mark the job failed in a transaction of its own (if it is still active)."""
    queueing.fail_row(
        sessions, ROWS, job_id, lambda session, job: _mark_failed(session, job, message, problems)
    )


def fail(sessions: sessionmaker, job_id: int, message: str = UNEXPECTED) -> None:
    """Give up on a job (its task's retries are spent): failed and audited."""
    queueing.give_up(
        sessions, ROWS, job_id, lambda session, job: _mark_failed(session, job, message, ())
    )


def _mark_failed(
    session: Session, job: Job, message: str, problems: tuple[Problem, ...] | list[Problem]
) -> None:
    job.input = None
    actor = session.get(User, job.requested_by_id) if job.requested_by_id else None
    ROWS.mark_failed(session, job, message, problems, actor, kind=job.kind)


# --------------------------------------------------------------------------- reading


def find(session: Session, actor: Actor, job_id: int, *, kind: str | None = None) -> Job:
    """Job `job_id` if `actor` may read it (its requester, or a holder of its kind's
    `readers` permission); NotFound otherwise, exactly as for a job that does not exist."""
    job = session.get(Job, job_id)
    if job is None or (kind is not None and job.kind != kind) or not may_read(actor, job):
        raise NotFound(f"No job {job_id}.")
    return job


def own(
    session: Session, actor: Actor, *, kind: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[Job], int]:
    """A page of the jobs `actor` queued, newest first, and their total."""
    stmt = select(Job).where(Job.requested_by_id == getattr(actor, "id", None))
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    return page(session, stmt.order_by(Job.id.desc()), offset=offset, limit=limit)


def may_read(actor: Actor, job: Job) -> bool:
    if actor is None or getattr(actor, "id", None) == job.requested_by_id:
        return True
    return has_permission(actor, KINDS[job.kind].readers)


def output_of(session: Session, actor: Actor, job_id: int) -> Job:
    """A finished job's file: NotFound (no such job for the actor, or no file of its
    kind), Conflict while it is not done."""
    job = find(session, actor, job_id)
    if job.state != "done":
        raise Conflict(
            f"Job {job_id} is {job.state}: its file is ready once it is done.",
            [Problem("state", f"{job.state}, needs done")],
        )
    if job.output_expired_at is not None:
        raise FileExpired(f"Job {job_id}'s file was deleted after its keeping time.")
    if job.output is None:
        raise NotFound(f"Job {job_id} has no file to download.")
    return job


class FileExpired(Exception):
    """A finished job's file was deleted by `expire_files` (the download answers 410)."""


def expire_files(
    sessions: sessionmaker, *, keep_days: int, now: datetime | None = None
) -> list[int]:
    """Delete the files of jobs finished more than `keep_days` ago (their rows stay, with
    `output_expired_at`); the jobs' ids. TryLater when the database is busy."""
    now = now or utcnow()
    done_before = now - timedelta(days=keep_days)
    with sessions() as session:
        take_write_lock(session)
        ids = list(
            session.scalars(
                select(Job.id).where(
                    Job.state == "done",
                    Job.output_name.is_not(None),
                    Job.output_expired_at.is_(None),
                    Job.finished_at < done_before,
                )
            )
        )
        if ids:
            session.execute(
                update(Job).where(Job.id.in_(ids)).values(output=None, output_expired_at=now)
            )
        session.commit()
    if ids:
        log.info("jobs %s: files deleted (finished over %s days ago)", ids, keep_days)
    return ids


FIELDS = (
    "id",
    "kind",
    "state",
    "requested_by_id",
    "parameters",
    "result",
    "message",
    "problems",
    "created_at",
    "started_at",
    "finished_at",
    "worker",
    "attempts",
    "output_expired_at",
)


def status(job: Job) -> dict[str, Any]:
    """What a client polls (never the blobs): with a running import's progress."""
    out = {name: getattr(job, name) for name in FIELDS}
    out["progress_done"], out["progress_total"] = progress.read(object_session(job), job)
    out["has_file"] = (
        job.state == "done" and job.output_name is not None and job.output_expired_at is None
    )
    return out
