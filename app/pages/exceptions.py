"""Deal-desk pages: exceptions (list, file form, detail with impact and votes).

    GET  /exceptions                      every exception, newest first (?state=...)
    GET  /exceptions/new                  the file form (exceptions.file)
    POST /exceptions/new                  file it; refused: the form again, every problem
    GET  /exceptions/N                    what it asks, the impact estimate, votes, tally
    POST /exceptions/N/vote               approve or reject (bound to the content hash)
    POST /exceptions/N/withdraw           take it back (the filer or the deal desk)

Readers are the deal desk, the committee, comp admins and auditors
(`governance.exceptions.can_read`). Thin: one `governance.exceptions` call per request,
one commit. A refusal re-renders the page with its status (403, 409, 422) and every
problem, nothing written.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import login_required, permission_required
from app.database import db_session
from app.refusals import flash_refusal
from governance import accounts
from governance.errors import GovernanceError, NotAllowed
from governance.exceptions import workflow as exceptions
from governance.exceptions.fields import COMMON, KIND_FIELDS
from governance.permissions import has_permission
from models.exceptions import EXCEPTION_KINDS, EXCEPTION_STATES

bp = Blueprint("exception_pages", __name__, url_prefix="/exceptions")

FORM_FIELDS = ("plan", "deal", "rule", "participant", "period", "amount", "credits")


def _readers_only() -> None:
    if not exceptions.can_read(current_user):
        abort(403, description="Reading exceptions needs a deal-desk role.")


@bp.get("")
@login_required
def index():
    _readers_only()
    state = request.args.get("state") or None
    try:
        found = exceptions.list_exceptions(db_session(), state=state)
    except GovernanceError:
        state, found = None, exceptions.list_exceptions(db_session())
    return render_template(
        "exceptions/list.html",
        exceptions=found,
        state=state,
        states=(*EXCEPTION_STATES, "expired"),
        shown_state=exceptions.shown_state,
    )


def _fields(form) -> dict:
    """The API body from the form: only the fields of the chosen kind, blanks left out."""
    kind = form.get("kind", "")
    wanted = COMMON + KIND_FIELDS.get(kind, ())
    fields: dict = {"kind": kind}
    for name in wanted:
        value = (form.get(name) or "").strip()
        if name == "kind" or not value:
            continue
        if name == "credits":  # one "participant share" pair a line
            fields[name] = [
                dict(zip(("participant", "share"), line.split(), strict=False))
                for line in value.splitlines()
                if line.strip()
            ]
        else:
            fields[name] = value
    return fields


@bp.route("/new", methods=["GET", "POST"])
@permission_required("exceptions.file")
def new():
    if request.method == "GET":
        return render_template("exceptions/new.html", kinds=EXCEPTION_KINDS, form={})
    session = db_session()
    try:
        exc = exceptions.file_exception(session, current_user, _fields(request.form))
    except GovernanceError as error:
        session.rollback()
        status = flash_refusal(error)
        return render_template(
            "exceptions/new.html", kinds=EXCEPTION_KINDS, form=request.form
        ), status
    session.commit()
    flash(f"{exc.label} is filed: decided by {_route_name(exc)}.", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exc.id), 303)


def _route_name(exc) -> str:
    return "the committee" if exc.route == "committee" else "the deal desk and finance"


def _render_detail(exception_id: int, status: int = 200):
    session = db_session()
    try:
        exc = exceptions.get_exception(session, exception_id)
    except GovernanceError as error:
        abort(404, description=error.message)
    votes = exceptions.exception_votes(session, exc)
    names = accounts.names(session, [v.voter_id for v in votes] + [exc.filed_by_id])
    return render_template(
        "exceptions/detail.html",
        exc=exc,
        state=exceptions.shown_state(exc),
        tally=exceptions.exception_tally(session, exc).as_dict(),
        votes=[{"vote": v, "voter": names.get(v.voter_id, f"user {v.voter_id}")} for v in votes],
        filer=names.get(exc.filed_by_id, "the system"),
        route_name=_route_name(exc),
        can_vote=exceptions.can_cast(session, current_user, exc),
        can_withdraw=exc.state == "submitted" and _may_withdraw(exc),
    ), status


def _may_withdraw(exc) -> bool:
    return has_permission(current_user, "exceptions.file") and (
        current_user.id == exc.filed_by_id or has_permission(current_user, "exceptions.decide")
    )


@bp.get("/<int:exception_id>")
@login_required
def detail(exception_id: int):
    _readers_only()
    return _render_detail(exception_id)


@bp.post("/<int:exception_id>/vote")
@login_required
def vote(exception_id: int):
    session = db_session()
    decision = request.form.get("decision", "")
    try:
        _vote, tally = exceptions.cast_exception_vote(
            session,
            current_user,
            exception_id,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    except GovernanceError as error:
        session.rollback()
        if isinstance(error, NotAllowed) and not exceptions.can_read(current_user):
            abort(403, description=error.message)
        return _render_detail(exception_id, flash_refusal(error))
    session.commit()
    state = exceptions.get_exception(session, exception_id).state
    outcome = f"It is {state}." if state != "submitted" else f"Tally: {tally.summary()}."
    flash(f"Your vote is recorded. {outcome}", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exception_id), 303)


@bp.post("/<int:exception_id>/withdraw")
@login_required
def withdraw(exception_id: int):
    session = db_session()
    version = request.form.get("version", "")
    try:
        exceptions.withdraw(
            session,
            current_user,
            exception_id,
            note=request.form.get("note", "").strip() or None,
            expected_version=int(version) if version.isdigit() else None,
        )
    except GovernanceError as error:
        session.rollback()
        if isinstance(error, NotAllowed) and not exceptions.can_read(current_user):
            abort(403, description=error.message)
        return _render_detail(exception_id, flash_refusal(error))
    session.commit()
    flash("The exception is withdrawn.", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exception_id), 303)
