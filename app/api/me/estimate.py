"""`POST /api/v1/me/estimate`: what a deal the signed-in rep has not closed yet would pay
(`governance.reps.estimate`). A read: nothing is saved or audited."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from app.api.fields import DECIMAL_PATTERN, Money
from app.api.me.routes import blp
from app.auth.decorators import login_required
from app.auth.throttle import limit_what_if
from app.database import db_session
from app.errors import ErrorSchema
from app.limits import DatabaseInteger
from governance.reps import estimate

_TEXT = {"type": "string", "pattern": DECIMAL_PATTERN}


def _decimal_text(description: str, **kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(max=40),
        metadata={**_TEXT, "description": description},
        **kwargs,
    )


class EstimateRequestSchema(ma.Schema):
    amount = _decimal_text('the deal\'s amount as decimal text, e.g. "50000.00"', required=True)
    close_date = ma.fields.Date(required=True, metadata={"description": "when it would close"})
    type = ma.fields.String(
        load_default="new",
        validate=ma.validate.Length(min=1, max=40),
        metadata={"description": "new, expansion, renewal... as the plan's rates read it"},
    )
    currency = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=3),
        metadata={"description": "ISO code; default: the plan's currency"},
    )
    gross_margin = _decimal_text("a ratio, e.g. 0.45", load_default=None, allow_none=True)
    discount = _decimal_text("a ratio, e.g. 0.10", load_default=None, allow_none=True)
    term_months = DatabaseInteger(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=1200)
    )
    cash_collected_date = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "default: the close date (a pay-on-cash gate then holds nothing)"},
    )


class EstimateDealSchema(EstimateRequestSchema):
    amount = Money()
    currency = ma.fields.String(allow_none=True)
    gross_margin = Money(allow_none=True)
    discount = Money(allow_none=True)
    term_months = DatabaseInteger(allow_none=True)
    cash_collected_date = ma.fields.Date()


class EstimateLineSchema(ma.Schema):
    change = ma.fields.String(metadata={"description": "new, changed or gone"})
    kind = ma.fields.String()
    deal = ma.fields.String(allow_none=True, metadata={"description": "what-if: the new deal"})
    rule = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    amount = Money(metadata={"description": "with the deal"})
    before = Money(allow_none=True, metadata={"description": "without it (none: a new line)"})
    tiers = ma.fields.List(ma.fields.String(), metadata={"description": "tier bands it spans"})
    summary = ma.fields.String()
    steps = ma.fields.List(ma.fields.String())


class EstimatePlanSchema(ma.Schema):
    plan = ma.fields.String()
    version = ma.fields.String(metadata={"description": "the version governing the close date"})
    version_hash = ma.fields.String()
    period = ma.fields.String()
    currency = ma.fields.String()
    payable = Money(metadata={"description": "payable with the deal minus without it"})
    held = Money(metadata={"description": "held with the deal minus without it"})
    attainment_before = Money(allow_none=True)
    attainment_after = Money(allow_none=True)
    tier_before = ma.fields.String(allow_none=True)
    tier_after = ma.fields.String(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(EstimateLineSchema))


class EstimateSchema(ma.Schema):
    participant = ma.fields.String()
    deal = ma.fields.Nested(EstimateDealSchema)
    currency = ma.fields.String(allow_none=True, metadata={"description": "none: mixed"})
    payable = Money(allow_none=True, metadata={"description": "Y: what the deal would pay"})
    held = Money(allow_none=True)
    plans = ma.fields.List(ma.fields.Nested(EstimatePlanSchema))


@blp.route("/estimate", methods=["POST"])
@login_required
@blp.arguments(EstimateRequestSchema)
@blp.response(200, EstimateSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not a participant")
@blp.alt_response(422, schema=ErrorSchema, description="every problem, located; nothing saved")
@blp.alt_response(429, schema=ErrorSchema, description="too many estimates: see Retry-After")
def my_estimate(body):
    """What a deal of yours closing on a date would pay: the engine over your real data
    with and without it, under the plan version governing that date. Nothing is saved."""
    deal = estimate.hypothetical_deal(body)
    limit_what_if(current_user.id)
    return estimate.estimate(db_session(), current_user, deal)
