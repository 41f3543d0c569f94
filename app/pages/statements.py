"""Statement pages: "My statements" for reps, the team's for managers, anyone's for comp
admins, committee members and auditors.

    GET /statements                 ?period=&q=&participant=&sort=&dir=&page=
                                    one page in SQL; the matching statements' totals
    GET /statements/<statement_id>  ?q=&status=&sort=&dir=&page=  totals, a page of lines
                                    with their explanations
    GET /statements/<statement_id>/lines/<id>    one line: explanation and full trace
    GET /statements/<statement_id>/changes  ?against=previous-period|previous-build
                                    what changed, line by line with the causes, and a
                                    chart of the change by cause

Who sees what is `governance.statements` (the API's rules): a statement the user may not
read is a 404 page, as if it did not exist; a user with no statements permission gets
403. Exports and payroll are links to the API's downloads, which a signed-in browser may
fetch with its session.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from app import charts
from app.auth.decorators import login_required
from app.database import db_session
from app.pages.listing import page_arg, search_arg, sort_arg
from governance import paging
from governance.permissions import has_permission
from governance.statements import compare
from governance.statements import read as statements
from governance.statements.pay_changes import CAUSE_NAMES
from rules.period import Period, PeriodError

bp = Blueprint("statement_pages", __name__, url_prefix="/statements")
PER_PAGE = 100
LINES_PER_PAGE = 50


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
    participant = request.args.get("participant", "").strip()
    search = search_arg()
    sort = sort_arg(statements.STATEMENT_COLUMNS, statements.DEFAULT_SORT)
    page = page_arg()
    found = (
        statements.page_statements(
            session,
            current_user,
            period=period,
            search=search,
            participant=participant or None,
            sort=sort,
            offset=(page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
        if period
        else {"items": [], "total": 0, "totals": []}
    )
    run = next((p for p in periods if p["period"] == period), None)
    # The list's filters, kept by the pager and the column headers' links.
    args = {k: v for k, v in (("period", period), ("q", search), ("participant", participant)) if v}
    return render_template(
        "statements/index.html",
        periods=periods,
        period=period,
        run=run,
        participant=participant,
        q=search,
        statements=found["items"],
        total=found["total"],
        totals=found["totals"],
        sort=sort,
        args=args,
        page=page,
        pages=paging.pages(found["total"], PER_PAGE),
        reads_all=has_permission(current_user, statements.READ_ALL),
        problem=problem,
    ), (400 if problem else 200)


@bp.get("/<int:statement_id>")
@login_required
def statement(statement_id: int):
    search, status = search_arg(), search_arg("status")
    sort = sort_arg(statements.LINE_COLUMNS, statements.LINE_SORT)
    page = page_arg()
    found = statements.statement_lines_page(
        db_session(),
        current_user,
        statement_id,
        search=search,
        status=status,
        sort=sort,
        offset=(page - 1) * LINES_PER_PAGE,
        limit=LINES_PER_PAGE,
    )
    args = {k: v for k, v in (("q", search), ("status", status)) if v}
    return render_template(
        "statements/statement.html",
        st=found,
        q=search,
        status=status,
        sort=sort,
        args=args,
        page=page,
        pages=paging.pages(found["lines_matching"], LINES_PER_PAGE),
    )


@bp.get("/<int:statement_id>/lines/<int:line_id>")
@login_required
def line(statement_id: int, line_id: int):
    found = statements.get_line(db_session(), current_user, statement_id, line_id)
    return render_template("statements/line.html", line=found, st=found["statement"])


def cause_chart(name: str, found: dict) -> charts.Chart | None:
    """The change of pay by cause (each line under its first cause), one currency."""
    rows = found.get("by_cause") or []
    if not rows or len({r["currency"] for r in rows}) != 1:
        return None
    currency = rows[0]["currency"]
    return charts.Chart(
        name=name,
        title=f"Change of pay by cause ({currency})",
        labels=[CAUSE_NAMES.get(r["cause"], r["cause"]) for r in rows],
        series=[("Change", [r["delta"] for r in rows])],
        kind="hbar",
        height=max(160, 60 + 36 * len(rows)),
        # The values are printed on the bars; five axis labels do not overlap.
        options={"x_labels_major_count": 5, "show_minor_x_labels": False},
    )


@bp.get("/<int:statement_id>/changes")
@login_required
def changes(statement_id: int):
    against = request.args.get("against", "previous-period")
    found = compare.statement_changes(db_session(), current_user, statement_id, against=against)
    chart = cause_chart("by-cause", found)
    return charts.page_or_csv(
        "statements/changes.html",
        {"by-cause": chart} if chart else {},
        found=found,
        st=found["statement"],
        chart=chart,
    )
