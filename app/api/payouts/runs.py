"""Payout runs over HTTP.

    POST /payout-runs                 start (or re-run the draft of) a period
    GET  /payout-runs                 runs, newest period first (paged, ?period=)
    GET  /payout-runs/<id>            one run: state, hashes, counts, progress; plan
                                      versions by number, stale or not, its last build
    GET  /payout-runs/<id>/changes    what a build changed: payable per participant
    GET  /payout-runs/<id>/lines      its lines with traces (paged, ?participant=)
    GET  /payout-runs/jobs[/<id>]     build jobs, newest first (paged, ?period=); one job

Reading needs `statements.read_all`. `POST {"period"}` queues a job (app/jobs.py, built
by a Celery worker: app/tasks/payout_runs.py) and answers 202 with it (Location: the
job) once the period is valid and no job of it is queued or building (503 when the
broker is down); `"wait": true` waits for that job (RUN_WAIT_SECONDS): 201 with the run,
or the refusal that failed it, or 202 with the job still building.
"""

from __future__ import annotations

from functools import partial

from flask import current_app, jsonify, url_for
from flask_login import current_user

from app import jobs
from app.api.payouts import blp
from app.api.payouts.schemas import (
    BuildChangesPageSchema,
    BuildChangesQuerySchema,
    JobListQuerySchema,
    JobPageSchema,
    JobSchema,
    LinePageSchema,
    LineQuerySchema,
    RunDetailSchema,
    RunListQuerySchema,
    RunPageSchema,
    RunSchema,
    StartRunSchema,
)
from app.auth.decorators import permission_required
from app.database import database, db_session
from app.errors import ErrorSchema
from app.tasks.payout_runs import queue_run
from governance.payouts import build_diff
from governance.payouts import overview as payout_overview
from governance.payouts import runs as payout_runs


@blp.route("", methods=["POST"])
@permission_required("payouts.run")
@blp.arguments(StartRunSchema)
@blp.response(202, JobSchema, description="queued: poll the job (Location)")
@blp.alt_response(201, schema=RunSchema, description='the finished run, with "wait": true')
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
@blp.alt_response(503, schema=ErrorSchema, description="the task queue is unavailable")
def start(body):
    """Run a period (a draft of it is re-run in place): 202 with its job. With
    `"wait": true` the request waits for the job (up to RUN_WAIT_SECONDS): 201 with the
    finished run, the refusal that failed it (its status), or 202 when it is still
    building or failed unexpectedly (the job says why). A period that has not begun is
    refused (422) unless `"early": true` (audited when the run starts). 503 when the
    task queue is unavailable: nothing is queued nor written."""
    job = queue_run(current_user, body["period"], early=body["early"])
    location = url_for("payouts.get_job", job_id=job.id)
    if body["wait"]:
        sessions = database().sessionmaker
        seconds = current_app.config["RUN_WAIT_SECONDS"]
        finished = jobs.wait_for(sessions, job.id, seconds=seconds)
        if finished is not None and finished.state == "done":
            run = payout_runs.get_run(db_session(), finished.run_id)
            return jsonify(RunSchema().dump(run)), 201
        refusal = jobs.refusal_of(finished) if finished is not None else None
        if refusal is not None:
            raise refusal
    return _job_status(job.id), 202, {"Location": location}


def _job_status(job_id: int) -> dict:
    return _with_link(jobs.job_status(database().sessionmaker, job_id))


def _page(query: dict, fetch) -> dict:
    """The page `?page=&per_page=` asks for of `fetch(offset=, limit=) -> (rows, total)`."""
    page, per_page = query["page"], query["per_page"]
    rows, total = fetch(offset=(page - 1) * per_page, limit=per_page)
    return {"items": rows, "page": page, "per_page": per_page, "total": total}


def _with_link(status: dict) -> dict:
    run_id = status["run_id"]
    status["run_url"] = None if run_id is None else url_for("payouts.get_run", run_id=run_id)
    return status


@blp.route("/jobs")
@permission_required("statements.read_all")
@blp.arguments(JobListQuerySchema, location="query")
@blp.response(200, JobPageSchema)
def list_jobs(query):
    """Build jobs, newest first: what is queued or building, what failed and why."""
    statuses = partial(jobs.job_statuses, database().sessionmaker, period=query["period"])
    found = _page(query, statuses)
    found["items"] = [_with_link(status) for status in found["items"]]
    return found


@blp.route("/jobs/<int:job_id>")
@permission_required("statements.read_all")
@blp.response(200, JobSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_job(job_id: int):
    """One build job: its state, progress, and when done its run and the run's counts."""
    return _job_status(job_id)


@blp.route("")
@permission_required("statements.read_all")
@blp.arguments(RunListQuerySchema, location="query")
@blp.response(200, RunPageSchema)
def list_runs(query):
    """Runs, newest period first."""
    return _page(query, partial(payout_runs.list_runs, db_session(), period=query["period"]))


class _Described:
    """A run with what its detail adds (read through to the run's own attributes)."""

    def __init__(self, run, **extra):
        self._run = run
        self.__dict__.update(extra)

    def __getattr__(self, name: str):
        return getattr(self._run, name)


@blp.route("/<int:run_id>")
@permission_required("statements.read_all")
@blp.response(200, RunDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_run(run_id: int):
    """One run: its state, the hashes it was computed from, its counts and progress; the
    plan versions it used by number; whether it is stale (a draft whose inputs changed
    since its last build takes no vote until re-run) and what its last build changed."""
    session = db_session()
    run = payout_runs.get_run(session, run_id)
    return _Described(run, **payout_overview.freshness(session, run))


@blp.route("/<int:run_id>/changes")
@permission_required("statements.read_all")
@blp.arguments(BuildChangesQuerySchema, location="query")
@blp.response(200, BuildChangesPageSchema)
@blp.alt_response(404, schema=ErrorSchema)
def build_changes(query, run_id: int):
    """What one build of the run changed (default: the latest): what it read differently
    and, per participant and currency, the payable before and after it. `build` is null
    for a run built before builds were recorded; an unknown `?build=` is 404."""
    session = db_session()
    build = build_diff.build_of(session, payout_runs.get_run(session, run_id), query["build"])
    if build is None:  # built before builds were recorded (migration 0011)
        return {"build": None, "totals": [], **_page(query, lambda **_: ([], 0))}
    found = _page(query, partial(build_diff.payable_changes, session, build))
    return {"build": build, "totals": build_diff.change_totals(session, build), **found}


@blp.route("/<int:run_id>/lines")
@permission_required("statements.read_all")
@blp.arguments(LineQuerySchema, location="query")
@blp.response(200, LinePageSchema)
@blp.alt_response(404, schema=ErrorSchema)
def run_lines(query, run_id: int):
    """A page of the run's lines with their traces, by participant, plan and position."""
    session = db_session()
    run = payout_runs.get_run(session, run_id)
    lines = partial(payout_runs.run_lines, session, run, participant=query["participant"])
    return _page(query, lines)
