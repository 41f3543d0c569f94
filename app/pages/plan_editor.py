"""The plan editor for comp admins (`plans.edit`): a draft's YAML in a textarea, checked
as submission would check it, each problem at its line.

    POST /plans/KEY/draft          a new draft from the current version, then its editor
    GET  /plans/KEY/N/edit         the editor: text, problems, diff against the active
                                   version, the submit form (effective date)
    POST /plans/KEY/N/edit         action=check: the problems of the posted text (no write);
                                   action=save: PUT semantics, `expected_revision` required
    POST /plans/KEY/N/check        JSON {"document": TEXT} -> {"problems": [...]}: the
                                   editor's script checks as one types (CSRF header)

Thin: `governance.plans.editing` (draft, check, lines) and `lifecycle.update_draft`;
the script is app/static/plan-editor.js, served from here (the CSP allows no inline code).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import permission_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.limits import bounded_int
from app.pages.plans import versions_page
from governance.errors import DocumentRejected
from governance.plans import editing, lifecycle, lookup, review
from governance.plans.progress import next_step

bp = Blueprint("plan_editor", __name__, url_prefix="/plans")


@bp.post("/<string:key>/draft")
@permission_required("plans.edit")
@on_refusal(versions_page)
def new_draft(key: str):
    with unit_of_work() as session:
        version = editing.draft_from_current(session, current_user, key)
        number, label = version.number, version.label
    flash(f"{label} is a new draft: edit it, check it, save it, then submit it.", "success")
    return redirect(url_for("plan_editor.edit", key=key, number=number), 303)


def _editor_page(key: str, number: int, status: int = 200, *, text=None, problems=None):
    """The editor for `text` (default: the posted one, else the stored draft) and its
    `problems` (default: the check of that text)."""
    session = db_session()
    version = lookup.get_version(session, key, number)
    if text is None:
        text = request.form.get("document") if request.method == "POST" else None
        text = version.document if text is None else text
    if problems is None:
        problems = editing.check(session, version, text)
    active = version.plan.active_number
    diff = None
    if active and active != number:
        diff = review.version_diff(session, key, active, number)["readable_diff"]
    page = render_template(
        "committee/plan_editor.html",
        version=version,
        text=text,
        line_count=max(1, text.count("\n") + 1),
        bad_lines={lp.line for lp in problems if lp.line},
        problems=problems,
        blocking=editing.blocking(problems),
        revision=request.form.get("expected_revision") or version.plan.revision,
        active=active,
        changes=diff,
        next_step=next_step(session, version),
        form=request.form if request.method == "POST" else {},
    )
    return page, status


@bp.get("/<string:key>/<int:number>/edit")
@permission_required("plans.edit")
def edit(key: str, number: int):
    return _editor_page(key, number)


@bp.post("/<string:key>/<int:number>/edit")
@permission_required("plans.edit")
@on_refusal(_editor_page)
def save(key: str, number: int):
    """Check (nothing written) or save the posted text; a stale revision is refused."""
    text = request.form.get("document", "")
    if request.form.get("action") != "save":
        return _editor_page(key, number, text=text)
    expected = bounded_int(request.form.get("expected_revision", ""))
    if expected is None:
        abort(428, description="Reload the editor: the form names no plan revision.")
    try:
        with unit_of_work() as session:
            lifecycle.update_draft(
                session, current_user, key, number, text, expected_revision=expected
            )
    except DocumentRejected as refused:
        flash(f"Not saved: {refused.message} Every problem is listed at its line.", "error")
        return _editor_page(
            key, number, 422, text=text, problems=editing.locate(text, refused.problems)
        )
    flash(f"{key}/{number} is saved.", "success")
    return redirect(url_for("plan_editor.edit", key=key, number=number), 303)


@bp.post("/<string:key>/<int:number>/check")
@permission_required("plans.edit")
def check(key: str, number: int):
    """The editor's live check: the posted text's problems with their lines, as JSON."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("document"), str):
        abort(400, description='Send {"document": "the plan text"} as JSON.')
    session = db_session()
    version = lookup.get_version(session, key, number)
    problems = editing.check(session, version, body["document"])
    return jsonify(
        {
            "problems": [lp.as_dict() for lp in problems],
            "blocking": editing.blocking(problems),
        }
    )
