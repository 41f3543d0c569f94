"""`POST /api/v1/imports`: load participants, quotas, deals, events and FX rates.

Thin: read the body, then either import it in the request (one unit of work, rolled
back for a dry run or bad input) or, for a large body, queue it as a background job
(app/background/imports.py) that a worker imports the same way. 201 when something was
created or updated, 200 when nothing changed or for a dry run, 422 listing every problem
(an FX rate reaching a locked period without `?correction=true` among them); 202 with
the job (Location: `GET /api/v1/jobs/<id>`) for a body of `IMPORT_ASYNC_BYTES` or more,
or with `?background=true`; 503 when the task queue is unavailable (nothing written).
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from app.api.imports.schemas import REQUEST_BODY, ImportQuerySchema, ImportReportSchema
from app.api.jobs.routes import job_answer
from app.api.jobs.schemas import BackgroundJobSchema
from app.auth.decorators import permission_required
from app.background import imports as import_jobs
from app.background import jobs
from app.database import unit_of_work
from app.errors import ErrorSchema, problems_payload
from governance.imports.service import import_batch
from rules.problems import InvalidData, Problem

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Data imports")

OPTIONS = ("ignore_unknown_columns", "correction", "dry_run")


def _mapping(query: dict) -> dict[str, str] | None:
    """`?mapping=` names a built-in mapping; a multipart `mapping` file is a custom one."""
    upload = request.files.get("mapping") if request.mimetype == "multipart/form-data" else None
    if upload is not None:
        text = upload.read().decode("utf-8-sig", errors="replace")
        return {"name": upload.filename or "mapping.yaml", "text": text}
    return {"builtin": query["mapping"]} if query["mapping"] else None


def _upload(query: dict) -> tuple[dict, bytes]:
    """The request's body and what it asks, as a job would keep them."""
    mimetype = request.mimetype
    kind = query["kind"]
    options = {name: query[name] for name in OPTIONS}
    if mimetype == "application/json":
        fmt, name, body = "json", "body.json", request.get_data()
    elif mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            _reject([Problem("file", "missing: upload the CSV (or JSON) file as `file`")])
        kind = request.form.get("kind") or kind
        fmt, name, body = "file", upload.filename or f"{kind or 'upload'}.csv", upload.read()
    elif mimetype in ("text/csv", "text/plain"):
        fmt, name, body = "file", f"{kind or 'upload'}.csv", request.get_data()
    else:
        abort(
            415,
            message="Send application/json, text/csv or multipart/form-data.",
            errors=[{"path": "Content-Type", "message": f"unsupported: {mimetype or 'none'}"}],
        )
    params = import_jobs.upload_parameters(
        fmt=fmt, name=name, kind=kind, options=options, mapping=_mapping(query)
    )
    return params, body


def _reject(
    problems: list[Problem] | tuple[Problem, ...],
    message: str = import_jobs.REJECTED,
):
    abort(422, message=message, errors=problems_payload(list(problems)))


def _in_background(query: dict, body: bytes) -> bool:
    if query["background"] is not None:
        return query["background"]
    return len(body) >= current_app.config["IMPORT_ASYNC_BYTES"]


@blp.route("")
class Imports(MethodView):
    @permission_required("data.import")
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(201, ImportReportSchema, description="something was created or updated")
    @blp.alt_response(200, schema=ImportReportSchema, description="nothing changed, or dry run")
    @blp.alt_response(202, schema=BackgroundJobSchema, description="queued: poll the job")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @blp.alt_response(415, schema=ErrorSchema, description="not JSON, CSV or a multipart upload")
    @blp.alt_response(503, schema=ErrorSchema, description="the task queue is unavailable")
    def post(self, query):
        """Import section-3 JSON or one CSV file (upsert by id; see docs/imports.md); a
        large body (or `?background=true`) is queued: 202 with its job."""
        params, body = _upload(query)
        try:
            mapping = import_jobs.mapping_of(params)  # refused early, even when queued
            if _in_background(query, body):
                job = jobs.queue(current_user, import_jobs.NAME, params, input=body)
                return job_answer(job.id)
            batch = import_jobs.read_batch(params, body, mapping)
        except import_jobs.BodyRejected as exc:
            _reject(exc.problems, exc.message)
        with unit_of_work(dry_run=query["dry_run"]) as session:
            try:
                report = import_batch(
                    session, batch, actor=current_user, correction=query["correction"]
                )
            except InvalidData as exc:
                _reject(exc.problems)
        body = report.as_dict() | {"dry_run": query["dry_run"]}
        return body, (201 if report.changed and not query["dry_run"] else 200)
