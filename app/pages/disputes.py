"""Dispute pages: a rep's disputes and the "dispute this line" form, a manager's view of
the team's, and the reviewers' queue with the forms that resolve.

    GET  /disputes                          reviewers: the queue (unresolved first, by due
                                            day, overdue highlighted); reps and managers:
                                            their own and their team's disputes
    GET  /disputes/<id>                     status, the line, attachments, history, forms
    GET  /disputes/lines/<line_id>/new      "dispute this line" (statement pages link here)
    POST /disputes/lines/<line_id>/new      file it
    POST /disputes/<id>/review|accept|reject|comment

Thin, like the API: parse the form, call one `governance.disputes` function, commit,
redirect (303) to the dispute. A refusal re-renders the page with every problem flashed
and the status the API would give (403, 404, 409, 422); nothing is written. Forms carry
the version the page showed, so acting on a page that has gone stale is refused (409).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import login_required
from app.database import db_session
from app.refusals import flash_refusal
from governance.disputes import rules as dispute_rules
from governance.disputes import workflow as disputes
from governance.errors import Conflict, GovernanceError, NotFound
from governance.permissions import has_permission
from models.base import utcnow
from models.disputes import OPEN_STATES

bp = Blueprint("dispute_pages", __name__, url_prefix="/disputes")


def _require_listing() -> None:
    if not dispute_rules.may_list(current_user):
        abort(403, description="Disputes are for reps, their managers, reviewers and auditors.")


def _version() -> int | None:
    raw = request.form.get("expected_version", "")
    return int(raw) if raw.isdigit() else None


@bp.get("")
@login_required
def index():
    _require_listing()
    session = db_session()
    everyone = dispute_rules.sees_all(current_user)
    rows = list(session.scalars(dispute_rules.visible(session, current_user)))
    queue = sorted((d for d in rows if d.state in OPEN_STATES), key=lambda d: (d.due_on, d.id))
    resolved = [d for d in rows if d.state not in OPEN_STATES]
    mine = current_user.participant_id
    return render_template(
        "disputes/index.html",
        everyone=everyone,
        queue=queue,
        resolved=resolved,
        mine=mine,
        today=utcnow().date(),
    )


def _detail(dispute_id: int, status: int = 200):
    session = db_session()
    try:
        dispute = dispute_rules.get(session, current_user, dispute_id)
    except NotFound as exc:
        abort(404, description=exc.message)
    reviewer = has_permission(current_user, "disputes.review")
    own = dispute.participant_id == current_user.participant_id
    return (
        render_template(
            "disputes/detail.html",
            dispute=dispute,
            can_review=reviewer and not own and dispute.is_open,
            can_comment=dispute.is_open
            and (reviewer or (own and has_permission(current_user, "disputes.file"))),
        ),
        status,
    )


@bp.get("/<int:dispute_id>")
@login_required
def detail(dispute_id: int):
    _require_listing()
    return _detail(dispute_id)


def _new_form(line_id: int, status: int = 200):
    session = db_session()
    try:
        line, run = disputes.disputable_line(session, current_user, line_id)
    except NotFound as exc:
        abort(404, description=exc.message)
    except Conflict as exc:
        abort(409, description=exc.message)
    return render_template("disputes/new.html", line=line, run=run, form=request.form), status


@bp.get("/lines/<int:line_id>/new")
@login_required
def new(line_id: int):
    if not has_permission(current_user, "disputes.file"):
        abort(403, description="Disputing a line needs the permission 'disputes.file'.")
    return _new_form(line_id)


@bp.post("/lines/<int:line_id>/new")
@login_required
def create(line_id: int):
    if not has_permission(current_user, "disputes.file"):
        abort(403, description="Disputing a line needs the permission 'disputes.file'.")
    form = request.form
    attachments = [
        {"name": name.strip(), "text": text}
        for name, text in zip(
            form.getlist("attachment_name"), form.getlist("attachment_text"), strict=False
        )
        if name.strip() or text.strip()
    ]
    session = db_session()
    try:
        dispute = disputes.file(
            session,
            current_user,
            line_id,
            reason=form.get("reason", ""),
            attachments=attachments,
            claimed_amount=form.get("claimed_amount", "").strip() or None,
            business_days=current_app.config.get("DISPUTE_DUE_BUSINESS_DAYS"),
        )
    except GovernanceError as exc:
        session.rollback()
        status = flash_refusal(exc)
        if status in (403, 404):
            abort(status, description=exc.message)
        return _new_form(line_id, status)
    session.commit()
    flash(f"Dispute {dispute.id} filed. It is due by {dispute.due_on.isoformat()}.", "success")
    return redirect(url_for("dispute_pages.detail", dispute_id=dispute.id), 303)


def _act(dispute_id: int, action, message: str, **kwargs):
    _require_listing()
    session = db_session()
    try:
        action(session, current_user, dispute_id, expected_version=_version(), **kwargs)
    except GovernanceError as exc:
        session.rollback()
        status = flash_refusal(exc)
        if status == 404:
            abort(404, description=exc.message)
        return _detail(dispute_id, status)
    session.commit()
    flash(message, "success")
    return redirect(url_for("dispute_pages.detail", dispute_id=dispute_id), 303)


@bp.post("/<int:dispute_id>/review")
@login_required
def review(dispute_id: int):
    comment = request.form.get("comment", "").strip() or None
    return _act(dispute_id, disputes.start_review, "Review started.", comment=comment)


@bp.post("/<int:dispute_id>/accept")
@login_required
def accept(dispute_id: int):
    return _act(
        dispute_id,
        disputes.resolve_accept,
        "Accepted: the adjustment exception is filed for approval.",
        amount=request.form.get("amount", "").strip() or None,
        resolution=request.form.get("resolution", ""),
    )


@bp.post("/<int:dispute_id>/reject")
@login_required
def reject(dispute_id: int):
    return _act(
        dispute_id,
        disputes.resolve_reject,
        "Rejected; the rep sees your reason.",
        resolution=request.form.get("resolution", ""),
    )


@bp.post("/<int:dispute_id>/comment")
@login_required
def comment(dispute_id: int):
    return _act(
        dispute_id, disputes.comment, "Comment added.", text=request.form.get("comment", "")
    )
