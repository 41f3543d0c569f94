"""Payout-run pages: the runs, one run's close (hashes, totals, tally, votes), and the
forms to start or re-run a period, vote on a draft and lock an approved run.

    GET  /payout-runs                    runs, newest period first; the start form
    POST /payout-runs                    start (or re-run the draft of) a period: payouts.run
    GET  /payout-runs/N                  one run: state, hashes, counts, totals, tally, votes
    POST /payout-runs/N/vote             approve or reject a draft (changes.vote)
    POST /payout-runs/N/lock             approved -> locked (payouts.run)

Reading needs `statements.read_all`, as the API's reads do (comp admins, the committee,
auditors, admins). Thin: facts from `governance.payout_overview`, each form is one
`governance.payout_runs` / `governance.payout_close` call and one commit. A refusal
re-renders the page with its status (403, 404, 409, 422) and every problem flashed,
nothing written.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import jobs
from app.auth.decorators import permission_required
from app.database import db_session
from app.refusals import flash_refusal
from governance.errors import GovernanceError, NotFound
from governance.payouts import close as payout_close
from governance.payouts import overview as payout_overview
from governance.payouts import runs as payout_runs

bp = Blueprint("payout_run_pages", __name__, url_prefix="/payout-runs")


def _list_page(status: int = 200, period: str = ""):
    session = db_session()
    return render_template(
        "payouts/list.html",
        rows=payout_overview.run_rows(session),
        jobs=jobs.active_statuses(session),  # runs being built for the API
        period=period,
    ), status


@bp.get("")
@permission_required(payout_overview.READ)
def index():
    return _list_page()


@bp.post("")
@permission_required("payouts.run")
def start():
    session = db_session()
    period = request.form.get("period", "").strip()
    try:
        run = payout_runs.start_run(session, current_user, period)
    except GovernanceError as exc:
        session.rollback()
        return _list_page(flash_refusal(exc), period)
    session.commit()
    flash(
        f"{run.label} is built (build {run.version}): {run.statement_count} statements, "
        f"{run.line_count} lines. It is a draft until the committee approves it.",
        "success",
    )
    return redirect(url_for("payout_run_pages.detail", run_id=run.id), 303)


def _detail(run_id: int, status: int = 200):
    try:
        view = payout_overview.run_overview(db_session(), current_user, run_id)
    except NotFound as exc:
        abort(404, description=exc.message)
    return render_template("payouts/detail.html", **view), status


@bp.get("/<int:run_id>")
@permission_required(payout_overview.READ)
def detail(run_id: int):
    return _detail(run_id)


@bp.post("/<int:run_id>/vote")
@permission_required("changes.vote")
def vote(run_id: int):
    session = db_session()
    decision = request.form.get("decision", "")
    try:
        _vote, tally = payout_close.cast_run_vote(
            session,
            current_user,
            run_id,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    except GovernanceError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            abort(404, description=exc.message)
        return _detail(run_id, flash_refusal(exc))
    session.commit()
    state = payout_close.get_run(session, run_id).state
    if state == "approved":
        outcome = "The run is approved: a comp admin can lock it."
    elif tally.rejected:
        outcome = "The run is rejected: re-run the period after the fix."
    else:
        outcome = f"Tally: {tally.summary()}."
    verb = "approval" if decision == "approve" else "rejection"
    flash(f"Your {verb} is recorded. {outcome}", "success")
    return redirect(url_for("payout_run_pages.detail", run_id=run_id), 303)


@bp.post("/<int:run_id>/lock")
@permission_required("payouts.run")
def lock(run_id: int):
    session = db_session()
    try:
        run = payout_close.lock_run(
            session, current_user, run_id, note=request.form.get("note", "").strip() or None
        )
    except GovernanceError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            abort(404, description=exc.message)
        return _detail(run_id, flash_refusal(exc))
    session.commit()
    flash(
        f"{run.label} is locked: its statements are final and payroll can be exported.", "success"
    )
    return redirect(url_for("payout_run_pages.detail", run_id=run_id), 303)
