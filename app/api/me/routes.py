"""`/api/v1/me`: who am I, and my API tokens (create, list, revoke)."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.api.me.schemas import MeSchema, NewTokenSchema, TokenCreateSchema, TokenSchema
from app.auth.decorators import login_required, permission_required
from app.database import db_session, transactional
from governance.accounts import issue_token, revoke_token
from governance.permissions import permissions_of
from models import ApiToken

blp = Blueprint("me", __name__, url_prefix="/me", description="The signed-in user")


@blp.route("")
class Me(MethodView):
    @login_required
    @blp.response(200, MeSchema)
    def get(self):
        user = current_user
        return {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "roles": sorted(user.role_names),
            "committee_functions": sorted(user.committee_functions),
            "participant": user.participant_id,
            "permissions": sorted(permissions_of(user)),
        }


@blp.route("/tokens")
class Tokens(MethodView):
    @permission_required("tokens.manage_own")
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        stmt = select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
        return db_session().scalars(stmt).all()

    @permission_required("tokens.manage_own")
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @transactional
    def post(self, body):
        token, secret = issue_token(db_session(), current_user, body["name"], body["expires_at"])
        # The response schema dumps the row itself; the secret is no column, so it is
        # added beside the row's fields (dumping twice would feed strings to DateTime).
        fields = {name: getattr(token, name) for name in TokenSchema().fields}
        return {**fields, "secret": secret}


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @permission_required("tokens.manage_own")
    @blp.response(204)
    @transactional
    def delete(self, token_id: int):
        session = db_session()
        token = session.get(ApiToken, token_id)
        # Someone else's token is reported as missing, not forbidden: no probing of ids.
        if token is None or token.user_id != current_user.id:
            abort(404, description=f"No token {token_id}.")
        revoke_token(session, token)


from app.api.me import acknowledgements as _acknowledgements  # noqa: E402, F401
from app.api.me import estimate as _estimate  # noqa: E402,F401  (routes on this blueprint)
from app.api.me import inbox as _inbox  # noqa: E402,F401  (routes on this blueprint)
