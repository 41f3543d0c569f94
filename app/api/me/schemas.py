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
