"""The webhooks page (`users.manage`, as `/api/v1/webhooks`): an admin's outbound
endpoints with their recent delivery log; add one (its secret shown once, on the page the
form leads to), turn one off or on, delete one, send a test.

    GET  /admin/webhooks                    every webhook, its last deliveries
    GET  /admin/webhooks/new, POST          add: name, URL, events, payload format
    POST /admin/webhooks/<id>/disable | enable | delete | test

governance/notifications (preferences, webhooks) does the work; a refusal re-renders the
form with its message.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import permission_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from governance.notifications import preferences, webhooks
from models.notifications import EVENT_KINDS, WEBHOOK_FORMATS

bp = Blueprint("webhook_pages", __name__, url_prefix="/admin/webhooks")


@bp.get("")
@permission_required(webhooks.MANAGE)
def index():
    session = db_session()
    hooks = webhooks.listed(session)
    log = webhooks.log(
        session,
        [h.id for h in hooks],
        retry_base=int(current_app.config["NOTIFY_RETRY_SECONDS"]),
    )
    return render_template("admin/webhooks.html", hooks=hooks, log=log)


def _new(status: int = 200, **_ignored):
    return render_template(
        "admin/new_webhook.html", kinds=EVENT_KINDS, formats=WEBHOOK_FORMATS, form=request.form
    ), status


@bp.get("/new")
@permission_required(webhooks.MANAGE)
def new():
    return _new()


@bp.post("/new")
@permission_required(webhooks.MANAGE)
@on_refusal(_new)
def create():
    with unit_of_work() as session:
        hook = preferences.add_webhook(
            session,
            current_user,
            name=request.form.get("name", ""),
            url=request.form.get("url", "").strip(),
            format=request.form.get("format", "json"),
            kinds=request.form.getlist("kinds"),
        )
        shown = {"id": hook.id, "name": hook.name, "url": hook.url, "secret": hook.secret}
    # The secret is rendered here once, never flashed (the session cookie is readable).
    return render_template("admin/webhook_created.html", hook=shown), 201


def _act(action, message: str, webhook_id: int):
    with unit_of_work() as session:
        outcome = action(session, current_user, webhook_id)
        name = outcome if isinstance(outcome, str) else webhooks.find(session, webhook_id).name
    flash(message.format(name=name), "success")
    return redirect(url_for("webhook_pages.index"), 303)


def _list(status: int = 200, **_ignored):
    return index(), status


@bp.post("/<int:webhook_id>/disable")
@permission_required(webhooks.MANAGE)
@on_refusal(_list)
def disable(webhook_id: int):
    return _act(preferences.deactivate_webhook, "Webhook {name} is off.", webhook_id)


@bp.post("/<int:webhook_id>/enable")
@permission_required(webhooks.MANAGE)
@on_refusal(_list)
def enable(webhook_id: int):
    return _act(webhooks.activate, "Webhook {name} is on.", webhook_id)


@bp.post("/<int:webhook_id>/delete")
@permission_required(webhooks.MANAGE)
@on_refusal(_list)
def delete(webhook_id: int):
    return _act(webhooks.delete, "Webhook {name} is deleted; its delivery log is kept.", webhook_id)


@bp.post("/<int:webhook_id>/test")
@permission_required(webhooks.MANAGE)
@on_refusal(_list)
def test(webhook_id: int):
    return _act(
        webhooks.send_test,
        "A test to {name} is queued: the workers send it within seconds; see its log below.",
        webhook_id,
    )
