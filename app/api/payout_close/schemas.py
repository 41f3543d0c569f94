"""Schemas of the close endpoints: a vote on a payout run, its tally, the lock."""

import marshmallow as ma

from app.api.changes.schemas import TallySchema, VoteRequestSchema, VoteSchema


class RunVoteRequestSchema(VoteRequestSchema):
    """The same ballot as for a plan version; `content_hash` is the run's (see GET tally)."""


class RunBallotSchema(ma.Schema):
    run = ma.fields.Integer()
    period = ma.fields.String(metadata={"description": "2026-Q3"})
    state = ma.fields.String(metadata={"enum": ["draft", "approved", "locked", "failed"]})
    content_hash = ma.fields.String(
        metadata={"description": "what a vote binds to: inputs, plan versions and lines"}
    )
    tally = ma.fields.Nested(TallySchema)
    votes = ma.fields.List(
        ma.fields.Nested(VoteSchema), metadata={"description": "votes on this content"}
    )


class RunCastVoteSchema(RunBallotSchema):
    vote = ma.fields.Nested(VoteSchema)


class LockRequestSchema(ma.Schema):
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=4000))


class LockedRunSchema(RunBallotSchema):
    locked_at = ma.fields.DateTime()
    locked_by_id = ma.fields.Integer(allow_none=True)
