"""Committee pages: change requests (list, detail with diff, tests, impact and votes, the
vote form) and the approval rules.

    GET  /committee/changes                       open requests first, with their tally
    GET  /committee/changes/KEY/N                 one request: everything a vote needs
    GET  /committee/changes/KEY/N?csv=CHART       an impact chart's numbers (CSV)
    POST /committee/changes/KEY/N/vote            approve or reject, with a comment
    POST /committee/changes/KEY/N/impact          compute its impact again (on a worker)
    GET  /committee/changes/KEY/N/why/PARTICIPANT why one participant wins or loses: the
                                                  active and proposed versions evaluated
                                                  for them, line by line with the causes
    GET  /committee/approval-rules                rules in force, history, open proposals
    POST /committee/approval-rules/N/vote         approve or reject a proposal

Reading change requests and the approval rules needs `plans.read`, as the API's (their
authors, auditors and the deal desk read them too: the ballot says why one may not
vote); voting and computing an impact again need `changes.vote` (committee members;
admins). Per-participant pay in the impact (its rows and charts) is shown to readers of
every statement, as in the API; others see the totals. A vote is one unit of work; a
refused one re-renders its page with the refusal's status, every problem flashed.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import charts
from app.auth.decorators import permission_required
from app.charts import page_or_csv as charts_page
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.pages import impact_charts
from app.pages.statements import cause_chart
from app.tasks import impacts as impact_tasks
from governance.committee import approval_rules as committee_approval_rules
from governance.committee.overview import rules_overview
from governance.desk import deals as desk
from governance.permissions import has_permission
from governance.plans import change_requests, review, why
from governance.plans import lookup as plans
from governance.plans.impact import totals_only
from governance.plans.votes import cast_plan_vote

bp = Blueprint("committee_pages", __name__, url_prefix="/committee")


@bp.get("/changes")
@permission_required("plans.read")
def changes():
    return render_template("committee/changes.html", requests=review.change_requests(db_session()))


def _detail(key: str, number: int, status: int = 200):
    detail = review.change_request(db_session(), current_user, key, number)
    impact = detail.get("impact") or {}
    if not has_permission(current_user, "statements.read_all"):  # as the API's impact
        impact = detail["impact"] = totals_only(impact)
    rows = [*(impact.get("top") or ()), *(impact.get("participants") or ())]
    ids = [r.get("participant") for r in rows] + impact_charts.participant_ids(impact)
    people = desk.participant_names(db_session(), ids)
    done = detail["impact_state"]["state"] == "done"
    charts = impact_charts.impact_charts(impact, people, done=done)
    spans = impact_charts.spans(impact) if charts else {}
    page = charts_page("committee/change.html", charts, people=people, spans=spans, **detail)
    return page, status


@bp.get("/changes/<string:key>/<int:number>")
@permission_required("plans.read")
def change(key: str, number: int):
    return _detail(key, number)


@bp.post("/changes/<string:key>/<int:number>/vote")
@permission_required("changes.vote")
@on_refusal(_detail)
def vote(key: str, number: int):
    decision = request.form.get("decision", "")
    with unit_of_work() as session:
        _vote, tally = cast_plan_vote(
            session,
            current_user,
            key,
            number,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    verb = "approval" if decision == "approve" else "rejection"
    state = plans.get_version(session, key, number).state
    if state in ("approved", "rejected"):
        outcome = f"The request is {state}."
    else:  # still open; approved by the votes but awaiting an effective date included
        outcome = f"Tally: {tally.summary()}."
    flash(f"Your {verb} is recorded. {outcome}", "success")
    return redirect(url_for("committee_pages.change", key=key, number=number), 303)


@bp.post("/changes/<string:key>/<int:number>/impact")
@permission_required("changes.vote")
@on_refusal(_detail)
def recompute_impact(key: str, number: int):
    """Queue the open request's impact simulation again, over today's data; the page
    then refreshes itself until a worker has computed it (or found it unchanged)."""
    request_id = change_requests.open_request_id(db_session(), key, number)
    impact_tasks.queue_again(current_user, request_id)
    flash("A worker computes the impact simulation again over today's data.", "success")
    return redirect(url_for("committee_pages.change", key=key, number=number), 303)


@bp.get("/changes/<string:key>/<int:number>/why/<string:participant>")
@permission_required("plans.read")
def participant_why(key: str, number: int, participant: str):
    """The same explanation a rep reads for a statement, for a plan change's winner or
    loser: the replaced and the proposed version in the most recent period with data."""
    found = why.participant_why(db_session(), key, number, participant)
    found["line_level"] = True
    chart = cause_chart("by-cause", found)
    return charts.page_or_csv(
        "committee/why.html", {"by-cause": chart} if chart else {}, found=found, chart=chart
    )


def _rules_page(status: int = 200):
    overview = rules_overview(db_session(), current_user)
    return render_template("committee/approval_rules.html", **overview), status


@bp.get("/approval-rules")
@permission_required("plans.read")
def approval_rules():
    return _rules_page()


@bp.post("/approval-rules/<int:number>/vote")
@permission_required("changes.vote")
@on_refusal(lambda status, number: _rules_page(status))
def vote_on_rules(number: int):
    decision = request.form.get("decision", "")
    with unit_of_work() as session:
        committee_approval_rules.cast_rules_vote(
            session,
            current_user,
            number,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    state = committee_approval_rules.get_rule_set(session, number).state
    outcome = {"active": "The new rules are in force.", "rejected": "The proposal is rejected."}
    verb = "approval" if decision == "approve" else "rejection"
    flash(
        f"Your {verb} is recorded. {outcome.get(state, 'The proposal is still open.')}", "success"
    )
    return redirect(url_for("committee_pages.approval_rules"), 303)
