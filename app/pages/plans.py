"""Plan pages for the committee, comp admins and auditors (anyone with `plans.read`).

    GET /plans                      every plan, with its active and latest version
    GET /plans/KEY                  its versions: state, effective date, content hash
    GET /plans/KEY/N                one version's document (canonical YAML) and history
    GET /plans/KEY/diff?from=A&to=B the structural diff between any two versions

Read-only and thin: `governance.plans` (lookup, review) answers; an unknown plan or
version is the 404 page.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.auth.decorators import permission_required
from app.database import db_session
from governance import accounts
from governance.plans import lookup, review

bp = Blueprint("plan_pages", __name__, url_prefix="/plans")


@bp.get("")
@permission_required("plans.read")
def plans():
    return render_template("committee/plans.html", plans=lookup.list_plans(db_session()))


@bp.get("/<string:key>")
@permission_required("plans.read")
def versions(key: str):
    found = review.plan_versions(db_session(), key)
    return render_template("committee/plan_versions.html", **found)


@bp.get("/<string:key>/<int:number>")
@permission_required("plans.read")
def version(key: str, number: int):
    session = db_session()
    found = lookup.get_version(session, key, number)
    people = accounts.names(session, [t.actor_id for t in found.transitions])
    return render_template(
        "committee/plan_version.html",
        version=found,
        yaml=lookup.export_yaml(found),
        people=people,
    )


@bp.get("/<string:key>/diff")
@permission_required("plans.read")
def diff(key: str):
    session = db_session()
    found = review.plan_versions(session, key)
    numbers = [row["version"].number for row in found["versions"]]
    old = request.args.get("from", type=int)
    new = request.args.get("to", type=int)
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
