"""Schemas of the exception endpoints.

The filing body passes through to `governance.exception_fields`, which checks every field
and reports every problem with its JSON path; the fields here are documentation (Raw, so
that a wrong type is reported by the same code, in the same envelope, as every other
problem). The impact estimate is plain JSON (amounts as decimal text, see
docs/exceptions.md).
"""

import marshmallow as ma

from app.api.committee.schemas import TallySchema, VoteSchema
from app.api.fields import UtcDateTime
from app.limits import DatabaseInteger
from models.exceptions import EXCEPTION_KINDS, EXCEPTION_STATES, ROUTES


class FileExceptionSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # reported as problems by governance, with every other one

    kind = ma.fields.Raw(metadata={"enum": list(EXCEPTION_KINDS)})
    plan = ma.fields.Raw(metadata={"description": "plan key, e.g. ae-plan"})
    justification = ma.fields.Raw(metadata={"description": "why (max 4000)"})
    deal = ma.fields.Raw(metadata={"description": "waive_gate, waive_clawback, override_split"})
    rule = ma.fields.Raw(metadata={"description": "the gate or clawback id to waive"})
    credits = ma.fields.Raw(
        metadata={"description": 'override_split: [{"participant": "ana", "share": "0.5"}]'}
    )
    participant = ma.fields.Raw(metadata={"description": "adjustment: who is paid"})
    period = ma.fields.Raw(
        metadata={"description": "adjustment: the period paid; others: the period estimated"}
    )
    amount = ma.fields.Raw(metadata={"description": 'adjustment: decimal text, e.g. "500.00"'})
    currency = ma.fields.Raw(metadata={"description": "adjustment: the plan currency"})
    expires_on = ma.fields.Raw(metadata={"description": "last day it applies (ISO date)"})


class ListQuerySchema(ma.Schema):
    state = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf((*EXCEPTION_STATES, "expired")),
        metadata={"description": "expired: approved, past expires_on"},
    )


class ExceptionSchema(ma.Schema):
    id = DatabaseInteger()
    label = ma.fields.String(metadata={"description": "EX-<id>, the id evaluations use"})
    kind = ma.fields.String(metadata={"enum": list(EXCEPTION_KINDS)})
    state = ma.fields.String(
        metadata={"description": "submitted, approved, rejected, withdrawn or expired"}
    )
    stored_state = ma.fields.String(metadata={"enum": list(EXCEPTION_STATES)})
    plan = ma.fields.String()
    deal = ma.fields.String(allow_none=True)
    participant = ma.fields.String(allow_none=True)
    rule = ma.fields.String(allow_none=True)
    period = ma.fields.String()
    amount = ma.fields.String(allow_none=True)
    currency = ma.fields.String(allow_none=True)
    credits = ma.fields.List(ma.fields.Dict(), allow_none=True)
    justification = ma.fields.String()
    estimated_impact = ma.fields.String(metadata={"description": "net payout change"})
    impact_currency = ma.fields.String()
    route = ma.fields.String(metadata={"enum": list(ROUTES)})
    decided_under = DatabaseInteger(metadata={"description": "approval rules version"})
    expires_on = ma.fields.Date(allow_none=True)
    content_hash = ma.fields.String()
    filed_by_id = DatabaseInteger(allow_none=True)
    dispute_id = DatabaseInteger(allow_none=True)
    version = DatabaseInteger(metadata={"description": "send back to withdraw"})
    decision_note = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)


class ExceptionListSchema(ma.Schema):
    exceptions = ma.fields.List(ma.fields.Nested(ExceptionSchema))


class ExceptionDetailSchema(ExceptionSchema):
    impact = ma.fields.Dict(
        metadata={"description": "per-participant before/after/delta, delta, moved, problems"}
    )
    tally = ma.fields.Nested(TallySchema)
    votes = ma.fields.List(ma.fields.Nested(VoteSchema))
    vote = ma.fields.Nested(VoteSchema, metadata={"description": "after a vote: the vote cast"})


class WithdrawSchema(ma.Schema):
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=4000))
    version = DatabaseInteger(
        load_default=None, metadata={"description": "the version you read; stale: 409"}
    )
