"""What a notification says: an e-mail's subject and text, a webhook's JSON (Accord's
own or Slack-compatible), and the webhook signature.

Signature (docs/notifications.md has a receiver's check): the header
`X-Accord-Signature: v1=<hex>` is HMAC-SHA256, keyed with the webhook's secret, of
`<timestamp>.<body>`, where `<timestamp>` is `X-Accord-Timestamp` (Unix seconds) and
`<body>` the request's exact bytes. A receiver refuses a stale timestamp (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from governance.notifications import subjects

SIGNATURE_HEADER = "X-Accord-Signature"
TIMESTAMP_HEADER = "X-Accord-Timestamp"
EVENT_HEADER = "X-Accord-Event"
DELIVERY_HEADER = "X-Accord-Delivery"
TOLERANCE_SECONDS = 300

HEADLINES = {
    "vote_requested": "Your vote is requested: {title}",
    "decision_made": "Decided: {title} is {state}",
    "run_ready": "Ready for approval: {title}",
    "run_locked": "Locked: {title}",
    "run_published": "Published: {title}",
    "dispute_filed": "Dispute filed: {title}",
    "dispute_answered": "Dispute answered: {title} ({state})",
    "dispute_overdue": "Dispute overdue: {title}",
    "webhook_test": "A test from Accord to {title}: it works",
}


@dataclass(frozen=True)
class About:
    """An event as messages show it."""

    event_id: int
    kind: str
    action: str
    subject_type: str
    subject: str
    title: str
    url: str
    state: str
    note: str | None
    at: str

    @classmethod
    def of(cls, event: Any, row: Any, base_url: str) -> About:
        title = subjects.title(event.object_type, row) if row is not None else event.object_id
        url = (
            base_url.rstrip("/") + subjects.path(event.object_type, row, event.kind)
            if row
            else base_url
        )
        payload = event.payload or {}
        state = str(payload.get("to") or event.action.partition(".")[2]).replace("_", " ")
        note = payload.get("note") or payload.get("comment")
        at = event.created_at.isoformat() if event.created_at else ""
        return cls(
            event.id, event.kind, event.action, event.object_type, event.object_id,
            title, url, state, note, at,
        )  # fmt: skip

    @property
    def headline(self) -> str:
        return HEADLINES[self.kind].format(title=self.title, state=self.state)


def email(about: About) -> tuple[str, str]:
    """The e-mail's subject and plain text."""
    lines = [about.headline, "", f"Open it: {about.url}"]
    if about.note:
        lines += ["", f"Note: {about.note}"]
    lines += [
        "",
        "You receive this because of your role in Accord. Choose which notifications you",
        "get by e-mail on your inbox page.",
    ]
    return f"[Accord] {about.headline}", "\n".join(lines) + "\n"


def document(about: About) -> dict[str, Any]:
    """Accord's own webhook payload."""
    return {
        "id": about.event_id,
        "kind": about.kind,
        "action": about.action,
        "subject": {"type": about.subject_type, "id": about.subject, "title": about.title},
        "state": about.state,
        "note": about.note,
        "text": about.headline,
        "url": about.url,
        "at": about.at,
    }


def slack(about: About) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook payload (`text`, with a section block)."""
    text = f"{about.headline} <{about.url}|open>"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: str, timestamp: int | str, payload: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 of `<timestamp>.<payload>` keyed with `secret`."""
    message = str(timestamp).encode("ascii") + b"." + payload
    return "v1=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, payload: bytes, given: str, *, now: int) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (constant time)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, payload), given)


def signed_headers(secret: str, payload: bytes, now: int, event: Any, delivery_id: int) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Accord-Webhooks/1",
        EVENT_HEADER: event.kind,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(now),
        SIGNATURE_HEADER: signature(secret, now, payload),
    }
