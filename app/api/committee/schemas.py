"""Schemas of the committee endpoints: votes, tallies, change requests, approval rules.

Impact simulations and rules documents are plain JSON (amounts as decimal text) whose
shape `governance/impact.py` and `governance/approval_rules.py` document; they pass
through as objects.
"""

import marshmallow as ma

from app.api.fields import UtcDateTime
from app.limits import DatabaseInteger
from models.approvals import DECISIONS, RULE_SET_STATES


class VoteRequestSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(DECISIONS))
    content_hash = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^sha256:[0-9a-f]{64}$", error="expected sha256:<64 hex>"),
        metadata={"description": "the content hash you reviewed: it must be the version's"},
    )
    comment = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=4000),
        metadata={"description": "required to reject"},
    )


class VoteSchema(ma.Schema):
    id = DatabaseInteger()
    voter_id = DatabaseInteger()
    decision = ma.fields.String()
    content_hash = ma.fields.String()
    functions = ma.fields.List(ma.fields.String(), metadata={"description": "when voting"})
    roles = ma.fields.List(ma.fields.String())
    comment = ma.fields.String(allow_none=True)
    at = UtcDateTime()


class TallySchema(ma.Schema):
    rule = ma.fields.Dict(metadata={"description": "the quorum rule that decides"})
    outcome = ma.fields.String(metadata={"enum": ["open", "approved", "rejected"]})
    approvals = DatabaseInteger()
    rejections = DatabaseInteger()
    filled = ma.fields.Dict(
        keys=ma.fields.String(),
        values=DatabaseInteger(),
        metadata={"description": "required function/role -> the voter filling it"},
    )
    missing = ma.fields.List(ma.fields.String())
    approval_possible = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "whether the approvers and the members yet to vote can still approve"
        },
    )
    undecided = DatabaseInteger(
        allow_none=True, metadata={"description": "eligible members who have not voted"}
    )
    summary = ma.fields.String()


class BallotBoxSchema(ma.Schema):
    subject = ma.fields.String(metadata={"description": "ae-plan/3 or approval-rules/2"})
    state = ma.fields.String()
    content_hash = ma.fields.String()
    decided_under = DatabaseInteger(
        allow_none=True, metadata={"description": "number of the approval rules that decide"}
    )
    tally = ma.fields.Nested(TallySchema)
    votes = ma.fields.List(ma.fields.Nested(VoteSchema))


class CastVoteSchema(BallotBoxSchema):
    vote = ma.fields.Nested(VoteSchema)


class _PlanRequestFields(ma.Schema):
    plan_content_hash = ma.fields.String(
        metadata={"description": "the plan version's content hash (the engine's version)"}
    )
    effective_from = ma.fields.Date(
        allow_none=True, metadata={"description": "set at submission; voted on with the plan"}
    )
    next_step = ma.fields.String(
        metadata={"description": "one sentence: what the request waits for, or why it cannot move"}
    )


class PlanBallotBoxSchema(BallotBoxSchema, _PlanRequestFields):
    """A plan version's ballot: `content_hash` is the change request's (the plan's
    content, its effective date and the retroactive flag), the hash a vote names."""


class PlanCastVoteSchema(CastVoteSchema, _PlanRequestFields):
    pass


class ChangeRequestSchema(_PlanRequestFields):
    plan = ma.fields.String()
    number = DatabaseInteger()
    state = ma.fields.String()
    content_hash = ma.fields.String(
        metadata={"description": "what a vote names: the plan's content with its effective date"}
    )
    as_of = ma.fields.Date(metadata={"description": "the submission date periods count back from"})
    decided_under = DatabaseInteger(metadata={"description": "approval rules version"})
    retroactive = ma.fields.Boolean(
        metadata={"description": "set at submission: may take effect in a locked payout period"}
    )
    tests = ma.fields.List(ma.fields.Dict(), metadata={"description": "embedded tests, all passed"})
    impact = ma.fields.Dict(
        metadata={
            "description": "periods, per-period and overall per-participant before/after/delta,"
            " totals, top changes, evaluation errors per period; `forward`: the same over the"
            " open period containing as_of; `warnings`: periods without deals or events,"
            " `periods_with_data`; `breakdown` (each window): winners, losers, the rest,"
            " histogram of deltas, totals by_team and by_function: the page's charts"
            " (docs/governance.md); while impact_state is not done, only what is simulated"
            " (versions, periods)"
        }
    )
    impact_state = ma.fields.String(
        metadata={
            "enum": ["done", "queued", "running", "failed"],
            "description": "a worker computes the impact: poll until done (votes wait for it)",
        }
    )
    impact_recomputing = ma.fields.Boolean(
        metadata={"description": "done, and a new computation over today's data is pending"}
    )
    impact_inputs_hash = ma.fields.String(
        allow_none=True,
        metadata={"description": "what the shown impact was computed against (versions, data)"},
    )
    impact_computed_at = UtcDateTime(allow_none=True)
    impact_message = ma.fields.String(allow_none=True, metadata={"description": "why it failed"})
    created_at = UtcDateTime()


class ImpactQueuedSchema(ma.Schema):
    impact_state = ma.fields.String(
        metadata={
            "enum": ["done", "queued", "running", "failed"],
            "description": "the shown impact's state now (done: an earlier result, or this one)",
        }
    )
    impact_recomputing = ma.fields.Boolean(metadata={"description": "the new one is pending"})
    impact_url = ma.fields.String(metadata={"description": "poll this: GET .../impact"})


class RuleSetSchema(ma.Schema):
    number = DatabaseInteger()
    state = ma.fields.String(metadata={"enum": list(RULE_SET_STATES)})
    content_hash = ma.fields.String()
    rules = ma.fields.Dict()
    decided_under = DatabaseInteger(allow_none=True)
    created_by_id = DatabaseInteger(allow_none=True)
    note = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)


class RuleSetsSchema(ma.Schema):
    active = ma.fields.Nested(RuleSetSchema)
    versions = ma.fields.List(ma.fields.Nested(RuleSetSchema))


class RuleSetDetailSchema(RuleSetSchema):
    tally = ma.fields.Nested(TallySchema, allow_none=True)
    votes = ma.fields.List(ma.fields.Nested(VoteSchema))
    vote = ma.fields.Nested(VoteSchema, metadata={"description": "after a vote: the vote cast"})


class ProposeRulesSchema(ma.Schema):
    rules = ma.fields.Dict(
        required=True, metadata={"description": "the whole rules document (see GET)"}
    )
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))


class NoteSchema(ma.Schema):
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
