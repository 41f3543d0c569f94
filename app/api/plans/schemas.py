"""Schemas of `/api/v1/plans`: plans, versions, transitions, diffs and the request bodies.

A plan document itself (YAML or JSON text) is validated by `rules` through the policy
store, not by marshmallow, so the API, the CLI and `accord lint` share one definition of a
valid plan; `DOCUMENT_BODY` only documents it for OpenAPI.
"""

import marshmallow as ma
from sqlalchemy.orm import object_session

from app.api.fields import UtcDateTime
from app.limits import DatabaseInteger
from governance.plans.progress import next_step
from models.policy import VERSION_STATES


class TransitionSchema(ma.Schema):
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String()
    actor_id = DatabaseInteger(allow_none=True)
    at = UtcDateTime()
    note = ma.fields.String(allow_none=True)


class VersionSchema(ma.Schema):
    plan = ma.fields.String(attribute="plan_key")
    number = DatabaseInteger()
    state = ma.fields.String(metadata={"enum": list(VERSION_STATES)})
    content_hash = ma.fields.String(
        metadata={"description": "sha256 of the canonical document (the engine's version)"}
    )
    effective_from = ma.fields.Date(allow_none=True)
    recorded_at = UtcDateTime(
        allow_none=True, metadata={"description": "record time: when it was put in force"}
    )
    created_by_id = DatabaseInteger(allow_none=True)
    submitted_by_id = DatabaseInteger(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class VersionDetailSchema(VersionSchema):
    document = ma.fields.String(metadata={"description": "the text as written"})
    next_step = ma.fields.Function(
        lambda version: next_step(object_session(version), version),
        metadata={
            "description": "one sentence: what the version waits for (the votes, by function"
            " or role, the activation) or why it cannot move"
        },
    )
    transitions = ma.fields.List(ma.fields.Nested(TransitionSchema))
    plan_revision = DatabaseInteger(
        attribute="plan.revision",
        metadata={"description": "the plan's revision: send it as If-Match to change it"},
    )


class PlanSchema(ma.Schema):
    key = ma.fields.String()
    title = ma.fields.String()
    latest_number = DatabaseInteger()
    active_number = DatabaseInteger(allow_none=True)
    draft_number = DatabaseInteger(allow_none=True)
    revision = DatabaseInteger(
        metadata={"description": "optimistic-concurrency counter, also the ETag"}
    )
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class PlanDetailSchema(PlanSchema):
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))


class DraftQuerySchema(ma.Schema):
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
    expected_revision = DatabaseInteger(
        load_default=None,
        metadata={"description": "the plan revision the edit is based on (409 when stale)"},
    )


class TransitionRequestSchema(ma.Schema):
    effective_from = ma.fields.Date(
        load_default=None,
        metadata={
            "description": "submit (required): the first day this version governs, voted on"
            " with it; approve: only the voted date (or, for a request submitted before dates"
            " were voted on, its date)"
        },
    )
    note = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "why; required to reject"},
    )
    expected_revision = DatabaseInteger(
        load_default=None, metadata={"description": "optional check (409 when stale)"}
    )
    retroactive = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "submit: the version may take effect inside a period whose payout"
            " run is locked (prior-period adjustments apply); refused otherwise"
        },
    )


class DiffQuerySchema(ma.Schema):
    from_ = DatabaseInteger(required=True, data_key="from", validate=ma.validate.Range(min=1))
    to = DatabaseInteger(required=True, validate=ma.validate.Range(min=1))


class GoverningQuerySchema(ma.Schema):
    on = ma.fields.Date(required=True, metadata={"description": "effective date asked about"})
    as_of = ma.fields.AwareDateTime(
        load_default=None,
        metadata={"description": "record time: what the store knew then (default: now)"},
    )


class FieldChangeSchema(ma.Schema):
    path = ma.fields.String()
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)


class RuleChangeSchema(ma.Schema):
    id = ma.fields.String()
    fields = ma.fields.List(ma.fields.Nested(FieldChangeSchema))


class RuleRefSchema(ma.Schema):
    id = ma.fields.String()
    rule = ma.fields.Dict()


class ReorderSchema(ma.Schema):
    before = ma.fields.List(ma.fields.String())
    after = ma.fields.List(ma.fields.String())


class SectionDiffSchema(ma.Schema):
    added = ma.fields.List(ma.fields.Nested(RuleRefSchema))
    removed = ma.fields.List(ma.fields.Nested(RuleRefSchema))
    changed = ma.fields.List(ma.fields.Nested(RuleChangeSchema))
    reordered = ma.fields.Nested(ReorderSchema)


class DiffSchema(ma.Schema):
    plan = ma.fields.String()
    from_ = ma.fields.Nested(VersionSchema, data_key="from")
    to = ma.fields.Nested(VersionSchema)
    unchanged = ma.fields.Boolean()
    fields = ma.fields.List(ma.fields.Nested(FieldChangeSchema))
    sections = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(SectionDiffSchema),
        metadata={"description": "per section (rates, gates, tiers.bands, draw, ...)"},
    )


DOCUMENT_BODY = {
    "required": True,
    "description": (
        "A plan document (spec section 1) as YAML or JSON text. It is validated in full: "
        "422 lists every problem with its JSON path, rule id and column; nothing is written."
    ),
    "content": {
        media: {"schema": {"type": "string"}}
        for media in ("application/yaml", "text/yaml", "text/plain", "application/json")
    },
}
