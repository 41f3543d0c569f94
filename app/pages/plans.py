"""Plan pages for the committee, comp admins and auditors (anyone with `plans.read`).

    GET /plans                      every plan, with its active and latest version
    GET /plans/KEY                  its versions: state, effective date, content hash
    GET /plans/KEY/N                one version's document (canonical YAML) and history,
                                    where it stands (`plans.progress`)
    POST /plans/KEY/N/submit        submit a draft with its effective date (plans.edit)
    POST /plans/KEY/N/approve       record the committee's approval (plans.approve; the
                                    votes must allow it, as through the API)
    POST /plans/KEY/N/activate      put an approved version in force (plans.activate)
    GET /plans/KEY/diff?from=A&to=B the structural diff between any two versions

Thin: `governance.plans` (lookup, review, lifecycle) answers; an unknown plan or version
is the 404 page; a refused submission re-renders the version page with every problem.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import permission_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.limits import bounded_int
from app.tasks import impacts as impact_tasks
from governance import accounts
from governance.errors import DocumentRejected
from governance.plans import acknowledgements, lifecycle, lookup, review
from governance.plans.progress import next_step
from rules.problems import Problem

bp = Blueprint("plan_pages", __name__, url_prefix="/plans")


@bp.get("")
@permission_required("plans.read")
def plans():
    return render_template("committee/plans.html", plans=lookup.list_plans(db_session()))


def versions_page(key: str, status: int = 200):
    """A plan's versions, with how many people acknowledged each."""
    session = db_session()
    found = review.plan_versions(session, key)
    acks = acknowledgements.counts(session, key)
    return render_template("committee/plan_versions.html", acks=acks, **found), status


@bp.get("/<string:key>")
@permission_required("plans.read")
def versions(key: str):
    return versions_page(key)


def _version_page(key: str, number: int, status: int = 200):
    session = db_session()
    found = lookup.get_version(session, key, number)
    people = accounts.names(session, [t.actor_id for t in found.transitions])
    page = render_template(
        "committee/plan_version.html",
        version=found,
        yaml=lookup.export_yaml(found),
        people=people,
        next_step=next_step(session, found),
        acknowledged=acknowledgements.of_version(session, found),
        form=request.form if request.method == "POST" else {},
    )
    return page, status


@bp.get("/<string:key>/<int:number>")
@permission_required("plans.read")
def version(key: str, number: int):
    return _version_page(key, number)


def _form_date(name: str) -> date | None:
    text = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise DocumentRejected(
            "The effective date is not a date.",
            [Problem(path=name, message=f"expected YYYY-MM-DD, got {text!r}")],
        ) from None


@bp.post("/<string:key>/<int:number>/submit")
@permission_required("plans.edit")
@on_refusal(_version_page)
def submit(key: str, number: int):
    """Submit a draft: the effective date is required and voted on with the plan."""
    with unit_of_work() as session:
        found = lifecycle.submit(
            session,
            current_user,
            key,
            number,
            effective_from=_form_date("effective_from"),
            retroactive=request.form.get("retroactive") == "on",
            note=_note(),
            impact_on_worker=True,
        )
        label, day = found.label, found.effective_from
    impact_tasks.submitted(found, current_user)
    flash(
        f"{label} is submitted to the committee, effective from {day}; a worker computes"
        " its impact simulation.",
        "success",
    )
    return redirect(url_for("plan_pages.version", key=key, number=number), 303)


def _decide(action, key: str, number: int, done: str):
    """Approve or activate, as the API does (`lifecycle`; the same permissions)."""
    with unit_of_work():
        label = action(db_session(), current_user, key, number, note=_note()).label
    flash(f"{label} is {done}.", "success")
    return redirect(url_for("plan_pages.version", key=key, number=number), 303)


def _note() -> str | None:
    return request.form.get("note", "").strip() or None


@bp.post("/<string:key>/<int:number>/approve")
@permission_required("plans.approve")
@on_refusal(_version_page)
def approve(key: str, number: int):
    return _decide(lifecycle.approve, key, number, "approved")


@bp.post("/<string:key>/<int:number>/activate")
@permission_required("plans.activate")
@on_refusal(_version_page)
def activate(key: str, number: int):
    return _decide(lifecycle.activate, key, number, "active: it governs from its effective date")


@bp.get("/<string:key>/diff")
@permission_required("plans.read")
def diff(key: str):
    session = db_session()
    found = review.plan_versions(session, key)
    numbers = [row["version"].number for row in found["versions"]]
    old = request.args.get("from", type=bounded_int)
    new = request.args.get("to", type=bounded_int)
    for name, picked in (("from", old), ("to", new)):
        if request.args.get(name) and picked is None:
            abort(400, description=f"{name}: expected a version number, got {request.args[name]!r}")
    if old is None or new is None:  # nothing picked yet: propose the two latest
        old = numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else None)
        new = numbers[0] if numbers else None
    if old not in numbers or new not in numbers:
        abort(404, description=f"Plan {key!r} has versions {sorted(numbers)} only.")
    result = review.version_diff(session, key, old, new)
    return render_template("committee/plan_diff.html", numbers=numbers, **found, **result)
