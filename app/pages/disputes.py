"""Dispute pages: a rep's disputes and the "dispute this line" form, a manager's view of
the team's, and the reviewers' queue (unresolved first, by due day) with its forms.

    GET  /disputes                          the queue; reps and managers: their own, team's
                                            (?q=&sort=&dir=&page=; resolved: ?resolved_page=)
    GET  /disputes/<id>                     status, the line, attachments, history, forms
    GET|POST /disputes/lines/<line_id>/new  "dispute this line" (statement pages link here)
    POST /disputes/<id>/review|accept|reject|comment

Each form is one `governance.disputes` call in one unit of work, then a redirect (303).
A refusal re-renders the page with the API's status, every problem flashed (a dispute or
line you may not see: the error page); forms carry the version the page showed (409).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from app.auth.decorators import login_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.limits import bounded_int
from app.pages.listing import page_arg, search_arg, sort_arg
from governance import paging
from governance.disputes import adjustment
from governance.disputes import rules as dispute_rules
from governance.disputes import workflow as disputes
from governance.errors import NotAllowed, NotFound
from governance.paging import Sort
from governance.permissions import has_permission
from models.base import utcnow
from models.disputes import OPEN_STATES, Dispute
from models.people import Participant

bp = Blueprint("dispute_pages", __name__, url_prefix="/disputes")
PER_PAGE = 50
COLUMNS = {
    "id": Dispute.id,
    "state": Dispute.state,
    "participant": Dispute.participant_id,
    "period": Dispute.period,
    "due": Dispute.due_on,
}
DEFAULT_SORT = Sort("due")


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
    search, page = search_arg(), page_arg()
    resolved_page = max(request.args.get("resolved_page", 1, type=bounded_int) or 1, 1)
    sort = sort_arg(COLUMNS, DEFAULT_SORT)
    visible = dispute_rules.visible(session, current_user).order_by(None)
    if search:
        named = select(Participant.id).where(paging.matching(search, Participant.name))
        visible = visible.where(
            or_(Dispute.participant_id.in_(named), paging.matching(search, Dispute.participant_id))
        )
    # The queue (unresolved) is sorted and paged; the resolved below, newest first, paged.
    queue, queued = paging.page(
        session,
        paging.ordered(visible.where(Dispute.state.in_(OPEN_STATES)), sort, COLUMNS, Dispute.id),
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    resolved, done = paging.page(
        session,
        visible.where(Dispute.state.not_in(OPEN_STATES)).order_by(Dispute.id.desc()),
        offset=(resolved_page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    args = {"q": search} if search else {}
    return render_template(
        "disputes/index.html",
        everyone=everyone,
        queue=queue,
        resolved=resolved,
        queued=queued,
        done=done,
        outcomes=adjustment.outcomes(session, queue + resolved),
        mine=current_user.participant_id,
        today=utcnow().date(),
        q=search,
        sort=sort,
        args=args,
        page=page,
        pages=paging.pages(queued, PER_PAGE),
        resolved_page=resolved_page,
        resolved_pages=paging.pages(done, PER_PAGE),
    )


def _detail(dispute_id: int, status: int = 200):
    session = db_session()
    dispute = dispute_rules.get(session, current_user, dispute_id)
    reviewer = has_permission(current_user, "disputes.review")
    own = dispute.participant_id == current_user.participant_id
    return (
        render_template(
            "disputes/detail.html",
            dispute=dispute,
            outcome=adjustment.outcome(session, dispute),
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
    line, run = disputes.disputable_line(db_session(), current_user, line_id)
    return render_template("disputes/new.html", line=line, run=run, form=request.form), status


@bp.get("/lines/<int:line_id>/new")
@login_required
def new(line_id: int):
    if not has_permission(current_user, "disputes.file"):
        abort(403, description="Disputing a line needs the permission 'disputes.file'.")
    return _new_form(line_id)


@bp.post("/lines/<int:line_id>/new")
@login_required
@on_refusal(_new_form, plain=lambda refusal: isinstance(refusal, NotFound | NotAllowed))
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
    with unit_of_work() as session:
        dispute = disputes.file(
            session,
            current_user,
            line_id,
            reason=form.get("reason", ""),
            attachments=attachments,
            claimed_amount=form.get("claimed_amount", "").strip() or None,
            business_days=current_app.config.get("DISPUTE_DUE_BUSINESS_DAYS"),
        )
    flash(f"Dispute {dispute.id} filed. It is due by {dispute.due_on.isoformat()}.", "success")
    return redirect(url_for("dispute_pages.detail", dispute_id=dispute.id), 303)


def _not_found(refusal) -> bool:
    return isinstance(refusal, NotFound)


def _act(dispute_id: int, action, message: str, **kwargs):
    _require_listing()
    with unit_of_work() as session:
        action(session, current_user, dispute_id, expected_version=_version(), **kwargs)
    flash(message, "success")
    return redirect(url_for("dispute_pages.detail", dispute_id=dispute_id), 303)


@bp.post("/<int:dispute_id>/review")
@login_required
@on_refusal(_detail, plain=_not_found)
def review(dispute_id: int):
    comment = request.form.get("comment", "").strip() or None
    return _act(dispute_id, disputes.start_review, "Review started.", comment=comment)


@bp.post("/<int:dispute_id>/accept")
@login_required
@on_refusal(_detail, plain=_not_found)
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
@on_refusal(_detail, plain=_not_found)
def reject(dispute_id: int):
    return _act(
        dispute_id,
        disputes.resolve_reject,
        "Rejected; the rep sees your reason.",
        resolution=request.form.get("resolution", ""),
    )


@bp.post("/<int:dispute_id>/comment")
@login_required
@on_refusal(_detail, plain=_not_found)
def comment(dispute_id: int):
    return _act(
        dispute_id, disputes.comment, "Comment added.", text=request.form.get("comment", "")
    )
