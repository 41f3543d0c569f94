"""`/api/v1/plans`: drafts, the version lifecycle, YAML export, diffs, the governing version.

Thin: parse, call one `governance.plans` function in one unit of work, serialise;
refusals answer by kind (app/errors.py). An edit names the plan revision it is based on,
as `If-Match` (412 when stale) or `expected_revision` (409 when stale); a draft edit
without either is refused with 428, so no edit is lost.
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from app.api.etags import if_match
from app.api.plans.schemas import (
    DOCUMENT_BODY,
    DiffQuerySchema,
    DiffSchema,
    DraftQuerySchema,
    GoverningQuerySchema,
    PlanDetailSchema,
    PlanSchema,
    TransitionRequestSchema,
    VersionDetailSchema,
    VersionSchema,
)
from app.auth.decorators import permission_required
from app.database import db_session, transactional, unit_of_work
from app.errors import ErrorSchema
from app.tasks import impacts as impact_tasks
from governance.errors import DocumentRejected
from governance.plans import lifecycle
from governance.plans import lookup as plans
from governance.plans.diff import diff_documents
from models import PolicyPlan
from rules.problems import Problem

blp = Blueprint("plans", __name__, url_prefix="/plans", description="Plan versions")

DOCUMENT_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")
VERSION_PATH = "/<string:key>/versions/<int:number>"


def _etag(plan: PolicyPlan) -> dict[str, str]:
    return {"ETag": f'"{plan.revision}"'}


def _expectation(body_value: int | None, *, required: bool) -> int | None:
    """The expected revision: If-Match (a stale one answers 412) or the body's (409)."""
    header = if_match("one plan revision, as in the ETag of GET /plans/KEY")
    if header is not None:
        return header
    if body_value is None and required:
        abort(
            428,
            message="Say which revision the edit is based on: If-Match or expected_revision.",
            errors=[{"path": "If-Match", "message": "required (or ?expected_revision=)"}],
        )
    return body_value


def _document_text() -> str:
    if request.mimetype not in (*DOCUMENT_TYPES, "application/json"):
        abort(
            415,
            message="Send the plan as YAML or JSON text.",
            errors=[{"path": "Content-Type", "message": f"unsupported: {request.mimetype}"}],
        )
    text = request.get_data(as_text=True)
    if not text.strip():
        abort(422, message="The body is empty.", errors=[{"path": "$", "message": "empty"}])
    return text


@blp.route("")
class Plans(MethodView):
    @permission_required("plans.read")
    @blp.response(200, PlanSchema(many=True))
    def get(self):
        """Every plan, with its latest, active and open draft version numbers."""
        return plans.list_plans(db_session())

    @permission_required("plans.edit")
    @blp.arguments(DraftQuerySchema, location="query")
    @blp.doc(requestBody=DOCUMENT_BODY)
    @blp.response(201, VersionDetailSchema, description="the new draft; ETag: plan revision")
    @blp.alt_response(409, schema=ErrorSchema, description="the plan already has a draft")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @blp.alt_response(415, schema=ErrorSchema, description="not YAML or JSON text")
    @transactional
    def post(self, query):
        """Create a draft from a plan document (the plan is created with its first draft)."""
        version = lifecycle.create_draft(
            db_session(), current_user, _document_text(), source="body", note=query["note"]
        )
        return version, 201, _etag(version.plan)


@blp.route("/<string:key>")
class PlanItem(MethodView):
    @permission_required("plans.read")
    @blp.response(200, PlanDetailSchema, description="ETag: the plan revision")
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, key: str):
        """A plan and all its versions."""
        plan = plans.get_plan(db_session(), key)
        return plan, 200, _etag(plan)


@blp.route(VERSION_PATH)
class VersionItem(MethodView):
    @permission_required("plans.read")
    @blp.response(200, VersionDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, key: str, number: int):
        """One version: its document as written, state, hashes and transitions."""
        version = plans.get_version(db_session(), key, number)
        return version, 200, _etag(version.plan)

    @permission_required("plans.edit")
    @blp.arguments(DraftQuerySchema, location="query")
    @blp.doc(requestBody=DOCUMENT_BODY)
    @blp.response(200, VersionDetailSchema, description="ETag: the new plan revision")
    @blp.alt_response(
        409, schema=ErrorSchema, description="not a draft, or expected_revision stale"
    )
    @blp.alt_response(412, schema=ErrorSchema, description="If-Match names a stale revision")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @blp.alt_response(428, schema=ErrorSchema, description="neither If-Match nor expected_revision")
    @blp.alt_response(415, schema=ErrorSchema, description="not YAML or JSON text")
    @transactional
    def put(self, query, key: str, number: int):
        """Replace a draft's document (only a draft is editable)."""
        expected = _expectation(query["expected_revision"], required=True)
        version = lifecycle.update_draft(
            db_session(),
            current_user,
            key,
            number,
            _document_text(),
            expected_revision=expected,
            source="body",
        )
        return version, 200, _etag(version.plan)


@blp.route(VERSION_PATH + "/export")
@permission_required("plans.read")
@blp.doc(
    responses={"200": {"description": "deterministic YAML", "content": {"application/yaml": {}}}}
)
def export_version(key: str, number: int):
    """The version as canonical YAML: byte-stable, and it loads to the same content hash."""
    version = plans.get_version(db_session(), key, number)
    filename = f"{key}-v{number}.yaml"
    return Response(
        plans.export_yaml(version),
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _transition(action, key: str, number: int, body: dict):
    expected = _expectation(body["expected_revision"], required=False)
    kwargs = {"note": body["note"], "expected_revision": expected}
    if action is lifecycle.submit:
        kwargs["retroactive"] = body["retroactive"]
        kwargs["impact_on_worker"] = True  # a worker simulates it (app/tasks/impacts.py)
    elif body["retroactive"]:
        raise DocumentRejected(
            "retroactive is set on submission.",
            [Problem(path="json.retroactive", message="not accepted here")],
        )
    if action in (lifecycle.submit, lifecycle.approve):
        kwargs["effective_from"] = body["effective_from"]
    elif body["effective_from"] is not None:
        raise DocumentRejected(
            "effective_from is set on submission or approval.",
            [Problem(path="json.effective_from", message="not accepted here")],
        )
    version = action(db_session(), current_user, key, number, **kwargs)
    return version, 200, _etag(version.plan)


def _transition_route(name: str, action, permission: str, doc: str, after=None) -> None:
    """POST VERSION_PATH/name: `action` in one unit of work; then `after(version, user)`
    once committed (a submission publishes its impact's task)."""

    @permission_required(permission)
    @blp.arguments(TransitionRequestSchema, required=False)
    @blp.response(200, VersionDetailSchema, description="the version after the change")
    @blp.alt_response(403, schema=ErrorSchema, description="permission or separation of duties")
    @blp.alt_response(409, schema=ErrorSchema, description="wrong state, or a concurrent change")
    @blp.alt_response(412, schema=ErrorSchema, description="If-Match names a stale revision")
    @blp.alt_response(422, schema=ErrorSchema, description="a check failed; every problem")
    def view(body, key: str, number: int):
        with unit_of_work():
            answer = _transition(action, key, number, body)
        if after:
            after(answer[0], current_user)
        return answer

    view.__name__ = f"{name}_version"
    view.__doc__ = doc
    blp.route(f"{VERSION_PATH}/{name}", methods=["POST"])(view)


_transition_route(
    "submit",
    lifecycle.submit,
    "plans.edit",
    "Freeze a draft and submit it: it must validate and lint without errors. Its impact"
    " simulation is computed by a worker: GET .../impact shows it once done.",
    after=impact_tasks.submitted,
)
_transition_route(
    "approve",
    lifecycle.approve,
    "plans.approve",
    "Approve a submitted version (not one's own); it needs an effective date.",
)
_transition_route(
    "activate",
    lifecycle.activate,
    "plans.activate",
    "Put an approved version in force; the active version is superseded.",
)
_transition_route(
    "reject", lifecycle.reject, "plans.approve", "Reject a submitted version, with a reason."
)
_transition_route(
    "withdraw",
    lifecycle.withdraw,
    "plans.edit",
    "Withdraw a draft, submitted or approved (not yet active) version.",
)


@blp.route("/<string:key>/diff")
@permission_required("plans.read")
@blp.arguments(DiffQuerySchema, location="query")
@blp.response(200, DiffSchema)
@blp.alt_response(404, schema=ErrorSchema)
def diff_versions(query, key: str):
    """What changed between two versions, by rule id: `?from=N&to=M`."""
    session = db_session()
    old = plans.get_version(session, key, query["from_"])
    new = plans.get_version(session, key, query["to"])
    result = diff_documents(plans.plan_of(old).document, plans.plan_of(new).document)
    return {"plan": key, "from_": old, "to": new, **result.as_dict()}


@blp.route("/<string:key>/governing")
@permission_required("plans.read")
@blp.arguments(GoverningQuerySchema, location="query")
@blp.response(200, VersionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="no version governs that date")
def governing_version(query, key: str):
    """The version governing a date (`on`), as known at a record time (`as_of`)."""
    session = db_session()
    plans.get_plan(session, key)
    version = plans.version_governing(session, key, query["on"], query["as_of"])
    if version is None:
        abort(404, message=f"No version of {key!r} governs {query['on'].isoformat()}.")
    return version
