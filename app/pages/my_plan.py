"""A participant's own plan, in plain words, and their acknowledgement of it.

    GET  /my-plan               each plan the signed-in user's participant is assigned to:
                                the version governing today, rates, tiers, gates, caps,
                                clawbacks, SPIFs and draw as sentences (`rules.plan_words`)
    POST /my-plan/acknowledge   "I have read version N" (plan, version, content_hash);
                                once per version, audited

Anyone signed in may open it (a rep has no `plans.read`): it shows only the plans their
own participant is assigned to, and says so when there are none.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import login_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.limits import bounded_int
from governance.errors import DocumentRejected
from governance.plans import acknowledgements
from models.base import utcnow
from rules.problems import Problem

bp = Blueprint("my_plan_pages", __name__, url_prefix="/my-plan")


def _page(status: int = 200):
    session = db_session()
    plans = acknowledgements.own_plans(session, current_user, utcnow().date())
    return render_template("plans/my_plan.html", plans=plans), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/acknowledge")
@login_required
@on_refusal(_page)
def acknowledge():
    key = request.form.get("plan", "")
    number = bounded_int(request.form.get("version", ""))
    if number is None:
        raise DocumentRejected(
            "Say which version you acknowledge.",
            [Problem(path="version", message="expected a version number")],
        )
    with unit_of_work() as session:
        record, new = acknowledgements.acknowledge(
            session, current_user, key, number, request.form.get("content_hash", "")
        )
        when = record.acknowledged_at.strftime("%Y-%m-%d %H:%M UTC")
    what = "You acknowledged" if new else "You had already acknowledged"
    flash(f"{what} {key} version {number} ({when}).", "success")
    return redirect(url_for("my_plan_pages.index"), 303)
