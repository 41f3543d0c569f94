"""`/api/v1/webhooks`: outbound webhooks (admins, `users.manage`): add one (its signing
secret shown once), list them, turn one off or on again, send one a test, read its
deliveries (the delivery log). The webhooks page (app/pages/webhooks.py) does the same."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from app.api.webhooks.schemas import (
    DeliverySchema,
    NewWebhookSchema,
    TestQueuedSchema,
    WebhookCreateSchema,
    WebhookSchema,
)
from app.auth.decorators import permission_required
from app.database import db_session, transactional
from governance.notifications import preferences, webhooks
from models.notifications import NotificationDelivery, Webhook

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks", description="Outbound webhooks")


@blp.route("")
class Webhooks(MethodView):
    @permission_required("users.manage")
    @blp.response(200, WebhookSchema(many=True))
    def get(self):
        return db_session().scalars(select(Webhook).order_by(Webhook.id)).all()

    @permission_required("users.manage")
    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, NewWebhookSchema)
    @transactional
    def post(self, body):
        hook = preferences.add_webhook(db_session(), current_user, **body)
        fields = {name: getattr(hook, name) for name in WebhookSchema().fields}
        return {**fields, "secret": hook.secret}


@blp.route("/<int:webhook_id>")
class WebhookItem(MethodView):
    @permission_required("users.manage")
    @blp.response(200, WebhookSchema)
    @transactional
    def delete(self, webhook_id: int):
        """Turn the webhook off (kept, with its delivery log)."""
        return preferences.deactivate_webhook(db_session(), current_user, webhook_id)


@blp.route("/<int:webhook_id>/enable", methods=["POST"])
@permission_required("users.manage")
@blp.response(200, WebhookSchema)
@transactional
def enable(webhook_id: int):
    """Turn the webhook on again: it takes the events written from now on."""
    return webhooks.activate(db_session(), current_user, webhook_id)


@blp.route("/<int:webhook_id>/test", methods=["POST"])
@permission_required("users.manage")
@blp.response(202, TestQueuedSchema)
@transactional
def send_test(webhook_id: int):
    """Queue a test message to this webhook (kind `webhook_test`): the workers sign and
    send it as any delivery; its delivery log shows the outcome."""
    return {"event_id": webhooks.send_test(db_session(), current_user, webhook_id).id}


@blp.route("/<int:webhook_id>/deliveries")
@permission_required("users.manage")
@blp.response(200, DeliverySchema(many=True))
def deliveries(webhook_id: int):
    """The webhook's last 200 deliveries, newest first."""
    session = db_session()
    if session.get(Webhook, webhook_id) is None:
        abort(404, description=f"No webhook {webhook_id}.")
    stmt = (
        select(NotificationDelivery)
        .where(NotificationDelivery.webhook_id == webhook_id)
        .order_by(NotificationDelivery.id.desc())
        .limit(200)
    )
    return session.scalars(stmt).all()
