"""`/api/v1/audit`: for auditors: the audit log (a page, an export, a check of the chain,
an anchor of it, and the check that the chain still extends anchors taken earlier), and
exports of plan versions, of every decision on them, of the diffs between consecutive
versions and of every committee vote with its subject's tally, as CSV or JSON.

Read-only: nothing here writes (`POST /audit/verify` only reads the anchors it is sent).
Exports are oldest first and carry every hashed field, so an auditor can recompute the
chain outside Accord.
"""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import func, select

from app.api.audit.schemas import (
    AnchoredVerificationSchema,
    AnchorsBodySchema,
    AnchorSchema,
    AuditExportQuerySchema,
    AuditPageQuerySchema,
    AuditPageSchema,
    FormatQuerySchema,
    VerificationSchema,
)
from app.api.downloads import EXPORT_DOC, download
from app.auth.decorators import permission_required
from app.database import db_session
from app.errors import ErrorSchema
from governance import audit
from governance.auditing import anchors
from governance.auditing import exports as audit_exports

blp = Blueprint("audit", __name__, url_prefix="/audit", description="The audit log")
FILTERS = ("action", "object_type", "object_id", "actor_id")


@blp.route("")
@permission_required("audit.read")
@blp.arguments(AuditPageQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_audit(query):
    """A page of audit records, newest first, optionally filtered."""
    session = db_session()
    stmt = audit.list_records(session, **{k: query[k] for k in FILTERS})
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = query["page"], query["per_page"]
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return {
        "items": [audit.as_dict(r) for r in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


@blp.route("/export")
@permission_required("audit.read")
@blp.arguments(AuditExportQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
def export_audit(query):
    """The audit log (or the filtered part of it) as JSON or CSV, for download."""
    session = db_session()
    stmt = audit.list_records(session, **{k: query[k] for k in FILTERS})
    fmt = query["format"]
    return download(audit_exports.export_records(session, fmt, stmt), fmt, "audit")


@blp.route("/plan-versions")
@permission_required("audit.read")
@blp.arguments(FormatQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
def export_plan_versions(query):
    """Every plan version: state, content hash, effective and record times, authors."""
    fmt = query["format"]
    return download(audit_exports.export_plan_versions(db_session(), fmt), fmt, "plan-versions")


@blp.route("/plan-transitions")
@permission_required("audit.read")
@blp.arguments(FormatQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
def export_plan_transitions(query):
    """Every decision on every plan version (submissions, approvals, rejections...)."""
    fmt = query["format"]
    return download(
        audit_exports.export_plan_transitions(db_session(), fmt), fmt, "plan-transitions"
    )


@blp.route("/plan-diffs")
@permission_required("audit.read")
@blp.arguments(FormatQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
def export_plan_diffs(query):
    """Each plan version against the one before it: one row per field, rule added, removed,
    changed (per field, before and after) or reordered."""
    fmt = query["format"]
    return download(audit_exports.export_plan_diffs(db_session(), fmt), fmt, "plan-diffs")


@blp.route("/approvals")
@permission_required("audit.read")
@blp.arguments(FormatQuerySchema, location="query")
@blp.doc(**EXPORT_DOC)
def export_approvals(query):
    """Every committee vote (plan versions, approval rules, exceptions, payout runs), oldest
    first, with the voter's functions and roles then and its subject's tally now."""
    fmt = query["format"]
    return download(audit_exports.export_approvals(db_session(), fmt), fmt, "approvals")


@blp.route("/verify")
@permission_required("audit.read")
@blp.response(200, VerificationSchema)
def verify_audit():
    """Check the whole hash chain and name the first broken record, if any."""
    return audit.verify(db_session())


@blp.route("/verify", methods=["POST"])
@permission_required("audit.read")
@blp.arguments(AnchorsBodySchema)
@blp.response(200, AnchoredVerificationSchema)
@blp.alt_response(422, schema=ErrorSchema, description="not an anchor, or its signature fails")
def verify_audit_anchors(body):
    """Check the chain and that it still extends each anchor taken earlier (signatures
    checked): a rewrite is named even when the chain is consistent in itself."""
    key = anchors.anchor_key(current_app.config)
    given = [
        anchors.parse(document, key, f"$.anchors[{i}]", f"$.anchors[{i}]")
        for i, document in enumerate(body["anchors"])
    ]
    result, checks = anchors.check(db_session(), given)
    ok = result.ok and all(one.ok for one in checks)
    return {**vars(result), "ok": ok, "anchors": checks}


@blp.route("/anchor")
@permission_required("audit.read")
@blp.response(200, AnchorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the chain is broken: no anchor")
def audit_anchor():
    """Verify the chain and return a signed anchor of its last record, to keep outside
    Accord and send back to `POST /audit/verify` later."""
    return anchors.take(db_session(), anchors.anchor_key(current_app.config))
