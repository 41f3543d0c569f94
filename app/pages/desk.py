"""Deal-desk pages (`data.read`): find a deal or a participant, see a deal's lines, file
an exception on it with its gate or clawback picked from the governing plan version.

    GET  /desk?q=...&what=deals|participants   search by id or name, a page at a time
    GET  /desk/deals/<id>                      the deal, the lines it produced in the
                                               latest run (blocked, reduced, held, by
                                               which gate), the filing forms
    POST /desk/deals/<id>/exceptions           file a waiver (exceptions.file) -> its page

The look-ups are governance/desk/; filing is `exceptions.file_exception`, as the
exceptions form and the API. A refusal re-renders the deal page with every problem.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import permission_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.pages.exceptions import route_name
from governance.desk import deals as desk
from governance.desk import search
from governance.exceptions import workflow as exceptions
from governance.permissions import has_permission

bp = Blueprint("desk_pages", __name__, url_prefix="/desk")
PER_PAGE = 25
WHAT = ("deals", "participants")
WAIVERS = ("waive_gate", "waive_clawback")


@bp.get("")
@permission_required(search.PERMISSION)
def index():
    query = request.args.get("q", "").strip()[: search.MAX_QUERY]
    what = request.args.get("what", "deals")
    what = what if what in WHAT else "deals"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = [], 0
    if query:
        find = search.deals if what == "deals" else search.participants
        rows, total = find(
            db_session(), current_user, query, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
        )
    return render_template(
        "desk/index.html",
        q=query,
        what=what,
        rows=rows,
        total=total,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
    )


def _deal(deal_id: str, status: int = 200):
    view = desk.deal_view(db_session(), current_user, deal_id)
    form = request.form if request.method == "POST" else {}
    return render_template(
        "desk/deal.html",
        view=view,
        form=form,
        choices={
            "waive_gate": [(p, g) for p in view.plans for g in p.gates],
            "waive_clawback": [(p, c) for p in view.plans for c in p.clawbacks],
        },
        may_file=has_permission(current_user, "exceptions.file"),
    ), status


@bp.get("/deals/<deal_id>")
@permission_required(desk.PERMISSION)
def deal(deal_id: str):
    return _deal(deal_id)


def _waiver(deal_id: str) -> dict:
    """The exception's fields from the form: `rule` is "plan|rule id", picked from a list."""
    kind = request.form.get("kind", "")
    plan, _, rule = request.form.get("rule", "").partition("|")
    fields = {"kind": kind, "plan": plan, "deal": deal_id, "rule": rule}
    for name in ("justification", "expires_on", "period"):
        value = (request.form.get(name) or "").strip()
        if value:
            fields[name] = value
    return fields


@bp.post("/deals/<deal_id>/exceptions")
@permission_required("exceptions.file")
@on_refusal(_deal)
def file(deal_id: str):
    desk.deal_view(db_session(), current_user, deal_id)  # data.read, and the deal exists
    with unit_of_work() as session:
        exc = exceptions.file_exception(session, current_user, _waiver(deal_id))
    flash(f"{exc.label} is filed: decided by {route_name(exc)}.", "success")
    return redirect(url_for("exception_pages.detail", exception_id=exc.id), 303)
