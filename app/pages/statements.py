"""Statement pages: "My statements" for reps, the team's for managers, anyone's for comp
admins, committee members and auditors.

    GET /statements                              ?period=&participant=&page=
    GET /statements/<statement_id>               totals, every line with its explanation
    GET /statements/<statement_id>/lines/<id>    one line: explanation and full trace

Who sees what is `governance.statements` (the API's rules): a statement the user may not
read is a 404 page, as if it did not exist; a user with no statements permission gets
403. Exports and payroll are links to the API's downloads, which a signed-in browser may
fetch with its session.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.auth.decorators import login_required
from app.database import db_session
from app.limits import bounded_int
from governance.permissions import has_permission
from governance.statements import read as statements
from rules.period import Period, PeriodError

bp = Blueprint("statement_pages", __name__, url_prefix="/statements")
PER_PAGE = 100


@bp.get("")
@login_required
def index():
    session = db_session()
    periods = statements.periods(session, current_user)
    period = request.args.get("period", "").strip() or (periods[0]["period"] if periods else "")
    problem = None
    if period:
        try:
            Period.parse(period)
        except PeriodError as exc:
            problem, period = str(exc), ""
    participant = request.args.get("participant", "").strip() or None
    page = max(request.args.get("page", 1, type=bounded_int) or 1, 1)
    items = (
        statements.list_statements(session, current_user, period=period, participant=participant)
        if period
        else []
    )
    run = next((p for p in periods if p["period"] == period), None)
    pages = max(1, -(-len(items) // PER_PAGE))
    return render_template(
        "statements/index.html",
        periods=periods,
        period=period,
        run=run,
        participant=participant or "",
        statements=items[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(items),
        page=page,
        pages=pages,
        reads_all=has_permission(current_user, statements.READ_ALL),
        problem=problem,
    ), (400 if problem else 200)


@bp.get("/<int:statement_id>")
@login_required
def statement(statement_id: int):
    found = statements.get_statement(db_session(), current_user, statement_id, traces=True)
    return render_template("statements/statement.html", st=found)


@bp.get("/<int:statement_id>/lines/<int:line_id>")
@login_required
def line(statement_id: int, line_id: int):
    found = statements.get_line(db_session(), current_user, statement_id, line_id)
    return render_template("statements/line.html", line=found, st=found["statement"])
