"""Tasks of background jobs other than payout runs (app/background/): run one, sweep.

    accord.background.run(job_id, actor_id)   # queued by app.background.jobs.queue
    accord.background.sweep()                 # beat, every minute, and when a worker starts

A job whose lock is held or whose database is unreachable is retried every RETRY_DELAY
seconds, MAX_RETRIES times, then failed visibly. A task delivered twice is harmless.
"""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import worker_ready

from app.background import jobs
from app.database import database
from app.tasks import publish, redelivers

log = logging.getLogger(__name__)

RUN = jobs.RUN
SWEEP = "accord.background.sweep"
RETRY_DELAY = 15
MAX_RETRIES = 40


def register(celery: Celery) -> None:
    """Define the tasks on `celery` (one Celery app per Flask app: not shared)."""

    @celery.task(name=RUN, bind=True, max_retries=MAX_RETRIES, shared=False)
    def run(self, job_id: int, actor_id: int | None = None) -> str:
        """Do job `job_id`'s work; its outcome is written to the job row."""
        sessions = database().sessionmaker
        worker = self.request.hostname or "eager"
        try:
            state = jobs.execute(sessions, job_id, actor_id=actor_id, worker=worker)
        except jobs.TryLater as busy:
            if self.request.retries >= self.max_retries:
                log.error("job %s: given up after %s retries", job_id, MAX_RETRIES)
                jobs.fail(sessions, job_id)
                return "failed"
            log.info("job %s: retried in %ss (%s)", job_id, RETRY_DELAY, busy)
            raise self.retry(countdown=RETRY_DELAY) from None
        log.info("job %s: %s", job_id, state)
        return state

    @celery.task(name=SWEEP, shared=False)
    def sweep(everything_active: bool = False) -> list[int]:
        """Publish again the jobs whose task may be lost (see `jobs.stranded`)."""
        sessions = database().sessionmaker
        found = jobs.stranded(sessions, everything_active=everything_active)
        for job_id in found:
            with sessions() as session:
                job = session.get(jobs.Job, job_id)
                if job is None:  # withdrawn meanwhile
                    continue
                actor_id = job.requested_by_id
            publish(RUN, job_id, actor_id=actor_id)
            jobs.mark_published(sessions, job_id)
        if found:
            log.warning("published again: jobs %s", found)
        return found


@worker_ready.connect
def _on_worker_ready(sender=None, **_kwargs) -> None:
    """A worker starting sweeps once: on a broker that does not redeliver (the embedded
    SQLite transport), every active job, since a lost worker's task is gone with it."""
    celery = sender.app
    if SWEEP in celery.tasks:
        celery.tasks[SWEEP].apply_async(kwargs={"everything_active": not redelivers(celery)})
