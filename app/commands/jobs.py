"""`accord jobs list|retry`: every kind of queued work, for the people who run Accord.

    accord jobs list [--kind all|run|job|impact] [--state failed] [--period 2026-Q3]
    accord jobs retry run:12 [--as ops@x.test]      # or a bare 12: a payout run job
    accord jobs retry job:7                         # a background job (a statement export)
    accord jobs retry impact:3                      # a change request's impact simulation

Three tables of queued work (the one mechanism, app/tasks/queueing.py), so a job is named
by its kind and id: `run:N` payout run jobs, `job:N` background jobs (imports, exports),
`impact:N` impact simulations. A retry never resets the failed row (it stays, with its
message and attempts, as history): it queues a new one through the path the API or page
takes (committed, then its task published), then audits `<kind>.retried` naming both.

- run: `queue_run` for the period. Refused (exit 2): a job that did not fail, one
  superseded by a later job of its period, a period with a job queued or building.
- job: `background.jobs.queue` of the same kind and parameters, as its requester (the
  worker checks their permission again). Refused: an import (its body is dropped once it
  fails: its client sends it again), a job that did not fail.
- impact: `impacts.queue_again` of the change request, as the failed row's requester.
  Refused: a row that did not fail, one superseded by a later computation of its
  request, a request no longer open.

A broker that does not take the task exits 1: the new row is withdrawn, nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.exceptions import ServiceUnavailable

from app.background import imports
from app.background import jobs as background
from app.commands.common import actor, fail, refusals, unit_of_work
from app.database import db_session
from app.tasks import impacts as impact_tasks
from app.tasks.payout_runs import queue_run
from governance import audit
from governance.plans import change_requests
from models import ChangeRequest, ImpactResult, Job, PayoutRunJob, PlanVersion, User

KINDS = {"run": PayoutRunJob, "job": Job, "impact": ImpactResult}
STATES = ("queued", "building", "running", "done", "failed")


@click.group("jobs")
def command() -> None:
    """Queued work (payout runs, imports and exports, impact simulations): list, retry."""


@command.command("list")
@click.option("--kind", type=click.Choice(["all", *KINDS]), default="all", show_default=True)
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--period", default=None, help="payout run jobs of this period only")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@with_appcontext
def list_jobs(kind: str, state: str | None, period: str | None, limit: int) -> None:
    """Newest first: kind:id, what (period, job kind, subject), state, attempts, created,
    worker, why it failed."""
    session = db_session()
    kinds = ["run"] if period else list(KINDS) if kind == "all" else [kind]
    rows: list[tuple[Any, str, Any]] = []
    for name in kinds:
        model = KINDS[name]
        stmt = select(model).order_by(model.id.desc()).limit(limit)
        if state:
            stmt = stmt.where(model.state == state)
        if period:
            stmt = stmt.where(PayoutRunJob.period == period)
        rows.extend((row.created_at, name, row) for row in session.scalars(stmt))
    rows.sort(key=lambda found: (found[0], found[1], found[2].id), reverse=True)
    if not rows:
        click.echo("no jobs")
    for created, name, row in rows[:limit]:
        click.echo(_line(name, row, created.strftime("%Y-%m-%d %H:%M:%S")))


def _line(name: str, row: Any, created: str) -> str:
    what = {
        "run": lambda: row.period,
        "job": lambda: row.kind,
        "impact": lambda: f"{row.subject_type.replace('_', '-')}/{row.subject_id}",
    }[name]()
    ref = f"{name}:{row.id}"
    line = (
        f"{ref:<12} {what:<20} {row.state:<8} attempts {row.attempts}  {created}  "
        f"{getattr(row, 'worker', None) or '-'}"
    )
    return f"{line}  {row.message}" if row.message else line


@command.command("retry")
@click.argument("ref")
@click.option("--as", "as_email", default=None, help="who retries it (default: the system)")
@with_appcontext
def retry(ref: str, as_email: str | None) -> None:
    """Queue a failed job again (a new row), as the API or page does; audited."""
    name, _, number = ref.rpartition(":")
    name = name or "run"
    if name not in KINDS or not number.isdigit():
        fail(f"{ref!r}: expected run:N, job:N or impact:N (a bare N is a payout run job)")
    row_id = int(number)
    session = db_session()
    row = session.get(KINDS[name], row_id)
    if row is None:
        fail(f"no job {ref}")
    if row.state != "failed":
        fail(f"job {ref} is {row.state}: only a failed job is retried")
    {"run": _retry_run, "job": _retry_background, "impact": _retry_impact}[name](
        session, row, as_email
    )


def _queued(queue: Callable[[], int]) -> int:
    """`queue()`'s new row id; a refusal exits 2, a broker refusing the task exits 1."""
    with refusals():
        try:
            return queue()
        except ServiceUnavailable as unavailable:
            click.echo(f"error: {unavailable.description}", err=True)
            sys.exit(1)


def _audit(as_email: str | None, action: str, object_type: str, label: str, **payload) -> None:
    """The retry's audit record, in its own transaction once the new row is queued: a
    record for a row whose publish then failed would be false."""
    with unit_of_work() as session:
        audit.record(session, actor(session, as_email), action, object_type, label, payload=payload)


def _retry_run(session, job: PayoutRunJob, as_email: str | None) -> None:
    later = session.scalar(
        select(PayoutRunJob.id)
        .where(PayoutRunJob.period == job.period, PayoutRunJob.id > job.id)
        .order_by(PayoutRunJob.id)
    )
    if later is not None:
        fail(f"job {job.id} was superseded by job {later} of {job.period}: not retried")
    period, early, failed_id, failed_label = job.period, job.early, job.id, job.label
    starter = actor(session, as_email)
    session.rollback()  # end the reads: queuing begins its own unit of work
    new = _queued(lambda: queue_run(starter, period, early=early).id)
    _audit(
        as_email,
        "payout_run_job.retried",
        "payout_run_job",
        failed_label,
        period=period,
        failed_job=failed_id,
        job=new,
    )
    click.echo(f"job {failed_id} ({period}) retried as job {new}: queued")


def _retry_background(session, job: Job, as_email: str | None) -> None:
    if job.kind == imports.NAME:
        fail(
            f"job job:{job.id} is an import: its body is not kept once it failed; "
            "send the import again"
        )
    kind, parameters, failed_id, failed_label = job.kind, dict(job.parameters), job.id, job.label
    requester = session.get(User, job.requested_by_id) if job.requested_by_id else None
    session.rollback()
    new = _queued(lambda: background.queue(requester, kind, parameters).id)
    _audit(as_email, "job.retried", "job", failed_label, kind=kind, failed_job=failed_id, job=new)
    click.echo(f"job job:{failed_id} ({kind}) retried as job:{new}: queued")


def _retry_impact(session, row: ImpactResult, as_email: str | None) -> None:
    if row.subject_type != change_requests.SUBJECT:  # pragma: no cover - the only subject
        fail(f"impact:{row.id} is of a {row.subject_type}: not retried here")
    later = session.scalar(
        select(ImpactResult.id)
        .where(
            ImpactResult.subject_type == row.subject_type,
            ImpactResult.subject_id == row.subject_id,
            ImpactResult.id > row.id,
        )
        .order_by(ImpactResult.id)
    )
    if later is not None:
        fail(f"impact:{row.id} was superseded by impact:{later} of its request: not retried")
    request = session.get(ChangeRequest, row.subject_id)
    version = session.get(PlanVersion, request.plan_version_id)
    with refusals():  # a request decided meanwhile: its impact is not computed again
        change_requests.open_request_id(session, version.plan_key, version.number)
    requester = session.get(User, row.requested_by_id) if row.requested_by_id else None
    failed_id, request_id, label = row.id, request.id, version.label
    session.rollback()
    new = _queued(lambda: impact_tasks.queue_again(requester, request_id))
    _audit(
        as_email,
        "impact.retried",
        "change_request",
        request_id,
        version=label,
        failed_impact=failed_id,
        impact=new,
    )
    click.echo(f"job impact:{failed_id} ({label}) retried as impact:{new}: queued")
