"""`/api/v1/me/inbox` and `/api/v1/me/notification-preferences`: what waits for the
signed-in user, and which notifications they get by e-mail."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from app.api.me.routes import blp
from app.api.me.schemas import InboxQuerySchema, InboxSchema, PreferencesSchema
from app.auth.decorators import login_required
from app.database import db_session, transactional
from governance.notifications import inbox, preferences


@blp.route("/inbox")
@login_required
@blp.arguments(InboxQuerySchema, location="query")
@blp.response(200, InboxSchema)
def my_inbox(query):
    """Votes you may cast, disputes to review and your own requests still waiting (with
    why), newest first."""
    page, per_page = query["page"], query["per_page"]
    found = inbox.page(db_session(), current_user, offset=(page - 1) * per_page, limit=per_page)
    return {
        "items": [i.as_dict() for i in found["items"]],
        "page": page,
        "per_page": per_page,
        "total": found["total"],
        "counts": found["counts"],
    }


@blp.route("/notification-preferences")
class NotificationPreferences(MethodView):
    @login_required
    @blp.response(200, PreferencesSchema)
    def get(self):
        """Which event kinds you get by e-mail (all, until you turn some off)."""
        return {"email": preferences.email_choices(db_session(), current_user.id)}

    @login_required
    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    @transactional
    def put(self, body):
        """Turn e-mail on or off for some event kinds (the others are kept)."""
        chosen = preferences.set_email_choices(db_session(), current_user.id, body.get("email", {}))
        return {"email": chosen}
