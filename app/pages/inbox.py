"""The inbox page: everything waiting for the signed-in user, and their e-mail choices.

    GET  /inbox               votes to cast, disputes to review, own requests waiting
    POST /inbox/preferences   which notifications come by e-mail

`inbox_count()` in every template: the navigation's count (votes and reviews), computed
once per request when a page shows it.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.auth.decorators import login_required
from app.database import db_session, unit_of_work
from governance.notifications import inbox, preferences
from models.notifications import EVENT_KINDS

bp = Blueprint("inbox_pages", __name__)
PER_PAGE = 25
KIND_TEXT = {
    "vote_requested": "A vote is requested of me",
    "decision_made": "A decision is made on something I wrote or voted on",
    "run_ready": "A payout run is ready for approval",
    "run_locked": "A payout run I started or voted on is locked",
    "run_published": "A payout run's statements are published",
    "dispute_filed": "A dispute is filed (reviewers)",
    "dispute_answered": "My dispute is answered",
    "dispute_overdue": "A dispute is overdue",
}


@bp.app_context_processor
def inbox_helpers() -> dict:
    def inbox_count() -> int:
        if not current_user.is_authenticated:
            return 0
        if "inbox_count" not in g:
            try:
                found = inbox.items(db_session(), current_user, exact=False)
                g.inbox_count = inbox.counts(found)["actionable"]
            except SQLAlchemyError:  # an error page of a database that failed: no count
                db_session().rollback()
                g.inbox_count = 0
        return g.inbox_count

    return {"inbox_count": inbox_count}


@bp.get("/inbox")
@login_required
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    session = db_session()
    found = inbox.page(session, current_user, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    g.inbox_count = found["counts"]["actionable"]
    return render_template(
        "inbox/index.html",
        items=found["items"],
        counts=found["counts"],
        total=found["total"],
        page=page,
        pages=max((found["total"] + PER_PAGE - 1) // PER_PAGE, 1),
        choices=preferences.email_choices(session, current_user.id),
        kind_text=KIND_TEXT,
    )


@bp.post("/inbox/preferences")
@login_required
def save_preferences():
    chosen = {kind: request.form.get(kind) == "on" for kind in EVENT_KINDS}
    with unit_of_work() as session:
        preferences.set_email_choices(session, current_user.id, chosen)
    flash("Your e-mail choices are saved.", "success")
    return redirect(url_for("inbox_pages.index"), 303)
