"""Schemas of `GET /api/v1/statements/<id>/changes`: what changed in a statement against
the previous period's or its run's previous build, line by line with the causes.

Money is an exact decimal string (`"1200.00"`), never a JSON number.
"""

import marshmallow as ma

from app.api.fields import Money
from app.api.statements.schemas import StatementSchema
from app.limits import DatabaseInteger
from governance.statements.compare import AGAINST
from governance.statements.pay_changes import CAUSE_KINDS


class PayChangesQuerySchema(ma.Schema):
    against = ma.fields.String(
        load_default="previous-period",
        validate=ma.validate.OneOf(AGAINST),
        metadata={"description": "compare with the previous period's statement or build"},
    )


class PayCauseSchema(ma.Schema):
    kind = ma.fields.String(metadata={"enum": list(CAUSE_KINDS)})
    text = ma.fields.String(
        metadata={
            "example": "Plan ae-plan/2 -> ae-plan/3: rate rule new-business rate was "
            "0.06, now 0.08."
        }
    )
    field = ma.fields.String(
        allow_none=True,
        metadata={"description": "what changed: a plan path, a deal field, an FX pair..."},
    )
    before = ma.fields.String(allow_none=True)
    after = ma.fields.String(allow_none=True)


class PayLineChangeSchema(ma.Schema):
    change = ma.fields.String(metadata={"enum": ["added", "removed", "changed"]})
    kind = ma.fields.String()
    deal = ma.fields.String(allow_none=True)
    rule = ma.fields.String(allow_none=True)
    currency = ma.fields.String()
    before = Money(metadata={"description": "what the line added to payable before"})
    after = Money()
    delta = Money()
    status_before = ma.fields.String(allow_none=True)
    status_after = ma.fields.String(allow_none=True)
    amount_before = Money(allow_none=True)
    amount_after = Money(allow_none=True)
    summary = ma.fields.String()
    causes = ma.fields.List(
        ma.fields.Nested(PayCauseSchema), metadata={"description": "first: the main one"}
    )
    trace_before = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "only when no cause was found"}
    )
    trace_after = ma.fields.List(ma.fields.Dict())


class PayChangeTotalSchema(ma.Schema):
    currency = ma.fields.String()
    before = Money()
    after = Money()
    delta = Money(metadata={"description": "the sum of the line deltas"})


class PayCauseTotalSchema(ma.Schema):
    currency = ma.fields.String()
    cause = ma.fields.String(metadata={"enum": list(CAUSE_KINDS)})
    name = ma.fields.String()
    lines = DatabaseInteger()
    delta = Money()


class PayComparedWithSchema(ma.Schema):
    label = ma.fields.String(metadata={"example": "2026-Q2"})
    period = ma.fields.String()
    statement_id = DatabaseInteger(allow_none=True)
    run_id = DatabaseInteger()
    build = DatabaseInteger(allow_none=True)
    plan_versions = ma.fields.List(ma.fields.String(allow_none=True))


class StatementChangesSchema(ma.Schema):
    statement = ma.fields.Nested(StatementSchema)
    against = ma.fields.String(metadata={"enum": list(AGAINST)})
    compared_with = ma.fields.Nested(PayComparedWithSchema, allow_none=True)
    line_level = ma.fields.Boolean(
        metadata={"description": "false for a previous build: its lines are not kept"}
    )
    note = ma.fields.String(allow_none=True)
    changes = ma.fields.List(
        ma.fields.Nested(PayLineChangeSchema), metadata={"description": "largest first"}
    )
    totals = ma.fields.List(ma.fields.Nested(PayChangeTotalSchema))
    by_cause = ma.fields.List(ma.fields.Nested(PayCauseTotalSchema))
    unchanged_lines = DatabaseInteger()
    causes = ma.fields.List(
        ma.fields.Nested(PayCauseSchema),
        metadata={"description": "a previous build: the run's recorded causes for this statement"},
    )
