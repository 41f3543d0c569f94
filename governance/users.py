"""Administering users: invite or create, deactivate and reactivate, roles and committee
functions, one-time password-reset links. Every change is audited with its actor.

    invite(session, actor, email=..., name=..., roles=[...])  # (user, reset): mail sent
    deactivate(session, actor, user) / reactivate(session, actor, user)
    change_roles(session, actor, user, roles=[...], functions=[...])
    issue_reset(session, actor, user, key=...)                # a PasswordReset, mailed
    use_reset(session, token, new_password, key=...)          # the user, password set

`actor` is a user with `users.manage`, or None (the system: the CLI). Two guards: no one
deactivates themselves, and the last active admin is neither deactivated nor loses the
admin role (Conflict, 409). A deactivated user's sessions and tokens are revoked and its
session epoch bumped; the loaders also check `is_active`, so the next request is refused.

A reset link's token is `<id>.<HMAC-SHA256(key, "password-reset:<id>:<nonce>")>`, `key`
being the app's secret key: the mail worker derives it from the row when it sends the
mail, so the token is stored nowhere, in the audit log or the outbox; the row keeps its
SHA-256 to check it. Used once, it expires after RESET_VALID (docs/users.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from governance import accounts, audit
from governance.errors import Conflict, Invalid, NotFound
from governance.permissions import Actor, require
from models.identity import PasswordReset, User, UserRole
from models.people import Participant

MANAGE = "users.manage"
RESET_VALID = timedelta(hours=24)
DEACTIVATED = "user.deactivated"
REACTIVATED = "user.reactivated"
RESET_ISSUED = "user.password_reset_issued"  # announces a "password_reset" notification
RESET_USED = "user.password_reset_used"
INVALID_LINK = "This password-reset link is not valid: it was used, has expired or is unknown."


def _invalid(exc: accounts.AccountError) -> Invalid:
    return Invalid(str(exc))


def find(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def search(query: str | None = None, *, active: bool | None = None):
    """The users whose name or e-mail contains `query`, by e-mail (a select to page)."""
    stmt = select(User).order_by(User.email)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    return stmt


def create(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    roles: list[str],
    functions: list[str] = (),
    participant_id: str | None = None,
    password: str | None = None,
) -> User:
    """A new active user; without `password`, one nobody knows (send a reset link)."""
    require(actor, MANAGE, "Creating a user")
    if not roles:
        raise Invalid("a user needs at least one role")
    if email.count("@") != 1 or not email.split("@")[0].strip() or "." not in email.split("@")[1]:
        raise Invalid(f"not an e-mail address: {email!r}")
    if not name.strip():
        raise Invalid("a user needs a name")
    if participant_id is not None:
        _check_participant(session, participant_id)
    try:
        return accounts.create_user(
            session,
            email=email,
            name=name,
            password=password or secrets.token_urlsafe(32),
            roles=list(roles),
            functions=list(functions),
            participant_id=participant_id,
            actor=actor,
        )
    except accounts.AccountError as exc:
        raise _invalid(exc) from None


def _check_participant(session: Session, participant_id: str) -> None:
    if session.get(Participant, participant_id) is None:
        raise Invalid(f"no participant {participant_id}")
    taken = session.scalar(select(User.email).where(User.participant_id == participant_id))
    if taken is not None:
        raise Invalid(f"participant {participant_id} is already the user {taken}")


def invite(session: Session, actor: Actor, *, key: str, **fields) -> tuple[User, PasswordReset]:
    """Create the user without a password and mail them a link to choose one."""
    user = create(session, actor, **fields)
    return user, issue_reset(session, actor, user, key=key)


def _other_active_admins(session: Session, user: User) -> int:
    stmt = (
        select(func.count(func.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "admin", User.is_active.is_(True), User.id != user.id)
    )
    return session.scalar(stmt) or 0


def _guard_last_admin(session: Session, user: User, doing: str) -> None:
    if user.is_active and "admin" in user.role_names and not _other_active_admins(session, user):
        raise Conflict(f"{user.email} is the last active admin: {doing} is refused.")


def deactivate(session: Session, actor: Actor, user: User) -> dict[str, int]:
    """Stop the user at once: no sign-in, every session and token revoked, pending reset
    links voided. Audited with the counts revoked; no change if already inactive."""
    require(actor, MANAGE, "Deactivating a user")
    if actor is not None and actor.id == user.id:
        raise Conflict("No one deactivates themselves: ask another admin.")
    if not user.is_active:
        return {"sessions_revoked": 0, "tokens_revoked": 0}
    _guard_last_admin(session, user, "deactivating them")
    user.is_active = False
    user.session_epoch += 1  # a cookie issued before now names an old epoch
    revoked = accounts.revoke_credentials(session, user)
    _void_resets(session, user)
    session.flush()
    audit.record(session, actor, DEACTIVATED, "user", user.id, payload=revoked)
    return revoked


def reactivate(session: Session, actor: Actor, user: User) -> bool:
    """Let the user sign in again (old sessions and tokens stay revoked). False: was active."""
    require(actor, MANAGE, "Reactivating a user")
    if user.is_active:
        return False
    user.is_active = True
    session.flush()
    audit.record(session, actor, REACTIVATED, "user", user.id)
    return True


def change_roles(
    session: Session, actor: Actor, user: User, *, roles: list[str], functions: list[str] = ()
) -> bool:
    """Replace roles and committee functions (audited as `user.roles`); the last active
    admin keeps the admin role. False when nothing changed."""
    require(actor, MANAGE, "Changing a user's roles")
    if "admin" not in roles:
        _guard_last_admin(session, user, "removing the admin role")
    try:
        return accounts.set_roles(
            session, user, roles=list(roles), functions=list(functions), actor=actor
        )
    except accounts.AccountError as exc:
        raise _invalid(exc) from None


# ------------------------------------------------------------------- reset links


def reset_token(key: str, reset: PasswordReset) -> str:
    """The link's token, derived from the row and the app's secret key."""
    message = f"password-reset:{reset.id}:{reset.nonce}".encode()
    mac = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return f"{reset.id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _void_resets(session: Session, user: User) -> None:
    stmt = select(PasswordReset).where(
        PasswordReset.user_id == user.id,
        PasswordReset.used_at.is_(None),
        PasswordReset.revoked_at.is_(None),
    )
    for reset in session.scalars(stmt):
        reset.revoked_at = datetime.now(UTC)
    session.flush()


def issue_reset(
    session: Session, actor: Actor, user: User, *, key: str, valid: timedelta = RESET_VALID
) -> PasswordReset:
    """A new one-time link for an active user (earlier unused ones are voided), mailed
    to them alone by the notifications outbox. The audit record names the row, never
    the token."""
    require(actor, MANAGE, "Sending a password-reset link")
    if not user.is_active:
        raise Conflict(f"{user.email} is deactivated: reactivate them first.")
    _void_resets(session, user)
    now = datetime.now(UTC)
    reset = PasswordReset(
        user_id=user.id,
        nonce=secrets.token_hex(16),
        token_hash="pending-" + secrets.token_hex(16),
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        expires_at=now + valid,
    )
    session.add(reset)
    session.flush()  # the id is part of the token
    reset.token_hash = _digest(reset_token(key, reset))
    session.flush()
    payload = {"reset_id": reset.id, "expires_at": reset.expires_at.isoformat()}
    audit.record(session, actor, RESET_ISSUED, "user", user.id, payload=payload)
    return reset


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def live_reset(session: Session, token: str) -> PasswordReset | None:
    """The unused, unexpired link `token` names, for an active user; else None."""
    number, _, _mac = token.partition(".")
    if not number.isdigit():
        return None
    reset = session.get(PasswordReset, int(number))
    if reset is None or not hmac.compare_digest(reset.token_hash, _digest(token)):
        return None
    if reset.used_at is not None or reset.revoked_at is not None:
        return None
    if _aware(reset.expires_at) <= datetime.now(UTC):
        return None
    user = session.get(User, reset.user_id)
    return reset if user is not None and user.is_active else None


def use_reset(session: Session, token: str, new_password: str) -> User:
    """Set the password the link's user chose; the link is spent, and every session and
    token of the user revoked (`accounts.change_password`). Invalid for a bad link."""
    reset = live_reset(session, token)
    if reset is None:
        raise NotFound(INVALID_LINK)
    user = session.get(User, reset.user_id)
    try:
        revoked = accounts.change_password(session, user, new_password)
    except accounts.AccountError as exc:
        raise _invalid(exc) from None
    reset.used_at = datetime.now(UTC)
    _void_resets(session, user)
    session.flush()
    audit.record(
        session, user, RESET_USED, "user", user.id, payload={"reset_id": reset.id, **revoked}
    )
    return user


def reset_mail(session: Session, reset_id: int, *, key: str, base_url: str) -> tuple[str, str]:
    """The reset e-mail's subject and text, with the link derived now (not stored)."""
    reset = session.get(PasswordReset, reset_id)
    if reset is None:
        raise NotFound(f"No password-reset link {reset_id}.")
    link = f"{base_url.rstrip('/')}/password-reset/{reset_token(key, reset)}"
    hours = round((_aware(reset.expires_at) - _aware(reset.created_at)).total_seconds() / 3600)
    lines = [
        "Someone (an Accord administrator) asked for a link to set your Accord password.",
        "",
        f"Set your password: {link}",
        "",
        f"The link works once, for {hours} hours from when it was sent. Setting a password",
        "signs you out everywhere and revokes your API tokens.",
        "If you did not expect this, ignore it and tell your administrator.",
    ]
    return "[Accord] Set your password", "\n".join(lines) + "\n"
