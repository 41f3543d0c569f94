"""Schemas of `/api/v1/users`: accounts as admins see them (no hashes, no secrets)."""

import marshmallow as ma

from app.api.fields import UtcDateTime
from app.api.payouts.schemas import PageQuerySchema
from app.limits import DatabaseInteger
from models.identity import FUNCTIONS, ROLES

_ROLES = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLES)), required=True)
_FUNCTIONS = ma.fields.List(
    ma.fields.String(validate=ma.validate.OneOf(FUNCTIONS)),
    load_default=list,
    metadata={"description": "committee functions (only with the committee role)"},
)


class UserSchema(ma.Schema):
    id = DatabaseInteger()
    email = ma.fields.String()
    name = ma.fields.String()
    active = ma.fields.Boolean(attribute="is_active")
    roles = ma.fields.Function(lambda user: sorted(user.role_names))
    functions = ma.fields.Function(lambda user: sorted(user.committee_functions))
    participant_id = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()


class UserListQuerySchema(PageQuerySchema):
    q = ma.fields.String(load_default=None, metadata={"description": "part of the name or e-mail"})
    active = ma.fields.Boolean(load_default=None)


class UserPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UserSchema), metadata={"description": "by e-mail"})
    page = DatabaseInteger()
    per_page = DatabaseInteger()
    total = DatabaseInteger()


class UserCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    roles = _ROLES
    functions = _FUNCTIONS
    participant_id = ma.fields.String(load_default=None)


class RolesSchema(ma.Schema):
    roles = _ROLES
    functions = _FUNCTIONS


class DeactivatedSchema(ma.Schema):
    user = ma.fields.Nested(UserSchema)
    sessions_revoked = DatabaseInteger()
    tokens_revoked = DatabaseInteger()


class ResetLinkSchema(ma.Schema):
    id = DatabaseInteger()
    user_id = DatabaseInteger()
    expires_at = UtcDateTime()
    mailed = ma.fields.Boolean(
        metadata={"description": "false: no SMTP server is configured, no mail is sent"}
    )
