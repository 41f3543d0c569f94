"""Payout run tasks: queue a period's run from a request, build it on a worker.

    job = queue_run(current_user, "2026-Q3")   # the API's POST and the page's form
    accord.payout_runs.build(job_id, actor_id) # the planner: app.fanout.plan_job
    accord.jobs.sweep()                        # publish stranded jobs again (beat, start)

Queued, published, swept and retried by the one mechanism (app/tasks/queueing.py): the
job row is committed first (its period is then held: one queued or building job per
period), then the task is published; a refused publish deletes the job again (503,
nothing written); a job left unpublished is published again by the sweep. A task
delivered twice is harmless (app/jobs.py). A run fans out (app/fanout.py): `build`
plans it and queues one `batch` task per participant batch; the batch finishing last
queues `finalize`, which writes the run in one transaction (PAYOUT_RUN_FANOUT off:
`build` builds it alone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery, Task
from celery.signals import worker_ready
from flask import current_app
from sqlalchemy.orm import sessionmaker

from app import fanout, jobs
from app.database import database, unit_of_work
from app.tasks import publish, queueing, redelivers

log = logging.getLogger(__name__)

BUILD = "accord.payout_runs.build"
BATCH = "accord.payout_runs.batch"
FINALIZE = "accord.payout_runs.finalize"
SWEEP = "accord.jobs.sweep"


def queue_run(actor: Any, period: str, *, early: bool = False) -> jobs.PayoutRunJob:
    """Commit a queued job of `period` and publish its task; the job (detached).
    Refusals as `jobs.create_job`; 503 when the broker is unavailable (job withdrawn)."""
    with unit_of_work() as session:
        job = jobs.create_job(session, actor, period, early=early)
    queueing.publish_or_503(
        jobs.ROWS,
        BUILD,
        job.id,
        job.started_by_id,
        unavailable="The task queue is unavailable: the run was not queued and nothing was "
        "written. Try again later.",
    )
    return job


def register(celery: Celery) -> None:
    """Define the tasks on `celery` (one Celery app per Flask app: not shared)."""

    @celery.task(name=BUILD, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def build(self, job_id: int, actor_id: int | None = None) -> str:
        """Build job `job_id`'s run: fanned out (plan, then a task per batch) unless
        PAYOUT_RUN_FANOUT is off; its outcome is written to the job row."""
        sessions = database().sessionmaker
        worker = self.request.hostname or "eager"

        def work() -> str:
            if not current_app.config.get("PAYOUT_RUN_FANOUT", True):
                return jobs.execute_job(sessions, job_id, actor_id=actor_id, worker=worker)
            planned = fanout.plan_job(
                sessions,
                job_id,
                actor_id=actor_id,
                worker=worker,
                deals_per_batch=current_app.config.get("PAYOUT_DEALS_PER_BATCH"),
            )
            if isinstance(planned, str):
                return planned
            _queue_batches(job_id, planned)
            return "planned"

        state = _retrying(self, sessions, job_id, work)
        log.info("payout run job %s: %s", job_id, state)
        return state

    @celery.task(name=BATCH, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def batch(self, job_id: int, number: int) -> str:
        """Evaluate and stage one batch; the last one to finish queues the finalizer."""
        sessions = database().sessionmaker
        worker = self.request.hostname or "eager"
        outcome = _retrying(
            self,
            sessions,
            job_id,
            lambda: fanout.run_batch(sessions, job_id, number, worker=worker),
        )
        if outcome == "last":
            publish(FINALIZE, job_id)
        return outcome

    @celery.task(name=FINALIZE, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def finalize(self, job_id: int) -> str:
        """Write the run from the staged batches in one transaction."""
        sessions = database().sessionmaker
        state = _retrying(self, sessions, job_id, lambda: fanout.finalize_job(sessions, job_id))
        log.info("payout run job %s: %s", job_id, state)
        return state

    @celery.task(name=SWEEP, shared=False)
    def sweep(everything_active: bool = False) -> list[int]:
        """Publish again the jobs whose task may be lost (see `jobs.stranded`)."""
        return queueing.sweep(jobs.ROWS, BUILD, everything_active=everything_active)


def _retrying(task: Task, sessions: sessionmaker, job_id: int, work: Callable[[], str]) -> str:
    """`queueing.retrying`, giving up by failing the job."""
    return queueing.retrying(task, jobs.ROWS, job_id, work, lambda: jobs.fail_job(sessions, job_id))


def _queue_batches(job_id: int, numbers: list[int]) -> None:
    """Queue the planned batches' tasks (none left: the finalizer). A broker refusing
    one raises: the planner's task is retried, and a redelivered planner queues the
    batches not done yet again (a batch delivered twice stages once)."""
    if not numbers:
        publish(FINALIZE, job_id)
    for number in numbers:
        publish(BATCH, job_id, number)


@worker_ready.connect
def _on_worker_ready(sender=None, **_kwargs) -> None:
    """A worker starting sweeps once: on a broker that does not redeliver (the embedded
    SQLite transport), every active job, since a lost worker's task is gone with it."""
    celery = sender.app
    celery.tasks[SWEEP].apply_async(kwargs={"everything_active": not redelivers(celery)})
