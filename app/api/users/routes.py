"""`/api/v1/users`: user accounts, for admins (`users.manage`); governance/users.py.

GET  /users                        search (?q=, ?active=), paged, by e-mail
POST /users                        invite: create, and mail a link to set a password
GET  /users/<id>
PUT  /users/<id>/roles             roles and committee functions (last admin keeps admin)
POST /users/<id>/deactivate        sessions, tokens and reset links revoked at once
POST /users/<id>/reactivate
POST /users/<id>/reset-link        a one-time link, mailed to the user alone (202)
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from app.api.users.schemas import (
    DeactivatedSchema,
    ResetLinkSchema,
    RolesSchema,
    UserCreateSchema,
    UserListQuerySchema,
    UserPageSchema,
    UserSchema,
)
from app.auth.decorators import permission_required
from app.database import db_session, transactional
from app.errors import ErrorSchema
from governance import paging, users

blp = Blueprint("users", __name__, url_prefix="/users", description="User accounts (admins)")
MANAGE = users.MANAGE


def _key() -> str:
    return current_app.config["SECRET_KEY"]


def _link(reset) -> dict:
    mailed = bool(current_app.config.get("SMTP_HOST"))
    return {
        "id": reset.id,
        "user_id": reset.user_id,
        "expires_at": reset.expires_at,
        "mailed": mailed,
    }


@blp.route("")
class Users(MethodView):
    @permission_required(MANAGE)
    @blp.arguments(UserListQuerySchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, query):
        page, per_page = query["page"], query["per_page"]
        stmt = users.search(query["q"], active=query["active"])
        rows, total = paging.page(db_session(), stmt, offset=(page - 1) * per_page, limit=per_page)
        return {"items": rows, "page": page, "per_page": per_page, "total": total}

    @permission_required(MANAGE)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @transactional
    def post(self, body):
        """Invite a user: created without a password, mailed a link to choose one."""
        user, _reset = users.invite(db_session(), current_user, key=_key(), **body)
        return user


@blp.route("/<int:user_id>")
@permission_required(MANAGE)
@blp.response(200, UserSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_user(user_id: int):
    return users.find(db_session(), user_id)


@blp.route("/<int:user_id>/roles", methods=["PUT"])
@permission_required(MANAGE)
@blp.arguments(RolesSchema)
@blp.response(200, UserSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@transactional
def put_roles(body, user_id: int):
    """Replace the roles and committee functions; 409 for the last active admin's admin."""
    user = users.find(db_session(), user_id)
    users.change_roles(db_session(), current_user, user, **body)
    return user


@blp.route("/<int:user_id>/deactivate", methods=["POST"])
@permission_required(MANAGE)
@blp.response(200, DeactivatedSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@transactional
def deactivate(user_id: int):
    """Stop the user now: their sessions and tokens fail from the next request. 409 for
    oneself and for the last active admin."""
    user = users.find(db_session(), user_id)
    revoked = users.deactivate(db_session(), current_user, user)
    return {"user": user, **revoked}


@blp.route("/<int:user_id>/reactivate", methods=["POST"])
@permission_required(MANAGE)
@blp.response(200, UserSchema)
@blp.alt_response(404, schema=ErrorSchema)
@transactional
def reactivate(user_id: int):
    user = users.find(db_session(), user_id)
    users.reactivate(db_session(), current_user, user)
    return user


@blp.route("/<int:user_id>/reset-link", methods=["POST"])
@permission_required(MANAGE)
@blp.response(202, ResetLinkSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@transactional
def reset_link(user_id: int):
    """Mail the user a one-time link to set a password (24 h); the link is not shown."""
    user = users.find(db_session(), user_id)
    return _link(users.issue_reset(db_session(), current_user, user, key=_key()))
