"""`accord jobs list|retry`: background jobs (payout runs) for the people who run Accord.

    accord jobs list [--state failed] [--period 2026-Q3]
    accord jobs retry 12 [--as ops@x.test]

`retry` queues the failed job's period again through the path the API's POST takes
(`queue_run`: a new job, committed, then its task published), then audits
`payout_run_job.retried` naming the failed job and the new one. It refuses (exit 2) a
job that did not fail, one superseded by a later job of its period, and a period with
a job queued or building. A broker that does not take the task exits 1: the new job is
withdrawn, nothing is written.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.exceptions import ServiceUnavailable

from app.commands.common import actor, fail, refusals, unit_of_work
from app.database import db_session
from app.tasks.payout_runs import queue_run
from governance import audit
from models import PayoutRunJob
from models.payout_jobs import JOB_STATES

OBJECT_TYPE = "payout_run_job"


@click.group("jobs")
def command() -> None:
    """Background jobs: list them, retry a failed one."""


@command.command("list")
@click.option("--state", type=click.Choice(JOB_STATES), default=None)
@click.option("--period", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@with_appcontext
def list_jobs(state: str | None, period: str | None, limit: int) -> None:
    """Payout run jobs, newest first: id, period, state, attempts, worker, why it failed."""
    stmt = select(PayoutRunJob).order_by(PayoutRunJob.id.desc()).limit(limit)
    if state:
        stmt = stmt.where(PayoutRunJob.state == state)
    if period:
        stmt = stmt.where(PayoutRunJob.period == period)
    rows = db_session().scalars(stmt).all()
    if not rows:
        click.echo("no jobs")
    for job in rows:
        created = job.created_at.strftime("%Y-%m-%d %H:%M:%S")
        line = (
            f"{job.id:>6}  {job.period:<8} {job.state:<8} attempts {job.attempts}  "
            f"{created}  {job.worker or '-'}"
        )
        if job.message:
            line += f"  {job.message}"
        click.echo(line)


@command.command("retry")
@click.argument("job_id", type=int)
@click.option("--as", "as_email", default=None, help="who retries it (default: the system)")
@with_appcontext
def retry(job_id: int, as_email: str | None) -> None:
    """Queue a failed job's period again (a new job), as the API does; audited."""
    session = db_session()
    job = session.get(PayoutRunJob, job_id)
    if job is None:
        fail(f"no job {job_id}")
    if job.state != "failed":
        fail(f"job {job_id} is {job.state}: only a failed job is retried")
    later = session.scalar(
        select(PayoutRunJob.id)
        .where(PayoutRunJob.period == job.period, PayoutRunJob.id > job.id)
        .order_by(PayoutRunJob.id)
    )
    if later is not None:
        fail(f"job {job_id} was superseded by job {later} of {job.period}: not retried")
    period, early, failed_label = job.period, job.early, job.label
    starter = actor(session, as_email)
    session.rollback()  # end the reads: queuing begins its own unit of work
    with refusals():
        try:
            queued = queue_run(starter, period, early=early)
        except ServiceUnavailable as unavailable:
            click.echo(f"error: {unavailable.description}", err=True)
            sys.exit(1)
    with unit_of_work() as session:
        audit.record(
            session,
            actor(session, as_email),
            f"{OBJECT_TYPE}.retried",
            OBJECT_TYPE,
            failed_label,
            payload={"period": period, "failed_job": job_id, "job": queued.id},
        )
    click.echo(f"job {job_id} ({period}) retried as job {queued.id}: queued")
