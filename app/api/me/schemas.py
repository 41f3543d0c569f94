"""Schemas of the signed-in user and their API tokens."""

import marshmallow as ma

from app.api.fields import UtcDateTime
from app.limits import DatabaseInteger


class MeSchema(ma.Schema):
    id = DatabaseInteger()
    email = ma.fields.String()
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    committee_functions = ma.fields.List(ma.fields.String())
    participant = ma.fields.String(allow_none=True)
    permissions = ma.fields.List(ma.fields.String())


class TokenCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    expires_at = ma.fields.AwareDateTime(load_default=None)


class TokenSchema(ma.Schema):
    id = DatabaseInteger()
    name = ma.fields.String()
    prefix = ma.fields.String()
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    secret = ma.fields.String(metadata={"description": "shown once; store it now"})


class InboxQuerySchema(ma.Schema):
    page = DatabaseInteger(load_default=1, validate=ma.validate.Range(min=1))
    per_page = DatabaseInteger(load_default=50, validate=ma.validate.Range(min=1, max=500))


class InboxItemSchema(ma.Schema):
    kind = ma.fields.String(
        metadata={"description": "vote (yours to cast), review (a dispute), waiting (yours)"}
    )
    subject_type = ma.fields.String(
        metadata={"description": "plan_version, approval_rules, payout_exception, ..."}
    )
    subject = ma.fields.String(metadata={"description": "its label, as the audit log names it"})
    title = ma.fields.String()
    why = ma.fields.String(metadata={"description": "e.g. 'waiting for a finance vote'"})
    path = ma.fields.String(metadata={"description": "the page that shows it"})
    since = UtcDateTime()


class InboxCountsSchema(ma.Schema):
    vote = DatabaseInteger()
    review = DatabaseInteger()
    waiting = DatabaseInteger()
    actionable = DatabaseInteger(metadata={"description": "votes and reviews"})


class InboxSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(InboxItemSchema), metadata={"description": "newest first"}
    )
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()
    counts = ma.fields.Nested(InboxCountsSchema)


class EmailChoicesSchema(ma.Schema):
    """E-mail on (true) or off (false) per event kind."""

    class Meta:
        unknown = ma.INCLUDE

    vote_requested = ma.fields.Boolean()
    decision_made = ma.fields.Boolean()
    run_ready = ma.fields.Boolean()
    run_locked = ma.fields.Boolean()
    run_published = ma.fields.Boolean()
    dispute_filed = ma.fields.Boolean()
    dispute_answered = ma.fields.Boolean()
    dispute_overdue = ma.fields.Boolean()


class PreferencesSchema(ma.Schema):
    email = ma.fields.Nested(EmailChoicesSchema)
