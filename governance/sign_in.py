"""Signing in and out: server-side sessions and the audit of every attempt.

    opened = sign_in(session, email, password, client)   # a UserSession, or None
    live_session(session, session_id, user_id)            # the row a cookie names, if live
    sign_out(session, user, session_id)

Every attempt is audited in the caller's transaction, which commits it whether or not
the attempt succeeded. The audit never holds a password nor the e-mail typed (people
type passwords into the e-mail field): only its SHA-256, and the user's id when the
e-mail names one. Throttling is the delivery layer's (app/auth/throttle.py); it reports
refusals here. docs/security.md, "Sign-in".
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import check_credentials, normalize_email, verify_password
from models import User, UserSession

SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
SIGN_IN_THROTTLED = "auth.sign_in_throttled"
SIGN_OUT = "auth.sign_out"
# How often a session's `last_seen_at` is written at most: not on every request.
SEEN_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class Client:
    """Where an attempt came from, as recorded (trimmed to the columns' sizes)."""

    address: str | None
    user_agent: str | None

    def fields(self) -> dict[str, str | None]:
        return {
            "address": (self.address or None) and self.address[:64],
            "user_agent": (self.user_agent or None) and self.user_agent[:200],
        }


def email_digest(email: str) -> str:
    """ "sha256:<hex>" of the normalized e-mail: names an attempt without storing what was
    typed."""
    return "sha256:" + hashlib.sha256(normalize_email(email).encode()).hexdigest()


def sign_in(
    session: Session, email: str, password: str, client: Client, *, replaces: str | None = None
) -> UserSession | None:
    """Check the credentials (one scrypt check, whatever the e-mail), audit the outcome,
    and open a server-side session on success (flushes; the caller commits either way).
    `replaces`: the session the browser held before (signed in as anyone); a success
    revokes it, so a copy of the old cookie does not outlive the new sign-in."""
    user, failure = check_credentials(session, email, password)
    if failure:
        _record_refusal(session, SIGN_IN_FAILED, user, email, client, reason=failure)
        return None
    if replaces:
        session.execute(
            update(UserSession)
            .where(UserSession.id == replaces, UserSession.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    opened = UserSession(id=secrets.token_urlsafe(32), user=user, **client.fields())
    session.add(opened)
    session.flush()
    audit.record(session, user, SIGN_IN, "user", user.id, payload=client.fields())
    return opened


def record_throttled(session: Session, email: str, client: Client, limit: str) -> None:
    """Audit an attempt refused by a sign-in limit before any password was checked."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    _record_refusal(session, SIGN_IN_THROTTLED, user, email, client, reason=limit)


def _record_refusal(session, action, user, email, client: Client, *, reason: str) -> None:
    payload = {"email_sha256": email_digest(email), "reason": reason, **client.fields()}
    obj_id = user.id if user is not None else "unknown"
    audit.record(session, None, action, "user", obj_id, payload=payload)


def live_session(session: Session, session_id: str, user_id: int) -> UserSession | None:
    """The session `session_id` when it belongs to `user_id` and is not revoked."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    return row


def seen_long_ago(row: UserSession) -> bool:
    """True when `last_seen_at` is older than SEEN_EVERY (time to `touch` it)."""
    last = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=UTC)
    return datetime.now(UTC) - last >= SEEN_EVERY


def touch(session: Session, session_id: str) -> None:
    """Record that the session was used now (flushes)."""
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id)
        .values(last_seen_at=datetime.now(UTC))
    )


def check_current_password(session: Session, user: User, password: str, client: Client) -> bool:
    """Whether `password` is `user`'s (to change it); a wrong one is audited as a failed
    sign-in, since it is a guess like one."""
    if verify_password(user.password_hash, password):
        return True
    _record_refusal(session, SIGN_IN_FAILED, user, user.email, client, reason="wrong_current")
    return False


def sign_out(session: Session, user: User, session_id: str | None) -> None:
    """Revoke the session the cookie names (a copy of the cookie stops working); audited."""
    row = live_session(session, session_id, user.id) if session_id else None
    if row is not None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
    audit.record(session, user, SIGN_OUT, "user", user.id, payload={"revoked": row is not None})
