"""Payout runs over HTTP.

    POST /payout-runs                 start (or re-run the draft of) a period: payouts.run
    GET  /payout-runs                 runs, newest period first (paged, ?period=)
    GET  /payout-runs/<id>            one run: state, hashes, counts, progress
    GET  /payout-runs/<id>/lines      its lines with traces (paged, ?participant=)

Reading needs `statements.read_all` (comp admins, the committee, auditors).

The run is built synchronously, in the request, in one transaction (see
docs/payout-runs.md): the response is the finished run with its counts, or an error and
nothing written. A client that times out can GET the list: the run appears, complete,
once committed. Very large periods are run from the CLI (`accord payouts run`), which
shows a progress bar. Refusals: 403 permission, 404 no run, 409 a run of the period is
approved/locked or being built, 422 a bad period, data or evaluation problems (all listed).
"""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from app.api.payout_runs.schemas import (
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
from governance import payout_runs
from governance import policy_errors as errors

blp = Blueprint(
    "payout_runs", __name__, url_prefix="/payout-runs", description="Payout runs of a period"
)


def _run(run_id: int):
    try:
        return payout_runs.get_run(db_session(), run_id)
    except errors.NotFound as exc:
        refuse(exc)


@blp.route("", methods=["POST"])
@permission_required("payouts.run")
@blp.arguments(StartRunSchema)
@blp.response(201, RunSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def start(body):
    """Run a period (a draft of it is re-run in place); returns the finished run."""
    session = db_session()
    try:
        run = payout_runs.start_run(session, current_user, body["period"])
    except errors.PolicyError as exc:
        refuse(exc)
    session.commit()
    return run


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
