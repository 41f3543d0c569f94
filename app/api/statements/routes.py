"""`/api/v1/statements`: the caller's visible statements, a statement with its explained
lines, one line with its trace, exports (CSV or JSON) and the payroll export of a run.

Thin: parse, call one `governance.statements` function, serialise; nothing here writes.
Who sees what is decided there (`can_read_statement`): reps their own, managers their
team (transitively), comp admins, committee members and auditors everyone. A statement or
line the caller may not read answers 404, exactly like one that does not exist, so a rep
cannot even learn that another rep's statement id exists; a caller with no statements
permission at all gets 403. Payroll of a run that is not locked: 409.
"""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from app.api.downloads import EXPORT_DOC, download
from app.api.jobs.routes import job_answer
from app.api.jobs.schemas import BackgroundJobSchema
from app.api.statements.change_schemas import PayChangesQuerySchema, StatementChangesSchema
from app.api.statements.schemas import (
    PayrollFormatQuerySchema,
    StatementDetailQuerySchema,
    StatementDetailSchema,
    StatementExportJobSchema,
    StatementExportQuerySchema,
    StatementLineDetailSchema,
    StatementListSchema,
    StatementPeriodListSchema,
    StatementQuerySchema,
)
from app.auth.decorators import login_required
from app.background import exports as export_jobs
from app.background import jobs
from app.database import db_session
from app.errors import ErrorSchema
from governance.errors import NotAllowed
from governance.statements import compare as statement_compare
from governance.statements import exports as statement_exports
from governance.statements import read as statements

blp = Blueprint(
    "statements", __name__, url_prefix="/statements", description="Statements and payroll"
)


def _filters(query: dict) -> dict:
    return {"period": query["period"], "run_id": query["run"], "participant": query["participant"]}


@blp.route("")
@login_required
@blp.arguments(StatementQuerySchema, location="query")
@blp.response(200, StatementListSchema)
@blp.alt_response(403, schema=ErrorSchema)
def list_statements(query):
    """The statements the caller may read, newest period first (filter by period, run,
    participant)."""
    return {"items": statements.list_statements(db_session(), current_user, **_filters(query))}


@blp.route("/periods")
@login_required
@blp.response(200, StatementPeriodListSchema)
@blp.alt_response(403, schema=ErrorSchema)
def list_periods():
    """The periods with a run holding statements the caller may read, newest first."""
    return {"items": statements.periods(db_session(), current_user)}


@blp.route("/export")
@login_required
@blp.arguments(StatementExportQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
@blp.alt_response(403, schema=ErrorSchema)
def export_statements(query):
    """The caller's visible statements (filtered as the list) with lines and explanations:
    JSON (with traces) or CSV (one row per line)."""
    fmt = query["format"]
    text = statement_exports.export_statements(db_session(), current_user, fmt, **_filters(query))
    return download(text, fmt, f"statements-{query['period'] or 'all'}")


@blp.route("/exports", methods=["POST"])
@login_required
@blp.arguments(StatementExportJobSchema)
@blp.response(202, BackgroundJobSchema, description="queued: poll the job (Location)")
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(503, schema=ErrorSchema, description="the task queue is unavailable")
def queue_export(body):
    """Export in the background (a whole run, a period): 202 with a job; once done its
    file is at `GET /api/v1/jobs/<id>/download`. The file holds what the caller may read,
    as `GET /statements/export` would."""
    if not statements.may_read_statements(current_user):
        raise NotAllowed("Exporting statements needs a statements permission.")
    params = {"format": body["format"], **_filters(body)}
    return job_answer(jobs.queue(current_user, export_jobs.NAME, params).id)


@blp.route("/<int:statement_id>")
@login_required
@blp.arguments(StatementDetailQuerySchema, location="query")
@blp.response(200, StatementDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_statement(query, statement_id: int):
    """A statement: totals, attainment and every line with its plain-words explanation."""
    return statements.get_statement(
        db_session(), current_user, statement_id, traces=query["traces"]
    )


@blp.route("/<int:statement_id>/changes")
@login_required
@blp.arguments(PayChangesQuerySchema, location="query")
@blp.response(200, StatementChangesSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_changes(query, statement_id: int):
    """Why did my pay change? The statement against the previous period's statement of
    the same participant and plan (line by line, each change with its causes), or against
    its run's previous build (the payable before and after, the causes the run recorded)."""
    return statement_compare.statement_changes(
        db_session(), current_user, statement_id, against=query["against"]
    )


@blp.route("/<int:statement_id>/lines/<int:line_id>")
@login_required
@blp.response(200, StatementLineDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_line(statement_id: int, line_id: int):
    """One line of a statement: its explanation and the engine's full trace."""
    return statements.get_line(db_session(), current_user, statement_id, line_id)


@blp.route("/runs/<int:run_id>/payroll")
@login_required
@blp.arguments(PayrollFormatQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
@blp.alt_response(409, schema=ErrorSchema)
def payroll(query, run_id: int):
    """Payroll export of a LOCKED run: one row per participant and currency (participant,
    name, amount_payable, currency, period); 409 for a run that is not locked."""
    fmt = query["format"]
    text = statement_exports.export_payroll(db_session(), current_user, run_id, fmt)
    return download(text, fmt, f"payroll-run-{run_id}")
