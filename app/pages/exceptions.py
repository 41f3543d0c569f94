"""Deal-desk pages: exceptions (list, file form, detail with impact and votes).

    GET  /exceptions                      ?state=&q=&sort=&dir=&page= (newest first)
    GET|POST /exceptions/new              the file form (exceptions.file); file it
    GET  /exceptions/N                    what it asks, the impact estimate, votes, tally
    POST /exceptions/N/vote|withdraw      vote (bound to the content hash); take it back

Readers: the deal desk, the committee, comp admins, auditors (`exceptions.can_read`).
Each form is one `governance.exceptions` call in one unit of work; a refusal re-renders
the page with its status and every problem flashed (to a non-reader: the error page).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import login_required, permission_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.pages.listing import page_arg, search_arg, sort_arg
from governance import accounts, paging
from governance.desk import deals as desk
from governance.exceptions import listing
from governance.exceptions import workflow as exceptions
from governance.exceptions.fields import COMMON, KIND_FIELDS
from governance.permissions import has_permission
from models.exceptions import EXCEPTION_KINDS, EXCEPTION_STATES

bp = Blueprint("exception_pages", __name__, url_prefix="/exceptions")

STATES = (*EXCEPTION_STATES, "expired")
PER_PAGE = 50


def _readers_only() -> None:
    if not exceptions.can_read(current_user):
        abort(403, description="Reading exceptions needs a deal-desk role.")


@bp.get("")
@login_required
def index():
    _readers_only()
    state = request.args.get("state")
    state = state if state in STATES else None  # an unknown filter shows every exception
    search, sort, page = search_arg(), sort_arg(listing.COLUMNS, listing.DEFAULT_SORT), page_arg()
    rows, total = listing.page_exceptions(
        db_session(),
        state=state,
        search=search,
        sort=sort,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    return render_template(
        "exceptions/list.html",
        exceptions=rows,
        total=total,
        state=state,
        states=STATES,
        shown_state=exceptions.shown_state,
        q=search,
        sort=sort,
        args={k: v for k, v in (("state", state), ("q", search)) if v},
        page=page,
        pages=paging.pages(total, PER_PAGE),
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


def _new_form(status: int = 200):
    form = request.form if request.method == "POST" else request.args  # ?deal=D-2 prefills
    return render_template("exceptions/new.html", kinds=EXCEPTION_KINDS, form=form), status


@bp.route("/new", methods=["GET", "POST"])
@permission_required("exceptions.file")
@on_refusal(_new_form)
def new():
    if request.method == "GET":
        return _new_form()
    with unit_of_work() as session:
        exc = exceptions.file_exception(session, current_user, _fields(request.form))
    flash(f"{exc.label} is filed: decided by {route_name(exc)}.", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exc.id), 303)


def route_name(exc) -> str:
    return "the committee" if exc.route == "committee" else "the deal desk and finance"


def _render_detail(exception_id: int, status: int = 200):
    session = db_session()
    exc = exceptions.get_exception(session, exception_id)
    votes = exceptions.exception_votes(session, exc)
    names = accounts.names(session, [v.voter_id for v in votes] + [exc.filed_by_id])
    impact = exc.impact or {}
    impacted = [r.get("participant") for r in impact.get("participants") or ()]
    impacted += [
        r.get("participant") for r in (impact.get("later") or {}).get("participants") or ()
    ]
    return render_template(
        "exceptions/detail.html",
        exc=exc,
        state=exceptions.shown_state(exc),
        tally=exceptions.exception_tally(session, exc).as_dict(),
        votes=[{"vote": v, "voter": names.get(v.voter_id, f"user {v.voter_id}")} for v in votes],
        filer=names.get(exc.filed_by_id, "the system"),
        people=desk.participant_names(
            session, [*impacted, exc.participant_id, *(c["participant"] for c in exc.credits or ())]
        ),
        route_name=route_name(exc),
        refusal=exceptions.vote_refusal(session, current_user, exc),
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


def _not_a_reader(_refusal) -> bool:
    return not exceptions.can_read(current_user)


@bp.post("/<int:exception_id>/vote")
@login_required
@on_refusal(_render_detail, plain=_not_a_reader)
def vote(exception_id: int):
    decision = request.form.get("decision", "")
    with unit_of_work() as session:
        _vote, tally = exceptions.cast_exception_vote(
            session,
            current_user,
            exception_id,
            decision=decision,
            content_hash=request.form.get("content_hash", ""),
            comment=request.form.get("comment", "").strip() or None,
        )
    state = exceptions.get_exception(session, exception_id).state
    outcome = f"It is {state}." if state != "submitted" else f"Tally: {tally.summary()}."
    flash(f"Your vote is recorded. {outcome}", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exception_id), 303)


@bp.post("/<int:exception_id>/withdraw")
@login_required
@on_refusal(_render_detail, plain=_not_a_reader)
def withdraw(exception_id: int):
    version = request.form.get("version", "")
    with unit_of_work() as session:
        exceptions.withdraw(
            session,
            current_user,
            exception_id,
            note=request.form.get("note", "").strip() or None,
            expected_version=int(version) if version.isdigit() else None,
        )
    flash("The exception is withdrawn.", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exception_id), 303)
