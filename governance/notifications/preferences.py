"""Who wants what: a user's e-mail choice per event kind; the webhooks an admin set up.

E-mail is on for every kind until a user turns a kind off. Webhooks are the admins'
(`users.manage`): a URL, its signing secret (generated, shown once), a payload format
("json", or "slack" for a Slack-compatible incoming webhook) and the kinds it takes.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.errors import Conflict, DocumentRejected, NotFound
from governance.permissions import Actor, require
from models.notifications import EVENT_KINDS, WEBHOOK_FORMATS, NotificationPreference, Webhook
from rules.problems import Problem


def email_wanted(session: Session, user_id: int, kind: str) -> bool:
    stmt = select(NotificationPreference.email).where(
        NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
    )
    choice = session.scalar(stmt)
    return True if choice is None else bool(choice)


def email_choices(session: Session, user_id: int) -> dict[str, bool]:
    """Every kind, with whether `user_id` gets it by e-mail."""
    stmt = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    chosen = {p.kind: p.email for p in session.scalars(stmt)}
    return {kind: chosen.get(kind, True) for kind in EVENT_KINDS}


def set_email_choices(session: Session, user_id: int, choices: dict[str, Any]) -> dict[str, bool]:
    """Set some kinds on or off (unknown kinds or non-booleans refused, nothing written)."""
    problems = [
        Problem(f"$.{kind}", f"unknown event kind; one of {', '.join(EVENT_KINDS)}")
        for kind in choices
        if kind not in EVENT_KINDS
    ] + [
        Problem(f"$.{kind}", "expected true or false")
        for kind, on in choices.items()
        if kind in EVENT_KINDS and not isinstance(on, bool)
    ]
    if problems:
        raise DocumentRejected("The notification preferences are not valid.", problems)
    stmt = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    existing = {p.kind: p for p in session.scalars(stmt)}
    for kind, on in choices.items():
        row = existing.get(kind) or NotificationPreference(user_id=user_id, kind=kind)
        row.email = on
        session.add(row)
    session.flush()
    return email_choices(session, user_id)


def webhooks_for(session: Session, kind: str) -> list[Webhook]:
    """The active webhooks that take events of `kind`."""
    hooks = session.scalars(select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id))
    return [h for h in hooks if not h.kinds or kind in h.kinds]


def _webhook_problems(name: Any, url: Any, fmt: Any, kinds: Any) -> list[Problem]:
    problems = []
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        problems.append(Problem("$.name", "required: 1 to 100 characters"))
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(Problem("$.url", "expected an http:// or https:// URL"))
    if fmt not in WEBHOOK_FORMATS:
        problems.append(Problem("$.format", f"one of {', '.join(WEBHOOK_FORMATS)}"))
    if not isinstance(kinds, list) or any(k not in EVENT_KINDS for k in kinds):
        problems.append(Problem("$.kinds", f"a list of: {', '.join(EVENT_KINDS)}"))
    return problems


def add_webhook(
    session: Session,
    actor: Actor,
    *,
    name: str,
    url: str,
    format: str = "json",
    kinds: list[str] | None = None,
    secret: str | None = None,
) -> Webhook:
    """Configure a webhook (admins); its secret generated unless given. Audited, without
    the secret."""
    require(actor, "users.manage", "configure webhooks")
    kinds = [] if kinds is None else kinds
    problems = _webhook_problems(name, url, format, kinds)
    if problems:
        raise DocumentRejected("The webhook is not valid.", problems)
    if session.scalar(select(Webhook.id).where(Webhook.name == name.strip())) is not None:
        raise Conflict(f"A webhook named {name.strip()!r} exists already.")
    hook = Webhook(
        name=name.strip(),
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        format=format,
        kinds=sorted(set(kinds)),
        created_by_id=getattr(actor, "id", None),
    )
    session.add(hook)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.created",
        "webhook",
        hook.id,
        payload={"name": hook.name, "url": hook.url, "format": format, "kinds": hook.kinds},
    )
    return hook


def deactivate_webhook(session: Session, actor: Actor, webhook_id: int) -> Webhook:
    require(actor, "users.manage", "configure webhooks")
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}.")
    hook.active = False
    session.flush()
    audit.record(session, actor, "webhook.deactivated", "webhook", hook.id)
    return hook
