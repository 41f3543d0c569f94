"""`/api/v1/jobs`: background jobs (app/background/), polled by whoever queued them.

    GET /jobs                 the caller's own jobs, newest first (paged, ?kind=)
    GET /jobs/<id>            state; when done the result (an import's report), when
                              failed the message and every located problem
    GET /jobs/<id>/download   an export's file, once done (409 before)

A job is read by its requester, and by holders of its kind's permission (`data.import`
for imports, `statements.read_all` for statement exports); to anyone else it answers 404,
exactly like a job that does not exist.
"""

from __future__ import annotations

from flask import Response, jsonify, url_for
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.exceptions import Gone

from app.api.downloads import EXPORT_DOC
from app.api.jobs.schemas import (
    BackgroundJobListQuerySchema,
    BackgroundJobPageSchema,
    BackgroundJobSchema,
)
from app.auth.decorators import login_required
from app.background import jobs
from app.database import database, db_session
from app.errors import ErrorSchema

blp = Blueprint("jobs", __name__, url_prefix="/jobs", description="Background jobs")


def with_link(status: dict) -> dict:
    status["download_url"] = (
        url_for("jobs.download", job_id=status["id"]) if status.pop("has_file") else None
    )
    return status


def job_answer(job_id: int) -> Response:
    """A freshly queued job as a 202 answer: its status (read again: a task run eagerly
    may have finished it) and its Location. A response, not a body: the endpoint's own
    success schema (an import's report) must not serialise it."""
    with database().sessionmaker() as session:
        status = jobs.status(session.get(jobs.Job, job_id))
    response = jsonify(BackgroundJobSchema().dump(with_link(status)))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.get_job", job_id=job_id)
    return response


@blp.route("")
@login_required
@blp.arguments(BackgroundJobListQuerySchema, location="query")
@blp.response(200, BackgroundJobPageSchema)
def list_jobs(query):
    """The caller's own background jobs, newest first (to find one whose Location was
    lost)."""
    page, per_page = query["page"], query["per_page"]
    rows, total = jobs.own(
        db_session(), current_user, kind=query["kind"], offset=(page - 1) * per_page,
        limit=per_page,
    )  # fmt: skip
    items = [with_link(jobs.status(job)) for job in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@blp.route("/<int:job_id>")
@login_required
@blp.response(200, BackgroundJobSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_job(job_id: int):
    """A background job: its state; when done its result, when failed why (problems)."""
    return with_link(jobs.status(jobs.find(db_session(), current_user, job_id)))


@blp.route("/<int:job_id>/download")
@login_required
@blp.doc(**EXPORT_DOC)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the job is not done yet")
@blp.alt_response(410, schema=ErrorSchema, description="the file was deleted (kept N days)")
def download(job_id: int):
    """The file a finished export job made (CSV or JSON), kept ACCORD_EXPORT_KEEP_DAYS
    (default 7) days after the job finished; 410 after."""
    try:
        job = jobs.output_of(db_session(), current_user, job_id)
    except jobs.FileExpired as expired:
        raise Gone(str(expired)) from None
    return Response(
        job.output,
        mimetype=job.output_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{job.output_name}"'},
    )
