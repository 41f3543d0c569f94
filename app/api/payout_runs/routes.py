"""Payout runs over HTTP.

    POST /payout-runs                 start (or re-run the draft of) a period: payouts.run
    GET  /payout-runs                 runs, newest period first (paged, ?period=)
    GET  /payout-runs/<id>            one run: state, hashes, counts, progress
    GET  /payout-runs/<id>/lines      its lines with traces (paged, ?participant=)
    GET  /payout-runs/jobs            build jobs, newest first (paged, ?period=)
    GET  /payout-runs/jobs/<id>       one job: state, progress, the run and its counts

Reading needs `statements.read_all` (comp admins, the committee, auditors).

`POST {"period"}` queues a job and answers 202 with it (Location: the job), once the
period is known to be valid and no other job of it is queued or building; a worker
thread of this process builds the run (app/api/payout_runs/worker.py), in one
transaction as before (docs/payout-runs.md), and the job says queued, building (with
progress), done (the run id and counts) or failed (the refusal's message and problems).
`{"period", "wait": true}` builds the run in the request as before: 201 with the
finished run, or the refusal and nothing written. Refusals: 403 permission, 404 no run
or job, 409 a run of the period is approved/locked or being built, or a job of it is
queued/building, 422 a bad period (at once); data or evaluation problems are 422 with
`wait`, a failed job otherwise.
"""

from __future__ import annotations

from flask import current_app, jsonify, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from app import jobs
from app.api.payout_runs import worker
from app.api.payout_runs.schemas import (
    JobListQuerySchema,
    JobPageSchema,
    JobSchema,
    LinePageSchema,
    LineQuerySchema,
    RunListQuerySchema,
    RunPageSchema,
    RunSchema,
    StartRunSchema,
)
from app.auth.decorators import permission_required
from app.database import db_session
from app.errors import ErrorSchema
from app.refusals import refuse
from governance.errors import GovernanceError, NotFound
from governance.payouts import runs as payout_runs

blp = Blueprint(
    "payout_runs", __name__, url_prefix="/payout-runs", description="Payout runs of a period"
)


def _run(run_id: int):
    try:
        return payout_runs.get_run(db_session(), run_id)
    except NotFound as exc:
        refuse(exc)


@blp.route("", methods=["POST"])
@permission_required("payouts.run")
@blp.arguments(StartRunSchema)
@blp.response(202, JobSchema, description="queued: poll the job (Location)")
@blp.alt_response(201, schema=RunSchema, description='the finished run, with "wait": true')
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def start(body):
    """Run a period (a draft of it is re-run in place): 202 with its job, or with
    `"wait": true` 201 with the finished run."""
    session = db_session()
    if body["wait"]:
        try:
            run = payout_runs.start_run(session, current_user, body["period"])
        except GovernanceError as exc:
            refuse(exc)
        session.commit()
        response = jsonify(RunSchema().dump(run))
        response.status_code = 201
        return response
    try:
        job = jobs.create_job(session, current_user, body["period"])
    except GovernanceError as exc:
        refuse(exc)
    try:
        session.commit()
    except Exception:
        jobs.forget(job.id)
        raise
    worker.submit(current_app, job.id)
    location = url_for("payout_runs.get_job", job_id=job.id)
    return _job_status(job.id), 202, {"Location": location}


def _job_status(job_id: int) -> dict:
    session = db_session()
    session.expire_all()  # the worker writes the job in sessions of its own
    try:
        job = jobs.get_job(session, job_id)
    except NotFound as exc:
        refuse(exc)
    session.commit()  # a job found stale was marked failed
    return _with_link(jobs.status(session, job))


def _with_link(status: dict) -> dict:
    run_id = status["run_id"]
    status["run_url"] = None if run_id is None else url_for("payout_runs.get_run", run_id=run_id)
    return status


@blp.route("/jobs")
@permission_required("statements.read_all")
@blp.arguments(JobListQuerySchema, location="query")
@blp.response(200, JobPageSchema)
def list_jobs(query):
    """Build jobs, newest first: what is queued or building, what failed and why."""
    session = db_session()
    page, per_page = query["page"], query["per_page"]
    rows, total = jobs.list_jobs(
        session, period=query["period"], offset=(page - 1) * per_page, limit=per_page
    )
    session.commit()  # jobs found stale were marked failed
    items = [_with_link(jobs.status(session, job)) for job in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


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
    page, per_page = query["page"], query["per_page"]
    rows, total = payout_runs.list_runs(
        db_session(), period=query["period"], offset=(page - 1) * per_page, limit=per_page
    )
    return {"items": rows, "page": page, "per_page": per_page, "total": total}


@blp.route("/<int:run_id>")
@permission_required("statements.read_all")
@blp.response(200, RunSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_run(run_id: int):
    """One run: its state, the hashes it was computed from, its counts and progress."""
    return _run(run_id)


@blp.route("/<int:run_id>/lines")
@permission_required("statements.read_all")
@blp.arguments(LineQuerySchema, location="query")
@blp.response(200, LinePageSchema)
@blp.alt_response(404, schema=ErrorSchema)
def run_lines(query, run_id: int):
    """A page of the run's lines with their traces, by participant, plan and position."""
    run = _run(run_id)
    page, per_page = query["page"], query["per_page"]
    rows, total = payout_runs.run_lines(
        db_session(),
        run,
        participant=query["participant"],
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return {"items": rows, "page": page, "per_page": per_page, "total": total}
