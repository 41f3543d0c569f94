"""`/api/v1/disputes`: file, list, read with history, review, resolve, comment.

Thin: parse, call one `governance.disputes` function in one unit of work, serialise;
refusals answer by kind (app/errors.py), a dispute that is not yours as not found. A
change may name the dispute version it is based on, as `If-Match` (412 when stale) or
`expected_version` (409 when stale).

Listing: a rep gets their own disputes, a manager their team's (and their own), reviewers
and auditors everyone's; `scope=mine|team|all` narrows it.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from app.api.disputes.schemas import (
    DisputeAcceptSchema,
    DisputeCommentSchema,
    DisputeDetailSchema,
    DisputeFileSchema,
    DisputeListQuerySchema,
    DisputeRejectSchema,
    DisputeReviewSchema,
    DisputeSchema,
)
from app.api.etags import if_match
from app.auth.decorators import permission_required
from app.database import db_session, transactional
from app.errors import ErrorSchema
from app.extensions import login_manager
from governance.disputes import rules as dispute_rules
from governance.disputes import workflow as disputes

blp = Blueprint("disputes", __name__, url_prefix="/disputes", description="Disputes")

ITEM = "/<int:dispute_id>"


def _etag(dispute) -> dict[str, str]:
    return {"ETag": f'"{dispute.version}"'}


def _expected(body_value: int | None) -> int | None:
    """The expected version: If-Match (a stale one answers 412) wins over the body's (409)."""
    header = if_match("one dispute version, as in the ETag of GET /disputes/ID")
    return body_value if header is None else header


def listing_required(view):
    """Signed in and with some view of disputes (own, team or all); others get 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not dispute_rules.may_list(current_user):
            abort(
                403,
                message="Seeing disputes needs a rep's, manager's, reviewer's or auditor's role.",
            )
        return view(*args, **kwargs)

    return wrapper


@blp.route("")
class Disputes(MethodView):
    @listing_required
    @blp.arguments(DisputeListQuerySchema, location="query")
    @blp.response(200, DisputeSchema(many=True))
    def get(self, query):
        """The disputes you may see, newest first (`scope`, `state` filter them)."""
        session = db_session()
        stmt = dispute_rules.visible(
            session, current_user, scope=query["scope"], states=query["state"]
        )
        return list(session.scalars(stmt))

    @permission_required("disputes.file")
    @blp.arguments(DisputeFileSchema)
    @blp.response(201, DisputeDetailSchema, description="the new dispute; ETag: its version")
    @blp.alt_response(404, schema=ErrorSchema, description="no such line of yours")
    @blp.alt_response(409, schema=ErrorSchema, description="run not locked, or already disputed")
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @transactional
    def post(self, body):
        """Dispute one of your own lines of a locked payout run."""
        dispute = disputes.file(
            db_session(),
            current_user,
            body["line_id"],
            reason=body["reason"],
            attachments=body["attachments"],
            claimed_amount=body["claimed_amount"],
            business_days=current_app.config.get("DISPUTE_DUE_BUSINESS_DAYS"),
        )
        return dispute, 201, _etag(dispute)


@blp.route(ITEM)
@listing_required
@blp.response(200, DisputeDetailSchema, description="ETag: the dispute's version")
@blp.alt_response(404, schema=ErrorSchema, description="no such dispute you may see")
def get_dispute(dispute_id: int):
    """One dispute with its attachments and its whole history."""
    dispute = dispute_rules.get(db_session(), current_user, dispute_id)
    return dispute, 200, _etag(dispute)


@transactional
def _change(action, dispute_id: int, body: dict, status: int = 200, **kwargs):
    expected = _expected(body.pop("expected_version"))
    session = db_session()
    action(session, current_user, dispute_id, expected_version=expected, **kwargs)
    dispute = dispute_rules.get(session, current_user, dispute_id)
    return dispute, status, _etag(dispute)


RESPONSES = (
    (403, "permission, or it is your own pay"),
    (404, "no such dispute you may see"),
    (409, "wrong state, stale expected_version, or a concurrent change"),
    (412, "If-Match names a stale version"),
    (422, "every problem; nothing written"),
)


def _documented(view):
    for code, description in RESPONSES:
        view = blp.alt_response(code, schema=ErrorSchema, description=description)(view)
    return view


@blp.route(ITEM + "/review", methods=["POST"])
@permission_required("disputes.review")
@blp.arguments(DisputeReviewSchema, required=False)
@blp.response(200, DisputeDetailSchema, description="the dispute after the change")
@_documented
def review_dispute(body, dispute_id: int):
    """Take an open dispute up for review."""
    return _change(disputes.start_review, dispute_id, body, comment=body["comment"])


@blp.route(ITEM + "/accept", methods=["POST"])
@permission_required("disputes.review")
@blp.arguments(DisputeAcceptSchema, required=False)
@blp.response(200, DisputeDetailSchema, description="the dispute after the change")
@_documented
def accept_dispute(body, dispute_id: int):
    """Accept: files an `adjustment` exception (routed by its impact) for the amount."""
    return _change(
        disputes.resolve_accept,
        dispute_id,
        body,
        amount=body["amount"],
        resolution=body["resolution"],
    )


@blp.route(ITEM + "/reject", methods=["POST"])
@permission_required("disputes.review")
@blp.arguments(DisputeRejectSchema)
@blp.response(200, DisputeDetailSchema, description="the dispute after the change")
@_documented
def reject_dispute(body, dispute_id: int):
    """Reject, with the written reason the rep will read."""
    return _change(disputes.resolve_reject, dispute_id, body, resolution=body["resolution"])


@blp.route(ITEM + "/comments", methods=["POST"])
@listing_required
@blp.arguments(DisputeCommentSchema)
@blp.response(201, DisputeDetailSchema, description="the dispute with the comment")
@_documented
def comment_dispute(body, dispute_id: int):
    """Add to the history: the rep on their own dispute, reviewers on any unresolved one."""
    return _change(disputes.comment, dispute_id, body, status=201, text=body["comment"])
