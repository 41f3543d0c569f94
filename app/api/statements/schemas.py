"""Schemas of `/api/v1/statements`: statements, explained lines, traces and the queries.

Money and ratios are strings (exact decimals: `"2690.00"`, attainment `"1.1000"`), never
JSON numbers, as in the engine's own output.
"""

import marshmallow as ma

from app.limits import DatabaseInteger
from models.payouts import LINE_KINDS, RUN_STATES
from rules.period import Period, PeriodError


def _period(value: str) -> None:
    try:
        Period.parse(value)
    except PeriodError as exc:
        raise ma.ValidationError(str(exc)) from None


MONEY = {"description": "exact decimal, 2 places", "example": "2690.00"}


class StatementSchema(ma.Schema):
    id = DatabaseInteger()
    run_id = DatabaseInteger()
    period = ma.fields.String(metadata={"example": "2026-Q3"})
    run_state = ma.fields.String(metadata={"enum": list(RUN_STATES)})
    run_published = ma.fields.Boolean(
        metadata={"description": "published to its reps (a rep reads published runs only)"}
    )
    participant = ma.fields.String()
    participant_name = ma.fields.String(allow_none=True)
    plan = ma.fields.String()
    plan_version = ma.fields.String(metadata={"description": "sha256 of the plan version"})
    currency = ma.fields.String()
    quota = ma.fields.String(allow_none=True, metadata=MONEY)
    credited = ma.fields.String(metadata=MONEY)
    attainment = ma.fields.String(allow_none=True, metadata={"example": "1.1000"})
    earned = ma.fields.String(metadata=MONEY)
    held = ma.fields.String(metadata=MONEY)
    released = ma.fields.String(metadata=MONEY)
    clawed_back = ma.fields.String(metadata=MONEY)
    draw = ma.fields.String(metadata=MONEY)
    draw_balance = ma.fields.String(metadata=MONEY)
    payable = ma.fields.String(metadata=MONEY)
    line_count = DatabaseInteger()


class LineExplanationSchema(ma.Schema):
    summary = ma.fields.String(
        metadata={
            "example": "Commission on deal D-102 (credit rule owner): blocked, pays 0.00 USD."
        }
    )
    steps = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "one sentence per trace step, in order",
            "example": ["Gate margin-floor blocked this line: gross margin 20% < 25%."],
        },
    )


class FxUsedSchema(ma.Schema):
    pair = ma.fields.String(metadata={"example": "EUR/USD"})
    rate = ma.fields.String(metadata={"example": "1.1"})
    from_ = ma.fields.String(
        attribute="from",
        data_key="from",
        allow_none=True,
        metadata={"format": "date", "description": "first day in force; null: the beginning"},
    )
    text = ma.fields.String(metadata={"example": "EUR/USD 1.1 from 2026-10-01"})


class StatementLineSchema(ma.Schema):
    id = DatabaseInteger()
    line_key = ma.fields.String(metadata={"description": "stable across re-runs"})
    position = DatabaseInteger()
    kind = ma.fields.String(metadata={"enum": list(LINE_KINDS)})
    deal = ma.fields.String(allow_none=True)
    rule = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["payable", "held", "blocked", "ineligible"]})
    share = ma.fields.String(allow_none=True)
    credit = ma.fields.String(allow_none=True, metadata=MONEY)
    rate = ma.fields.String(allow_none=True)
    amount = ma.fields.String(metadata=MONEY)
    currency = ma.fields.String()
    plan = ma.fields.String()
    adjusts_period = ma.fields.String(
        allow_none=True, metadata={"description": "prior-period adjustment: the period"}
    )
    reason = ma.fields.String(allow_none=True)
    fx = ma.fields.Nested(
        FxUsedSchema,
        allow_none=True,
        metadata={"description": "the FX rate the deal amount was converted at, if any"},
    )
    explanation = ma.fields.Nested(LineExplanationSchema)
    trace = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "the engine's trace: the rules that decided the line, in order"},
    )


class StatementDetailSchema(StatementSchema):
    lines = ma.fields.List(ma.fields.Nested(StatementLineSchema))


class StatementLineDetailSchema(StatementLineSchema):
    statement = ma.fields.Nested(StatementSchema)


class StatementListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StatementSchema))


class StatementPeriodSchema(ma.Schema):
    period = ma.fields.String()
    run_id = DatabaseInteger()
    run_state = ma.fields.String(metadata={"enum": list(RUN_STATES)})


class StatementPeriodListSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(StatementPeriodSchema), metadata={"description": "newest first"}
    )


class StatementQuerySchema(ma.Schema):
    period = ma.fields.String(load_default=None, validate=_period, metadata={"example": "2026-Q3"})
    run = DatabaseInteger(load_default=None, metadata={"description": "a payout run id"})
    participant = ma.fields.String(load_default=None)


class StatementFormatQuerySchema(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")))


class StatementExportQuerySchema(StatementQuerySchema, StatementFormatQuerySchema):
    pass


class StatementDetailQuerySchema(ma.Schema):
    traces = ma.fields.Boolean(
        load_default=False, metadata={"description": "include every line's trace"}
    )


class PayrollFormatQuerySchema(ma.Schema):
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(("json", "csv")))


class StatementExportJobSchema(StatementExportQuerySchema):
    """The body of `POST /statements/exports`: the filters and format of the export."""
