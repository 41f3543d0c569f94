"""Schemas of `/api/v1/webhooks`: an admin's outbound endpoints and their delivery log."""

import marshmallow as ma

from app.api.fields import UtcDateTime
from app.limits import DatabaseInteger
from models.notifications import EVENT_KINDS, WEBHOOK_FORMATS


class WebhookCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    url = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    format = ma.fields.String(
        load_default="json",
        validate=ma.validate.OneOf(WEBHOOK_FORMATS),
        metadata={"description": "json (Accord's payload) or slack (Slack-compatible)"},
    )
    kinds = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_KINDS)),
        load_default=list,
        metadata={"description": "the event kinds it takes; empty: every kind"},
    )


class WebhookSchema(ma.Schema):
    id = DatabaseInteger()
    name = ma.fields.String()
    url = ma.fields.String()
    format = ma.fields.String()
    kinds = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    created_at = UtcDateTime()


class NewWebhookSchema(WebhookSchema):
    secret = ma.fields.String(
        metadata={"description": "the HMAC-SHA256 signing key: shown once; store it now"}
    )


class TestQueuedSchema(ma.Schema):
    event_id = DatabaseInteger(metadata={"description": "the test event, fanned out by workers"})


class DeliverySchema(ma.Schema):
    id = DatabaseInteger()
    event_id = DatabaseInteger()
    channel = ma.fields.String()
    recipient = ma.fields.String()
    state = ma.fields.String()
    attempts = DatabaseInteger()
    message = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
