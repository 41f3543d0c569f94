"""Schemas of `/api/v1/disputes`: disputes, their history, and the request bodies."""

import marshmallow as ma
from sqlalchemy.orm import object_session

from app.api.fields import Money, UtcDateTime
from app.limits import DatabaseInteger
from governance.disputes import adjustment
from governance.disputes.rules import (
    MAX_ATTACHMENT_NAME,
    MAX_ATTACHMENT_TEXT,
    MAX_ATTACHMENTS,
    MAX_REASON,
    SCOPES,
)
from models.disputes import DISPUTE_STATES, EVENT_KINDS


def amount_field(description: str) -> ma.fields.String:
    """Amounts travel as text ("120.50"): a JSON number may be a float on the way, never
    exact; the service checks the text (a number, non-zero, rounded half-up to cents)."""
    return ma.fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": description, "example": "120.50"},
    )


class DisputeAttachmentSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_ATTACHMENT_NAME))
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_ATTACHMENT_TEXT))


class DisputeLineSchema(ma.Schema):
    id = DatabaseInteger()
    run_id = DatabaseInteger()
    deal_id = ma.fields.String(allow_none=True)
    plan_key = ma.fields.String()
    kind = ma.fields.String()
    rule = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    amount = Money()
    currency = ma.fields.String()


class DisputeEventSchema(ma.Schema):
    id = DatabaseInteger()
    kind = ma.fields.String(metadata={"enum": list(EVENT_KINDS)})
    actor_id = DatabaseInteger(allow_none=True)
    actor = ma.fields.Function(
        lambda e: e.actor.name if e.actor else "system", metadata={"type": "string"}
    )
    at = UtcDateTime()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    comment = ma.fields.String(allow_none=True)


class DisputeSchema(ma.Schema):
    id = DatabaseInteger()
    line_id = DatabaseInteger(attribute="payout_line_id")
    participant = ma.fields.String(attribute="participant_id")
    period = ma.fields.String()
    filed_by_id = DatabaseInteger(allow_none=True)
    reason = ma.fields.String()
    claimed_amount = Money(allow_none=True)
    state = ma.fields.String(metadata={"enum": list(DISPUTE_STATES)})
    resolution = ma.fields.String(allow_none=True)
    resolved_by_id = DatabaseInteger(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    exception_id = DatabaseInteger(
        allow_none=True, metadata={"description": "the adjustment exception an acceptance filed"}
    )
    due_on = ma.fields.Date()
    overdue = ma.fields.Boolean(metadata={"description": "unresolved after its due day"})
    escalated_at = UtcDateTime(allow_none=True)
    version = DatabaseInteger(
        metadata={"description": "optimistic-concurrency counter, also the ETag"}
    )
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    line = ma.fields.Nested(DisputeLineSchema)
    outcome = ma.fields.Function(
        lambda dispute: adjustment.outcome(object_session(dispute), dispute).as_dict(),
        metadata={
            "description": "where the dispute stands for the rep: `state` (its own, or for an"
            " accepted one its adjustment's: pending_approval, approved, scheduled, paid,"
            " rejected, withdrawn, expired), `text` (one sentence: paid in run N (period),"
            " rejected with the reason...) and `adjustment` (exception, amount, run, reason)"
        },
    )


class DisputeDetailSchema(DisputeSchema):
    attachments = ma.fields.List(ma.fields.Nested(DisputeAttachmentSchema))
    events = ma.fields.List(
        ma.fields.Nested(DisputeEventSchema), metadata={"description": "history"}
    )


class DisputeListQuerySchema(ma.Schema):
    scope = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(SCOPES),
        metadata={"description": "mine, team or all (default: everything you may see)"},
    )
    state = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(DISPUTE_STATES)), load_default=None
    )


class DisputeFileSchema(ma.Schema):
    line_id = DatabaseInteger(required=True, strict=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_REASON))
    attachments = ma.fields.List(
        ma.fields.Nested(DisputeAttachmentSchema),
        load_default=list,
        validate=ma.validate.Length(max=MAX_ATTACHMENTS),
    )
    claimed_amount = amount_field("what the line should have paid more (negative: less)")


class DisputeExpected(ma.Schema):
    expected_version = DatabaseInteger(
        load_default=None,
        strict=True,
        metadata={"description": "the version the change is based on (409 when stale)"},
    )


class DisputeReviewSchema(DisputeExpected):
    comment = ma.fields.String(load_default=None, validate=ma.validate.Length(max=MAX_REASON))


class DisputeCommentSchema(DisputeExpected):
    comment = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_REASON))


class DisputeRejectSchema(DisputeExpected):
    resolution = ma.fields.String(required=True, validate=ma.validate.Length(1, MAX_REASON))


class DisputeAcceptSchema(DisputeExpected):
    amount = amount_field("the adjustment to file (default: the rep's claimed amount)")
    resolution = ma.fields.String(load_default=None, validate=ma.validate.Length(max=MAX_REASON))
