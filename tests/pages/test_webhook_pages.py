"""The webhooks page through Flask's test client, on both databases: admins only; add one
(secret shown once, never in the audit log), refusals that write nothing, a test sent by
the (eager) workers to a real receiver that checks the signature, the delivery log with
its next retry, off and on, delete keeping the log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.tasks import EXTENSION
from app.tasks.notifications import SWEEP
from governance.notifications import webhooks
from models import AuditRecord
from models.base import utcnow
from models.notifications import DeliveryAttempt, NotificationDelivery, Webhook
from tests.support.receivers import WebhookReceiver
from tests.support.sessions import csrf_token, sign_in

SECRET_SHOWN = re.compile(r'data-testid="secret">([^<]+)<')


@pytest.fixture
def hook_app(app_with):
    """The app with a 30 s retry base (the log shows when), one try per delivery."""
    return app_with(
        NOTIFY_RETRY_SECONDS=30,
        NOTIFY_MAX_ATTEMPTS=1,
    )


def _client(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client, csrf_token(client)


def _add(client, token, url: str, name: str = "chat", **extra):
    data = {"csrf_token": token, "name": name, "url": url, "format": "slack", **extra}
    return client.post("/admin/webhooks/new", data=data)


def test_only_admins_open_the_page(hook_app, make_user):
    for role in ("comp_admin", "auditor", "rep"):
        client, _ = _client(hook_app, make_user(role))
        assert client.get("/admin/webhooks").status_code == 403
    admin, _ = _client(hook_app, make_user("admin"))
    page = admin.get("/admin/webhooks")
    assert page.status_code == 200
    assert 'data-testid="no-webhooks"' in page.get_data(as_text=True)
    assert 'href="/admin/webhooks"' in page.get_data(as_text=True)  # in the nav


def test_add_shows_the_secret_once_and_refusals_write_nothing(hook_app, db, make_user):
    client, token = _client(hook_app, make_user("admin"))
    bad = _add(client, token, "ftp://example.test/x", kinds=["vote_requested", "no_such_kind"])
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "$.url: expected an http:// or https:// URL" in text
    assert "$.kinds" in text and 'value="ftp://example.test/x"' in text  # the form kept
    assert db.scalar(select(func.count()).select_from(Webhook)) == 0

    made = _add(client, token, "https://hooks.example.test/T1", kinds=["dispute_filed"])
    assert made.status_code == 201
    secret = SECRET_SHOWN.search(made.get_data(as_text=True)).group(1)
    hook = db.scalars(select(Webhook)).one()
    assert (hook.secret, hook.format, hook.kinds) == (secret, "slack", ["dispute_filed"])
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert secret not in listing and "https://hooks.example.test/T1" in listing
    payloads = db.scalars(select(AuditRecord.payload)).all()
    assert not any(secret in str(p) for p in payloads)

    again = _add(client, token, "https://hooks.example.test/T2")  # the name is taken
    assert again.status_code == 409
    assert db.scalar(select(func.count()).select_from(Webhook)) == 1


def test_send_test_off_on_and_delete(hook_app, db, make_user):
    client, token = _client(hook_app, make_user("admin"))
    with WebhookReceiver("unknown yet") as receiver:
        made = _add(client, token, receiver.url, name="ops", format="json")
        receiver.secret = SECRET_SHOWN.search(made.get_data(as_text=True)).group(1)
        hook_id = db.scalars(select(Webhook.id)).one()

        sent = client.post(f"/admin/webhooks/{hook_id}/test", data={"csrf_token": token})
        assert sent.status_code == 303
        hook_app.extensions[EXTENSION].tasks[SWEEP].apply_async().get()
        assert len(receiver.requests) == 1 and receiver.requests[0]["verified"]
        body = receiver.received[0]
        assert body["kind"] == "webhook_test" and body["subject"]["title"] == "Webhook ops"

    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert page.count('data-testid="delivery"') == 1
    assert ">sent</span>" in page and "<td>200</td>" in page and "webhook test" in page

    off = client.post(f"/admin/webhooks/{hook_id}/disable", data={"csrf_token": token})
    assert off.status_code == 303
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert 'data-testid="webhook-status">off<' in page and 'data-testid="enable"' in page
    client.post(f"/admin/webhooks/{hook_id}/enable", data={"csrf_token": token})
    db.expire_all()
    assert db.get(Webhook, hook_id).active is True

    gone = client.post(f"/admin/webhooks/{hook_id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    db.expire_all()
    assert db.get(Webhook, hook_id) is None
    kept = db.scalars(select(NotificationDelivery)).one()
    assert (kept.state, kept.webhook_id, kept.address) == ("sent", None, receiver.url)
    actions = db.scalars(
        select(AuditRecord.action)
        .where(AuditRecord.object_type == "webhook")
        .order_by(AuditRecord.id)
    )
    assert list(actions) == [
        "webhook.created", "webhook.tested", "webhook.deactivated", "webhook.activated",
        "webhook.deleted",
    ]  # fmt: skip
    missing = client.post(f"/admin/webhooks/{hook_id}/test", data={"csrf_token": token})
    assert missing.status_code == 404


def test_the_log_shows_when_a_failed_try_is_retried(hook_app, db, make_user):
    admin = make_user("admin")
    client, token = _client(hook_app, admin)
    _add(client, token, "http://127.0.0.1:9/closed", name="down")
    hook = db.scalars(select(Webhook)).one()
    event = webhooks.send_test(db, admin, hook.id)
    tried = utcnow().replace(microsecond=0)
    delivery = NotificationDelivery(
        event_id=event.id, channel="webhook", recipient=f"webhook:{hook.id}",
        webhook_id=hook.id, address=hook.url, state="queued", attempts=2,
        message="connection refused",
    )  # fmt: skip
    db.add(delivery)
    db.flush()
    db.add(DeliveryAttempt(delivery_id=delivery.id, number=2, ok=False, at=tried,
                           status_code=503, error="HTTP 503", duration_ms=3))  # fmt: skip
    db.commit()
    page = client.get("/admin/webhooks").get_data(as_text=True)
    retry = (tried + timedelta(seconds=60)).strftime("%Y-%m-%d %H:%M:%S UTC")  # 30 s, doubled
    assert f"<td>{retry}</td>" in page and "<td>503</td>" in page
    assert "connection refused" in page

    refused = client.post(f"/admin/webhooks/{hook.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 303  # a queued delivery fails with the webhook
    db.expire_all()
    assert db.get(NotificationDelivery, delivery.id).message == "the webhook was deleted"
