"""Committee pages: change requests (list, detail with diff, tests, impact and votes, the
vote form) and the approval rules.

    GET  /committee/changes                       open requests first, with their tally
    GET  /committee/changes/KEY/N                 one request: everything a vote needs
    POST /committee/changes/KEY/N/vote            approve or reject, with a comment
    GET  /committee/approval-rules                rules in force, history, open proposals
    POST /committee/approval-rules/N/vote         approve or reject a proposal

Every page needs `changes.vote` (committee members; admins). Thin: the facts come from
`governance.browse`, a vote is `governance.votes.cast_plan_vote`; the handler commits
once. A refused vote re-renders the request with the refusal's status (403, 409, 422)
and every problem flashed, nothing written.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import permission_required
from app.database import db_session
from app.refusals import flash_refusal
from governance.committee import approval_rules as committee_approval_rules
from governance.committee.overview import rules_overview
from governance.errors import GovernanceError
from governance.plans import lookup as plans
from governance.plans import review
from governance.plans.votes import cast_plan_vote

bp = Blueprint("committee", __name__, url_prefix="/committee")


def _not_found(exc: GovernanceError):
    abort(404, description=exc.message)


@bp.get("/changes")
@permission_required("changes.vote")
def changes():
    return render_template("committee/changes.html", requests=review.change_requests(db_session()))


def _detail(key: str, number: int, status: int = 200):
    try:
        detail = review.change_request(db_session(), current_user, key, number)
    except GovernanceError as exc:
        _not_found(exc)
    return render_template("committee/change.html", **detail), status


@bp.get("/changes/<string:key>/<int:number>")
@permission_required("changes.vote")
def change(key: str, number: int):
    return _detail(key, number)


@bp.post("/changes/<string:key>/<int:number>/vote")
@permission_required("changes.vote")
def vote(key: str, number: int):
    session = db_session()
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip() or None
    try:
        _vote, tally = cast_plan_vote(
            session,
            current_user,
            key,
            number,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=comment,
        )
    except GovernanceError as exc:
        session.rollback()
        return _detail(key, number, flash_refusal(exc))
    session.commit()
    verb = "approval" if decision == "approve" else "rejection"
    state = plans.get_version(session, key, number).state
    if state in ("approved", "rejected"):
        outcome = f"The request is {state}."
    else:  # still open; approved by the votes but awaiting an effective date included
        outcome = f"Tally: {tally.summary()}."
    flash(f"Your {verb} is recorded. {outcome}", "success")
    return redirect(url_for("committee.change", key=key, number=number), 303)


def _rules_page(status: int = 200):
    try:
        overview = rules_overview(db_session(), current_user)
    except GovernanceError as exc:
        _not_found(exc)
    return render_template("committee/approval_rules.html", **overview), status


@bp.get("/approval-rules")
@permission_required("changes.vote")
def approval_rules():
    return _rules_page()


@bp.post("/approval-rules/<int:number>/vote")
@permission_required("changes.vote")
def vote_on_rules(number: int):
    session = db_session()
    decision = request.form.get("decision", "")
    try:
        committee_approval_rules.cast_rules_vote(
            session,
            current_user,
            number,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    except GovernanceError as exc:
        session.rollback()
        return _rules_page(flash_refusal(exc))
    session.commit()
    state = committee_approval_rules.get_rule_set(session, number).state
    outcome = {"active": "The new rules are in force.", "rejected": "The proposal is rejected."}
    verb = "approval" if decision == "approve" else "rejection"
    flash(
        f"Your {verb} is recorded. {outcome.get(state, 'The proposal is still open.')}", "success"
    )
    return redirect(url_for("committee.approval_rules"), 303)
