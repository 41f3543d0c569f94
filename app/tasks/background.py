"""Tasks of background jobs other than payout runs (app/background/): run one, sweep.

    accord.background.run(job_id, actor_id)   # queued by app.background.jobs.queue
    accord.background.sweep()                 # beat, every minute, and when a worker starts
    accord.background.expire()                # beat, hourly: files kept EXPORT_KEEP_DAYS
    accord.background.expire_uploads()        # beat, hourly: uploads kept UPLOAD_KEEP_HOURS
    accord.background.compact_journal()       # beat, daily: the change journal compacted

Retried and swept by the one queueing mechanism (app/tasks/queueing.py): a job whose
lock is held or whose database is unreachable is retried every RETRY_DELAY seconds,
MAX_RETRIES times, then failed visibly. A task delivered twice is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready
from flask import current_app

from app.background import jobs
from app.database import database, unit_of_work
from app.tasks import queueing, redelivers
from governance import changes
from governance.errors import Conflict
from governance.imports import uploads
from governance.queueing import TryLater

log = logging.getLogger(__name__)

RUN = jobs.RUN
SWEEP = "accord.background.sweep"
EXPIRE = "accord.background.expire"
EXPIRE_UPLOADS = "accord.background.expire_uploads"
COMPACT_JOURNAL = "accord.background.compact_journal"


def register(celery: Celery) -> None:
    """Define the tasks on `celery` (one Celery app per Flask app: not shared)."""

    @celery.task(name=RUN, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def run(self, job_id: int, actor_id: int | None = None) -> str:
        """Do job `job_id`'s work; its outcome is written to the job row."""
        sessions = database().sessionmaker
        worker = self.request.hostname or "eager"
        state = queueing.retrying(
            self,
            jobs.ROWS,
            job_id,
            lambda: jobs.execute(sessions, job_id, actor_id=actor_id, worker=worker),
            lambda: jobs.fail(sessions, job_id),
        )
        log.info("job %s: %s", job_id, state)
        return state

    @celery.task(name=EXPIRE, shared=False)
    def expire() -> list[int]:
        """Delete the files of jobs finished over EXPORT_KEEP_DAYS ago (a busy database:
        the next hour's run does it)."""
        try:
            return jobs.expire_files(
                database().sessionmaker, keep_days=current_app.config["EXPORT_KEEP_DAYS"]
            )
        except TryLater as busy:
            log.warning("job files not expired now (%s): the next run will", busy)
            return []

    @celery.task(name=EXPIRE_UPLOADS, shared=False)
    def expire_uploads() -> list[int]:
        """Delete the bodies of browser uploads not confirmed within UPLOAD_KEEP_HOURS
        (a busy database: the next hour's run does it)."""
        keep = timedelta(hours=current_app.config["UPLOAD_KEEP_HOURS"])
        try:
            with unit_of_work() as session:
                ids = uploads.expire(session, keep)
        except Conflict as busy:
            log.warning("uploads not expired now (%s): the next run will", busy)
            return []
        if ids:
            log.info("uploads %s expired: bodies deleted", ids)
        return ids

    @celery.task(name=COMPACT_JOURNAL, shared=False)
    def compact_journal() -> int | None:
        """Compact the change journal (governance.changes.compact); a build taking its
        revision, or a busy database: tomorrow's run does it."""
        try:
            with unit_of_work() as session:
                deleted = changes.compact(session)
        except Conflict as busy:
            log.warning("change journal not compacted now (%s): the next run will", busy)
            return None
        log.info("change journal compacted: %s rows deleted", deleted)
        return deleted

    @celery.task(name=SWEEP, shared=False)
    def sweep(everything_active: bool = False) -> list[int]:
        """Publish again the jobs whose task may be lost (see `jobs.stranded`), as their
        requester (the task checks it)."""
        return queueing.sweep(
            jobs.ROWS, RUN, everything_active=everything_active, actor_of=_requester
        )


def schedule() -> dict:
    """Beat's entry of the files' expiry: hourly (a file outlives its days by an hour)."""
    return {"task": EXPIRE, "schedule": 3600.0}


def upload_schedule() -> dict:
    """Beat's entry of the uploads' expiry: hourly."""
    return {"task": EXPIRE_UPLOADS, "schedule": 3600.0}


def journal_schedule() -> dict:
    """Beat's entry of the journal's compaction: daily, at 02:35 UTC."""
    return {"task": COMPACT_JOURNAL, "schedule": crontab(minute=35, hour=2)}


def _requester(job_id: int) -> int | None:
    with database().sessionmaker() as session:
        job = session.get(jobs.Job, job_id)
        return job.requested_by_id if job is not None else None


@worker_ready.connect
def _on_worker_ready(sender=None, **_kwargs) -> None:
    """A worker starting sweeps once: on a broker that does not redeliver (the embedded
    SQLite transport), every active job, since a lost worker's task is gone with it."""
    celery = sender.app
    if SWEEP in celery.tasks:
        celery.tasks[SWEEP].apply_async(kwargs={"everything_active": not redelivers(celery)})
