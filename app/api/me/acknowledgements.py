"""`/api/v1/me/plan-acknowledgements`: the signed-in participant says they have read a
version of their plan (`governance.plans.acknowledgements`), and lists what they have
acknowledged. A repeat answers the first record with 200 (idempotent); a new one 201."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from app.api.fields import UtcDateTime
from app.api.me.routes import blp
from app.auth.decorators import login_required
from app.database import db_session, unit_of_work
from app.errors import ErrorSchema
from app.limits import DatabaseInteger
from governance.plans import acknowledgements


class AcknowledgeSchema(ma.Schema):
    plan = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=63))
    version = DatabaseInteger(required=True, validate=ma.validate.Range(min=1))
    content_hash = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=71),
        metadata={"description": "the version's content hash, as read (GET .../versions/N)"},
    )


class AcknowledgementSchema(ma.Schema):
    id = DatabaseInteger()
    plan = ma.fields.String(attribute="plan_key")
    version = DatabaseInteger(attribute="version_number")
    content_hash = ma.fields.String()
    participant = ma.fields.String(attribute="participant_id", allow_none=True)
    acknowledged_at = UtcDateTime()


@blp.route("/plan-acknowledgements")
class PlanAcknowledgements(MethodView):
    @login_required
    @blp.response(200, AcknowledgementSchema(many=True))
    def get(self):
        """The plan versions you have acknowledged, newest first."""
        return acknowledgements.of_user(db_session(), current_user)

    @login_required
    @blp.arguments(AcknowledgeSchema)
    @blp.response(201, AcknowledgementSchema, description="recorded (audited)")
    @blp.alt_response(200, schema=AcknowledgementSchema, description="acknowledged before")
    @blp.alt_response(403, schema=ErrorSchema, description="not assigned to that plan")
    @blp.alt_response(404, schema=ErrorSchema, description="no such version")
    @blp.alt_response(409, schema=ErrorSchema, description="not in force, or another hash")
    def post(self, body):
        """Acknowledge a version of a plan you are assigned to, naming the content hash
        you read; once per version (a repeat answers the first record)."""
        with unit_of_work() as session:
            record, new = acknowledgements.acknowledge(
                session, current_user, body["plan"], body["version"], body["content_hash"]
            )
        return record, 201 if new else 200
