"""Deal-desk exceptions under /api/v1/exceptions.

    GET  /exceptions?state=submitted     list (newest first; state may be "expired")
    POST /exceptions                     file one: checked, estimated, routed
    GET  /exceptions/N                   one, with its impact estimate, votes and tally
    POST /exceptions/N/votes             approve or reject, bound to its content hash
    POST /exceptions/N/withdraw          take it back (the filer or the deal desk)

Thin, like `app/api/committee`: parse, call one `governance.exceptions` function in one
unit of work, serialise; refusals answer by kind (app/errors.py).
"""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from flask import abort as flask_abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from app.api.committee.schemas import VoteRequestSchema
from app.api.exceptions.schemas import (
    ExceptionDetailSchema,
    ExceptionListSchema,
    FileExceptionSchema,
    ListQuerySchema,
    WithdrawSchema,
)
from app.auth.decorators import login_required
from app.database import db_session, transactional
from app.errors import ErrorSchema
from governance.exceptions import workflow as exceptions

blp = Blueprint(
    "exceptions", __name__, url_prefix="/exceptions", description="Deal-desk payout exceptions"
)


def readers_only(view):
    """The deal desk, the committee, comp admins and auditors read exceptions."""

    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not exceptions.can_read(current_user):
            flask_abort(403, description="Reading exceptions needs a deal-desk role.")
        return view(*args, **kwargs)

    return wrapper


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(Decimal("0.01")), "f")


def summary(exc) -> dict:
    return {
        "id": exc.id,
        "label": exc.label,
        "kind": exc.kind,
        "state": exceptions.shown_state(exc),
        "stored_state": exc.state,
        "plan": exc.plan_key,
        "deal": exc.deal_id,
        "participant": exc.participant_id,
        "rule": exc.rule_id,
        "period": exc.period,
        "amount": _money(exc.amount),
        "currency": exc.currency,
        "credits": exc.credits,
        "justification": exc.justification,
        "estimated_impact": _money(exc.estimated_impact),
        "impact_currency": exc.impact_currency,
        "route": exc.route,
        "decided_under": exc.rule_set.number,
        "expires_on": exc.expires_on,
        "content_hash": exc.content_hash,
        "filed_by_id": exc.filed_by_id,
        "dispute_id": exc.dispute_id,
        "version": exc.version,
        "decision_note": exc.decision_note,
        "created_at": exc.created_at,
        "decided_at": exc.decided_at,
    }


def detail(session, exc, vote=None) -> dict:
    out = summary(exc)
    out.update(
        impact=exc.impact,
        tally=exceptions.exception_tally(session, exc).as_dict(),
        votes=exceptions.exception_votes(session, exc),
    )
    if vote is not None:
        out["vote"] = vote
    return out


@blp.route("")
class Exceptions(MethodView):
    @readers_only
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, ExceptionListSchema)
    def get(self, query):
        """Every exception, newest first; `state` filters (expired = approved, past expiry)."""
        found = exceptions.list_exceptions(db_session(), state=query["state"])
        return {"exceptions": [summary(e) for e in found]}

    @login_required
    @blp.arguments(FileExceptionSchema)
    @blp.response(201, ExceptionDetailSchema, description="filed: submitted, estimated, routed")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
    @transactional
    def post(self, body):
        """File an exception. The engine estimates its payout impact; the approval rules in
        force route it (deal desk + finance, or the committee above the threshold)."""
        session = db_session()
        exc = exceptions.file_exception(session, current_user, body)
        return detail(session, exc), 201


@blp.route("/<int:exception_id>")
@readers_only
@blp.response(200, ExceptionDetailSchema)
@blp.alt_response(404, schema=ErrorSchema)
def exception_item(exception_id: int):
    """One exception with its impact estimate, its votes and their tally."""
    session = db_session()
    return detail(session, exceptions.get_exception(session, exception_id))


@blp.route("/<int:exception_id>/votes", methods=["POST"])
@login_required
@blp.arguments(VoteRequestSchema)
@blp.response(201, ExceptionDetailSchema, description="the vote, the tally and the new state")
@blp.alt_response(403, schema=ErrorSchema, description="no right to vote, or one's own")
@blp.alt_response(409, schema=ErrorSchema, description="decided, other hash, voted already")
@blp.alt_response(422, schema=ErrorSchema, description="every problem; nothing written")
@transactional
def exception_vote(body, exception_id: int):
    """Approve or reject, bound to the content hash; the deciding vote decides."""
    session = db_session()
    vote, _tally = exceptions.cast_exception_vote(session, current_user, exception_id, **body)
    return detail(session, exceptions.get_exception(session, exception_id), vote), 201


@blp.route("/<int:exception_id>/withdraw", methods=["POST"])
@login_required
@blp.arguments(WithdrawSchema)
@blp.response(200, ExceptionDetailSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="not submitted, or a stale version")
@transactional
def exception_withdraw(body, exception_id: int):
    """Take a submitted exception back."""
    session = db_session()
    exc = exceptions.withdraw(
        session, current_user, exception_id, note=body["note"], expected_version=body["version"]
    )
    return detail(session, exc)
