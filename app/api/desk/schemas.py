"""Schemas of the deal desk's look-ups: `/api/v1/deals`, `/api/v1/participants`."""

import marshmallow as ma

from app.api.fields import DECIMAL_PATTERN
from app.api.payouts.schemas import PageQuerySchema
from app.limits import DatabaseInteger
from governance.desk.search import MAX_QUERY
from rules.evaluation.numbers import money

MONEY = {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}


class SearchQuerySchema(PageQuerySchema):
    q = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_QUERY),
        metadata={"description": "part of the id or the name (case-insensitive)"},
    )


class DealSchema(ma.Schema):
    id = ma.fields.String()
    account = ma.fields.String(allow_none=True)
    type = ma.fields.String(allow_none=True)
    amount = ma.fields.Function(lambda deal: money(deal["amount"]), metadata=MONEY)
    currency = ma.fields.String()
    close_date = ma.fields.Date()
    owner = ma.fields.String(attribute="owner_id")
    owner_name = ma.fields.String(allow_none=True)


class _PageSchema(ma.Schema):
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


class DealPageSchema(_PageSchema):
    items = ma.fields.List(ma.fields.Nested(DealSchema), metadata={"description": "exact id first"})


class ParticipantSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    region = ma.fields.String(allow_none=True)


class ParticipantPageSchema(_PageSchema):
    items = ma.fields.List(
        ma.fields.Nested(ParticipantSchema), metadata={"description": "exact id first"}
    )


class EffectSchema(ma.Schema):
    rule = ma.fields.String(metadata={"description": "the gate's id"})
    effect = ma.fields.String(metadata={"description": "block, reduce or hold"})
    detail = ma.fields.String()
    waived_by = ma.fields.String(allow_none=True, metadata={"description": "the exception"})


class DeskLineSchema(ma.Schema):
    id = DatabaseInteger(attribute="line.id")
    participant = ma.fields.String(attribute="line.participant_id")
    participant_name = ma.fields.String(allow_none=True)
    plan = ma.fields.String(attribute="line.plan_key")
    kind = ma.fields.String(attribute="line.kind")
    rule = ma.fields.String(attribute="line.rule", allow_none=True)
    status = ma.fields.String(attribute="line.status")
    reduced = ma.fields.Boolean()
    amount = ma.fields.Function(lambda row: money(row.line.amount), metadata=MONEY)
    currency = ma.fields.String(attribute="line.currency")
    effects = ma.fields.List(ma.fields.Nested(EffectSchema))


class PlanRulesSchema(ma.Schema):
    plan = ma.fields.String(attribute="plan_key")
    version = ma.fields.String(attribute="version_label", allow_none=True)
    gates = ma.fields.List(ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()))
    clawbacks = ma.fields.List(ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()))


class DealViewSchema(ma.Schema):
    deal = ma.fields.Nested(DealSchema)
    run_id = DatabaseInteger(
        allow_none=True, metadata={"description": "the latest run with its lines"}
    )
    lines = ma.fields.List(ma.fields.Nested(DeskLineSchema))
    plans = ma.fields.List(
        ma.fields.Nested(PlanRulesSchema),
        metadata={"description": "the governing versions' gates and clawbacks, to waive"},
    )
