"""Payout-run pages: the runs, one run's close (hashes, totals, tally, votes), and the
forms to start or re-run a period, vote on a draft, lock an approved run, discard a draft.

    GET  /payout-runs                    runs, newest period first (?sort=&dir=&page=);
                                         the start form
    POST /payout-runs                    start (or re-run the draft of) a period: payouts.run
                                         (queued: a worker builds it) -> the job's page
    GET  /payout-runs/jobs/N             a build job: progress, refreshing itself while
                                         queued or building; once done -> the run's page
    GET  /payout-runs/N                  one run: state, hashes, counts, totals, tally, votes;
                                         stale or not, what its last build changed; its
                                         figures charted (?csv=by-plan|by-team|
                                         distribution|change: a chart's numbers)
    POST /payout-runs/N/vote             approve or reject a draft (changes.vote)
    POST /payout-runs/N/lock             approved -> locked (payouts.run)
    POST /payout-runs/N/discard          draft -> discarded, with a reason (payouts.run)
    POST /payout-runs/N/publish          a locked run's statements to its reps
                                         (payouts.publish)

Reading needs `statements.read_all`, as the API's reads do. Each form is one
`governance.payouts` call in one unit of work (starting: the job's, app/tasks/); a
refusal re-renders the page with its status and every problem flashed (an unknown run:
the 404 page), nothing written. The browser never waits on a whole run.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import charts, jobs
from app.auth.decorators import permission_required
from app.database import database, db_session, unit_of_work
from app.errors import on_refusal
from app.pages.listing import page_arg, sort_arg
from app.pages.run_figures import run_charts
from app.tasks.payout_runs import queue_run
from governance import paging
from governance.errors import NotFound
from governance.payouts import close as payout_close
from governance.payouts import figures as payout_figures
from governance.payouts import overview as payout_overview
from governance.payouts import runs as payout_runs
from governance.payouts.staleness import latest_build

bp = Blueprint("payout_run_pages", __name__, url_prefix="/payout-runs")
PER_PAGE = 50


def _list_page(status: int = 200, period: str = ""):
    session = db_session()
    sort, page = sort_arg(payout_runs.RUN_COLUMNS, payout_runs.RUN_SORT), page_arg()
    rows, total = payout_overview.run_rows(
        session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE, sort=sort
    )
    return render_template(
        "payouts/list.html",
        rows=rows,
        total=total,
        sort=sort,
        page=page,
        pages=paging.pages(total, PER_PAGE),
        jobs=jobs.active_statuses(session),  # runs being built for the API
        period=period,
    ), status


@bp.get("")
@permission_required(payout_overview.READ)
def index():
    return _list_page()


def _period() -> str:
    return request.form.get("period", "").strip()


@bp.post("")
@permission_required("payouts.run")
@on_refusal(lambda status: _list_page(status, _period()))
def start():
    early = request.form.get("early") == "on"
    job = queue_run(current_user, _period(), early=early)
    return redirect(url_for("payout_run_pages.job", job_id=job.id), 303)


@bp.get("/jobs/<int:job_id>")
@permission_required(payout_overview.READ)
def job(job_id: int):
    """A build job: while queued or building the page refreshes itself; once done, the
    run's page with what the build changed; failed, why (nothing was written)."""
    status = jobs.job_status(database().sessionmaker, job_id)
    if status["state"] != "done":
        return render_template("payouts/job.html", job=status)
    session = db_session()
    run = payout_runs.get_run(session, status["run_id"])
    build = latest_build(session, run)
    if build.identical:
        outcome = f"Nothing changed since build {build.number - 1}: the votes on it stand."
    elif build.votes_voided:
        outcome = f"It changed: the {build.votes_voided} vote(s) on the build before are void."
    else:
        outcome = "It is a draft until the committee approves it."
    flash(
        f"{run.label} is built (build {build.number}): {run.statement_count} statements, "
        f"{run.line_count} lines. {outcome}",
        "success",
    )
    return redirect(url_for("payout_run_pages.detail", run_id=run.id), 303)


def _detail(run_id: int, status: int = 200):
    """The run's page (its charts' numbers as CSV for ?csv=name)."""
    session = db_session()
    view = payout_overview.run_overview(session, current_user, run_id)
    figures = payout_figures.run_figures(session, view["run"])
    page = charts.page_or_csv("payouts/detail.html", run_charts(figures), figures=figures, **view)
    return page, status


@bp.get("/<int:run_id>")
@permission_required(payout_overview.READ)
def detail(run_id: int):
    return _detail(run_id)


def _unknown_run(refusal) -> bool:
    return isinstance(refusal, NotFound)


@bp.post("/<int:run_id>/vote")
@permission_required("changes.vote")
@on_refusal(_detail, plain=_unknown_run)
def vote(run_id: int):
    decision = request.form.get("decision", "")
    with unit_of_work() as session:
        _vote, tally = payout_close.cast_run_vote(
            session,
            current_user,
            run_id,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    state = payout_runs.get_run(session, run_id).state
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
@on_refusal(_detail, plain=_unknown_run)
def lock(run_id: int):
    with unit_of_work() as session:
        run = payout_close.lock_run(
            session, current_user, run_id, note=request.form.get("note", "").strip() or None
        )
    flash(
        f"{run.label} is locked: its statements are final and payroll can be exported.", "success"
    )
    return redirect(url_for("payout_run_pages.detail", run_id=run_id), 303)


@bp.post("/<int:run_id>/discard")
@permission_required("payouts.run")
@on_refusal(_detail, plain=_unknown_run)
def discard(run_id: int):
    with unit_of_work() as session:
        run = payout_close.discard_run(
            session, current_user, run_id, reason=request.form.get("reason", "")
        )
    flash(f"{run.label} is discarded: it never pays. {run.period} can be run again.", "success")
    return redirect(url_for("payout_run_pages.detail", run_id=run_id), 303)


@bp.post("/<int:run_id>/publish")
@permission_required("payouts.publish")
@on_refusal(_detail, plain=_unknown_run)
def publish(run_id: int):
    with unit_of_work() as session:
        run = payout_close.publish_run(
            session, current_user, run_id, note=request.form.get("note", "").strip() or None
        )
    flash(f"{run.label} is published: its reps see their statements and are told.", "success")
    return redirect(url_for("payout_run_pages.detail", run_id=run_id), 303)
