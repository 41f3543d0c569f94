"""Imports in the browser (comp admins, `data.import` as the API): upload, preview, confirm.

    GET  /imports                  the upload form and the recent uploads, newest first
    POST /imports                  upload a CSV or JSON file: the import service's dry run
                                   (every problem located: CSV row and column, JSON path;
                                   the counts per kind), kept by digest -> its preview
    GET  /imports/N                the preview; once confirmed, the report or the job's
                                   progress (refreshing itself while a worker imports)
    POST /imports/N/confirm        import exactly the previewed bytes (the form's digest
                                   must be theirs); a large file is queued as a job

The preview and the import are the API's: `import_batch` rolled back, then committed;
a large file (IMPORT_ASYNC_BYTES) is the API's background `import` job. Uploads are kept
in governance/imports/uploads.py. Size limit: MAX_CONTENT_LENGTH, as the API.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import permission_required
from app.background import imports as import_jobs
from app.background import jobs
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from governance import accounts
from governance.imports import uploads
from governance.imports.csv_formats import KINDS
from governance.imports.mapping import built_in_names
from governance.imports.service import import_batch
from rules.problems import InvalidData, Problem

bp = Blueprint("import_pages", __name__, url_prefix="/imports")
PER_PAGE = 20
OPTIONS = ("ignore_unknown_columns", "correction")


def _keep() -> timedelta:
    """How long an upload may wait for its confirmation (ACCORD_UPLOAD_KEEP_HOURS)."""
    return timedelta(hours=current_app.config["UPLOAD_KEEP_HOURS"])


def _shown_state(upload) -> str:
    return "expired" if uploads.expired(upload, _keep()) else upload.state


def _index(status: int = 200):
    session = db_session()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = uploads.recent(
        session, current_user, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    return render_template(
        "imports/index.html",
        uploads=rows,
        shown_state=_shown_state,
        names=accounts.names(session, [u.uploaded_by_id for u in rows if u.uploaded_by_id]),
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        kinds=KINDS,
        mappings=built_in_names(),
        limit_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
    ), status


@bp.get("")
@permission_required(uploads.PERMISSION)
def index():
    return _index()


def _parameters(name: str) -> dict:
    kind = request.form.get("kind") or None
    mapping = request.form.get("mapping") or None
    options = {o: request.form.get(o) == "on" for o in OPTIONS} | {"dry_run": False}
    return import_jobs.upload_parameters(
        fmt="file",
        name=name,
        kind=kind if kind in KINDS else None,
        options=options,
        mapping={"builtin": mapping} if mapping in built_in_names() else None,
    )


def _dry_run(params: dict, body: bytes) -> tuple[dict, list[Problem]]:
    """The import service's dry run of `body`: its report, or every problem."""
    try:
        batch = import_jobs.read_batch(params, body)
    except import_jobs.BodyRejected as exc:
        return {"message": exc.message}, list(exc.problems)
    except InvalidData as exc:
        return {}, list(exc.problems)
    with unit_of_work(dry_run=True) as session:
        try:
            report = import_batch(
                session, batch, actor=current_user, correction=params["correction"]
            )
        except InvalidData as exc:
            return {}, list(exc.problems)
    return report.as_dict(), []


@bp.post("")
@permission_required(uploads.PERMISSION)
@on_refusal(_index)
def upload():
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Choose a CSV or JSON file to upload.", "error")
        return _index(422)
    body = file.read()
    params = _parameters(file.filename)
    if len(body) >= current_app.config["IMPORT_ASYNC_BYTES"]:
        return _preview_in_background(file.filename, params, body)
    preview, problems = _dry_run(params, body)
    with unit_of_work() as session:
        staged = uploads.stage(
            session,
            current_user,
            name=file.filename,
            body=body,
            parameters=params,
            preview=preview,
            problems=problems,
        )
    return redirect(url_for("import_pages.detail", upload_id=staged.id), 303)


def _preview_in_background(name: str, params: dict, body: bytes):
    """A large file's dry run as the API's background import job; its page shows the
    job's progress, then the preview."""
    with unit_of_work() as session:
        staged = uploads.stage(session, current_user, name=name, body=body, parameters=params)
    try:
        job = jobs.queue(current_user, import_jobs.NAME, params | {"dry_run": True}, input=body)
    except BaseException:  # 503: the upload is rejected (upload it again later)
        with unit_of_work() as session:
            uploads.settle(session, staged.id, {"message": jobs.UNAVAILABLE})
        raise
    with unit_of_work() as session:
        uploads.get(session, current_user, staged.id).preview_job_id = job.id
    return redirect(url_for("import_pages.detail", upload_id=staged.id), 303)


def _settled(session, upload):
    """A previewing upload whose dry-run job has ended gets its preview; the job's
    status while it runs (None when there is no job)."""
    if upload.preview_job_id is None:
        return None
    job = jobs.status(jobs.find(session, current_user, upload.preview_job_id))
    if upload.state == "previewing" and job["state"] in ("done", "failed"):
        report = {k: v for k, v in (job["result"] or {}).items() if k != "dry_run"}
        problems = [Problem(p["path"], p["message"]) for p in job["problems"] or ()]
        if job["state"] == "failed":
            report = {"message": job["message"]}
            problems = problems or [Problem("file", job["message"] or jobs.UNEXPECTED)]
        with unit_of_work() as writing:  # the request's session: `upload` is refreshed
            uploads.settle(writing, upload.id, report, problems)
    return job


def _detail(upload_id: int, status: int = 200):
    session = db_session()
    upload = uploads.get(session, current_user, upload_id)
    preview_job = _settled(session, upload) if upload.state == "previewing" else None
    job = None
    if upload.job_id is not None:
        job = jobs.status(jobs.find(session, current_user, upload.job_id))
    return render_template(
        "imports/detail.html",
        upload=upload,
        state=_shown_state(upload),
        keep_hours=current_app.config["UPLOAD_KEEP_HOURS"],
        job=job,
        preview_job=preview_job,
        uploader=accounts.names(session, [upload.uploaded_by_id]).get(upload.uploaded_by_id),
    ), status


@bp.get("/<int:upload_id>")
@permission_required(uploads.PERMISSION)
def detail(upload_id: int):
    return _detail(upload_id)


@bp.post("/<int:upload_id>/confirm")
@permission_required(uploads.PERMISSION)
@on_refusal(_detail)
def confirm(upload_id: int):
    digest = request.form.get("digest", "")
    with unit_of_work() as session:
        staged = uploads.confirmable(session, current_user, upload_id, digest, _keep())
        body, params = staged.body or b"", staged.parameters
        if len(body) < current_app.config["IMPORT_ASYNC_BYTES"]:
            try:
                report = import_batch(
                    session,
                    import_jobs.read_batch(params, body),
                    actor=current_user,
                    correction=params["correction"],
                )
            except InvalidData as exc:  # the data changed since the preview
                session.rollback()
                return _refused(upload_id, exc.problems)
            uploads.imported(staged, report.as_dict())
            flash(f"{staged.name} is imported.", "success")
            return redirect(url_for("import_pages.detail", upload_id=upload_id), 303)
        uploads.queued(staged, None)  # taken: a second confirmation is refused meanwhile
    try:
        job = jobs.queue(current_user, import_jobs.NAME, params, input=body)
    except BaseException:  # 503 (the queue is unavailable): previewed again, nothing written
        with unit_of_work() as session:
            uploads.unqueued(uploads.get(session, current_user, upload_id), body)
        raise
    with unit_of_work() as session:
        uploads.get(session, current_user, upload_id).job_id = job.id
    return redirect(url_for("import_pages.detail", upload_id=upload_id), 303)


def _refused(upload_id: int, problems) -> tuple:
    flash("The import was rejected; nothing was written.", "error")
    for problem in problems:
        flash(f"{problem.path}: {problem.message}", "error")
    return _detail(upload_id, 422)
