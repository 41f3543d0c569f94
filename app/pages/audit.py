"""Auditor pages: the audit log (paged, filtered) and the verification of its hash chain.

    GET /audit          ?object_type=&actor=&since=&until=&page=&sort=id|at|action|object&dir=
    GET /audit/verify   walk the whole chain now and show the result

Verification is a page of its own, run when asked: it reads every record (about 2 s per
20,000 on SQLite, measured), too slow to repeat on every page of the log.

Needs `audit.read`. Exports are links to the API's downloads (`/api/v1/audit/export`,
`/plan-versions`, `/plan-transitions`), which a signed-in browser may fetch with its
session. Bad filter values are reported on the page (400), never a 500.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, render_template, request

from app.auth.decorators import permission_required
from app.database import db_session
from app.limits import bounded_int
from app.pages.listing import sort_arg
from governance.auditing import log as audit_log

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")
PER_PAGE = 50


def _day(name: str, problems: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{name}: expected a date like 2026-07-01, got {raw!r}")
        return None


@bp.get("")
@permission_required("audit.read")
def log():
    problems: list[str] = []
    since, until = _day("since", problems), _day("until", problems)
    page = request.args.get("page", 1, type=bounded_int)
    if page < 1:
        problems.append("page: expected 1 or more")
        page = 1
    filters = {
        "object_type": request.args.get("object_type", "").strip(),
        "actor": request.args.get("actor", "").strip(),
        "since": since,
        "until": until,
    }
    for problem in problems:
        flash(problem, "error")
    session = db_session()
    sort = sort_arg(audit_log.AUDIT_COLUMNS, audit_log.AUDIT_SORT)
    result = audit_log.audit_page(session, page=page, per_page=PER_PAGE, sort=sort, **filters)
    # Only non-empty filters go into the links (pager, headers) so they read cleanly.
    query = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    filter_args = {k: v for k, v in query.items() if k not in ("sort", "dir")}
    return render_template(
        "audit/log.html",
        filters=filters,
        query=query,
        filter_args=filter_args,
        sort=sort,
        **result,
    ), (400 if problems else 200)


@bp.get("/verify")
@permission_required("audit.read")
def verify():
    return render_template(
        "audit/verify.html", verification=audit_log.audit_verification(db_session())
    )
