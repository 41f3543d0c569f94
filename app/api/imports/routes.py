"""`POST /api/v1/imports`: load participants, quotas, deals, events and FX rates.

Thin: read the body into an import batch, call the import service in one unit of work
(rolled back for a dry run or bad input), serialise the report. 201 when something was
created or updated, 200 when nothing changed or for a dry run, 422 listing every problem
(an FX rate reaching a locked period without `?correction=true` among them).
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from app.api.imports.schemas import REQUEST_BODY, ImportQuerySchema, ImportReportSchema
from app.auth.decorators import permission_required
from app.database import unit_of_work
from app.errors import ErrorSchema, problems_payload
from governance.imports.mapping import Mapping, load_mapping
from governance.imports.service import import_batch
from governance.imports.sources import Batch, read_source
from rules.problems import InvalidData, Problem
from rules.yamlload import LoadError, load_json

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Data imports")


def _mapping(query: dict) -> Mapping | None:
    """`?mapping=` names a built-in mapping; a multipart `mapping` file is a custom one."""
    upload = request.files.get("mapping") if request.mimetype == "multipart/form-data" else None
    try:
        if upload is not None:
            text = upload.read().decode("utf-8-sig", errors="replace")
            return load_mapping(upload.filename or "mapping.yaml", text)
        return load_mapping(query["mapping"]) if query["mapping"] else None
    except InvalidData as exc:
        _reject(list(exc.problems), "The mapping was rejected; nothing was written.")


def _batch_from_request(query: dict) -> Batch:
    batch = Batch()
    mimetype = request.mimetype
    kind = query["kind"]
    ignore = query["ignore_unknown_columns"]
    options = {"ignore_unknown_columns": ignore, "mapping": _mapping(query)}
    if mimetype == "application/json":
        try:
            obj = load_json(request.get_data(as_text=True))
        except LoadError as exc:
            _reject(list(exc.problems), "The body is not valid JSON.")
        batch.add_json(obj)
    elif mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            _reject([Problem("file", "missing: upload the CSV (or JSON) file as `file`")])
        kind = request.form.get("kind") or kind
        name = upload.filename or f"{kind or 'upload'}.csv"
        read_source(batch, upload.read(), name=name, kind=kind, **options)
    elif mimetype in ("text/csv", "text/plain"):
        name = f"{kind or 'upload'}.csv"
        read_source(batch, request.get_data(), name=name, kind=kind, **options)
    else:
        abort(
            415,
            message="Send application/json, text/csv or multipart/form-data.",
            errors=[{"path": "Content-Type", "message": f"unsupported: {mimetype or 'none'}"}],
        )
    return batch


def _reject(
    problems: list[Problem], message: str = "The import was rejected; nothing was written."
):
    abort(422, message=message, errors=problems_payload(problems))


@blp.route("")
class Imports(MethodView):
    @permission_required("data.import")
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(201, ImportReportSchema, description="something was created or updated")
    @blp.alt_response(200, schema=ImportReportSchema, description="nothing changed, or dry run")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @blp.alt_response(415, schema=ErrorSchema, description="not JSON, CSV or a multipart upload")
    def post(self, query):
        """Import section-3 JSON or one CSV file (upsert by id; see docs/imports.md)."""
        batch = _batch_from_request(query)
        with unit_of_work(dry_run=query["dry_run"]) as session:
            try:
                report = import_batch(
                    session, batch, actor=current_user, correction=query["correction"]
                )
            except InvalidData as exc:
                _reject(list(exc.problems))
        body = report.as_dict() | {"dry_run": query["dry_run"]}
        return body, (201 if report.changed and not query["dry_run"] else 200)
