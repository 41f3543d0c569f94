"""Impact simulations on workers: a change request's impact, computed off the request.

    publish_queued(row_id, actor_id)          # after the submitting transaction commits
    row = queue_again(current_user, request)  # "compute it again" (page, API): 503 if down
    accord.impacts.compute(row_id, actor_id)  # the task: claim, simulate, store or match
    accord.impacts.sweep()                    # publish stranded rows (beat, worker start)

Queued, published, swept and retried by the one mechanism of all background work
(app/tasks/queueing.py): the queued row is committed, then its task published. A
submission whose publish fails stays submitted (it is the committee's request, not the
impact's): its row is published by the sweep within a minute or two. An explicit
"compute again" whose publish fails is withdrawn and answers 503. The task is
idempotent (governance/impact_results.py): a duplicate delivery finds its row done, and
a result equal to a stored one is not stored twice. The database busy or away: the task
is retried, then the row failed.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import ServiceUnavailable

from app.database import db_session, unit_of_work
from app.tasks import queueing, redelivers
from governance import impact_results
from governance.errors import Conflict
from governance.plans import change_requests
from governance.plans.tally import change_request_of

log = logging.getLogger(__name__)

COMPUTE = "accord.impacts.compute"
SWEEP = "accord.impacts.sweep"
GIVEN_UP = "given up: the database stayed busy or unreachable"
# subject_type -> the domain function computing (inputs, impact) of one subject.
COMPUTERS = {change_requests.SUBJECT: change_requests.compute_impact}


def publish_queued(row_id: int, actor_id: int | None, *, withdraw: bool = False) -> bool:
    """Publish a committed queued row's task; False when the broker refused it (then the
    row is withdrawn if `withdraw`, else left for the sweep)."""
    return queueing.publish_queued(
        impact_results.ROWS, COMPUTE, row_id, actor_id, withdraw=withdraw
    )


def submitted(version: Any, actor: Any) -> None:
    """After a submission committed: publish its queued impact (the sweep retries)."""
    session = db_session()
    request = change_request_of(session, version)
    row = request and impact_results.pending(session, change_requests.SUBJECT, request.id)
    row_id = None if row is None or row.published_at is not None else row.id
    actor_id = getattr(actor, "id", None)
    session.rollback()  # end the read: the task (eager in tests) must not run inside it
    if row_id is not None and not publish_queued(row_id, actor_id):
        log.warning("impact of change request %s: not queued yet (broker down)", request.id)


def queue_again(actor: Any, request_id: int) -> int:
    """Queue a new computation of a change request's impact (over the data as it is);
    the row's id. 503 when the broker is unavailable (nothing left queued)."""
    actor_id = getattr(actor, "id", None)
    with unit_of_work() as session:
        row, new = impact_results.queue(session, change_requests.SUBJECT, request_id, actor)
        row_id, unpublished = row.id, row.published_at is None
    # A row pending already, never published (the broker was down at submission): tried
    # again, but kept for the sweep if it fails; a new one is withdrawn.
    if unpublished and not publish_queued(row_id, actor_id, withdraw=new):
        raise ServiceUnavailable(
            "The task queue is unavailable: the impact was not queued again. Try again later."
        )
    return row_id


def compute(row_id: int) -> str:
    """Claim, simulate (read only), then store or match: the task's body. The database
    busy or away is TryLater (retried); a refusal or a bug fails the row visibly, never
    loops (the one failure policy, `queueing.failing`)."""
    with _step(row_id, "claim", busy=(Conflict,)) as step, unit_of_work() as session:
        row = impact_results.claim(session, row_id)
        subject = None if row is None else (row.subject_type, row.subject_id)
    if step.failed or subject is None:
        return "failed" if step.failed else "skipped"
    session = db_session()
    with _step(row_id, "simulation of {} {}".format(*subject), session) as step:
        inputs, result = COMPUTERS[subject[0]](session, subject[1])
        session.rollback()  # the simulation only read
    if step.failed:
        return "failed"
    with _step(row_id, "store", busy=(Conflict,)), unit_of_work() as session:
        kept = impact_results.finish(session, row_id, inputs, result)
        return "skipped" if kept is None else ("done" if kept.id == row_id else "matched")
    return "failed"


def _step(row_id: int, what: str, session: Any = None, *, busy: tuple = ()):
    """`queueing.failing` for a step of the task; `busy`: Conflict for the steps that
    write (`unit_of_work`'s write lock not had in time is retried, not a refusal)."""

    def failed(_step: queueing.Step, failure: queueing.Failure) -> None:
        message = failure.message or f"unexpected error: {type(failure.error).__name__}"
        with unit_of_work() as writing:
            impact_results.fail(writing, row_id, message)

    return queueing.failing(impact_results.ROWS, row_id, what, failed, session, busy_too=busy)


def register(celery: Celery) -> None:
    """Define the tasks on `celery` (one Celery app per Flask app: not shared)."""

    @celery.task(name=COMPUTE, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def compute_task(self, row_id: int, actor_id: int | None = None) -> str:
        """Compute impact row `row_id` (asked by `actor_id`, who its audit record names);
        the database busy or away: retried, then the row failed."""
        outcome = queueing.retrying(
            self,
            impact_results.ROWS,
            row_id,
            lambda: compute(row_id),
            lambda: _give_up(row_id),
        )
        log.info("impact %s: %s", row_id, outcome)
        return outcome

    @celery.task(name=SWEEP, shared=False)
    def sweep(everything_pending: bool = False) -> list[int]:
        """Publish again the rows whose task may be lost (`ROWS.stranded`)."""
        return queueing.sweep(impact_results.ROWS, COMPUTE, everything_active=everything_pending)


def _give_up(row_id: int) -> None:
    """The task's retries are spent (the database stayed busy): the row failed, visibly."""
    try:
        with unit_of_work() as session:
            impact_results.fail(session, row_id, GIVEN_UP)
    except (Conflict, OperationalError):
        log.error("impact %s: could not be marked failed (database busy)", row_id)


@worker_ready.connect
def _on_worker_ready(sender=None, **_kwargs) -> None:
    """A starting worker sweeps once (every pending row on a non-redelivering broker)."""
    celery = sender.app
    celery.tasks[SWEEP].apply_async(kwargs={"everything_pending": not redelivers(celery)})
