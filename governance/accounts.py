"""Accounts: create users, check and change passwords, issue and revoke API tokens.

Functions take a Session and flush; the caller commits. Roles decide who may approve,
vote and see pay, so granting or revoking one is audited (`auditing.data_changes`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from governance import audit
from governance.auditing import data_changes
from models import ApiToken, User, UserRole, UserSession
from models.identity import FUNCTIONS, ROLES

TOKEN_PREFIX = "acc_"
PASSWORD_CHANGED = "auth.password_changed"


class AccountError(ValueError):
    pass


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    roles: list[str] | tuple[str, ...] = (),
    functions: list[str] | tuple[str, ...] = (),
    participant_id: str | None = None,
    actor: User | None = None,
) -> User:
    problems = password_problems(password) + _role_problems(roles, functions)
    if session.scalar(select(User.id).where(User.email == normalize_email(email))):
        problems.append(f"a user with e-mail {email} exists")
    if problems:
        raise AccountError("; ".join(problems))
    user = User(
        email=normalize_email(email),
        name=name,
        password_hash=hash_password(password),
        participant_id=participant_id,
    )
    _grant(user, roles, functions)
    session.add(user)
    session.flush()
    data_changes.record_roles(session, actor, user, before=[])
    return user


def set_roles(
    session: Session,
    user: User,
    *,
    roles: list[str] | tuple[str, ...],
    functions: list[str] | tuple[str, ...] = (),
    actor: User | None = None,
) -> bool:
    """Replace a user's roles and committee functions; audited. False if nothing changed."""
    problems = _role_problems(roles, functions)
    if not roles:
        problems.append("a user needs at least one role")
    if problems:
        raise AccountError("; ".join(problems))
    before = data_changes.role_grants(user)
    wanted = {(r, f) for r in roles for f in (functions if r == "committee" else (None,))}
    if {(g[0], g[1]) for g in before} == wanted:
        return False
    user.roles.clear()
    session.flush()  # the unique (user, role, function) must see the old rows go first
    _grant(user, roles, functions)
    session.flush()
    data_changes.record_roles(session, actor, user, before)
    return True


def _role_problems(roles, functions) -> list[str]:
    problems = []
    unknown = [r for r in roles if r not in ROLES] + [f for f in functions if f not in FUNCTIONS]
    if unknown:
        problems.append(f"unknown role or function: {', '.join(unknown)}")
    if functions and "committee" not in roles:
        problems.append("committee functions need the committee role")
    if "committee" in roles and not functions:
        problems.append("a committee member needs at least one function")
    return problems


def _grant(user: User, roles, functions) -> None:
    for role in dict.fromkeys(roles):
        if role == "committee":
            user.roles.extend(UserRole(role=role, function=f) for f in dict.fromkeys(functions))
        else:
            user.roles.append(UserRole(role=role))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (see `check_credentials`)."""
    user, failure = check_credentials(session, email, password)
    return None if failure else user


def check_credentials(session: Session, email: str, password: str) -> tuple[User | None, str]:
    """(user, "") on success, else (the user named or None, why: `unknown_email`,
    `inactive` or `wrong_password`).

    Exactly one scrypt check runs whatever the case: an unknown e-mail is checked against
    a dummy hash of the same cost, so the answer takes as long as for a real account and
    its time does not tell which e-mails exist (docs/security.md, "Sign-in").
    """
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    matches = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None:
        return None, "unknown_email"
    if not user.is_active:
        return user, "inactive"
    return user, "" if matches else "wrong_password"


def normalize_email(email: str) -> str:
    """How e-mails are compared: trimmed, lower case."""
    return email.strip().lower()


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    # Made once per process with the same method and cost as real hashes.
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def change_password(session: Session, user: User, new_password: str) -> dict[str, int]:
    """Set a new password and end everything the old one opened: every browser session
    (the epoch and the server-side rows) and every API token. Audited; returns the counts
    revoked."""
    problems = password_problems(new_password)
    if problems:
        raise AccountError("; ".join(problems))
    user.password_hash = hash_password(new_password)
    user.session_epoch += 1  # ends every session of this user, server rows or not
    revoked = revoke_credentials(session, user)
    session.flush()
    audit.record(session, user, PASSWORD_CHANGED, "user", user.id, payload=revoked)
    return revoked


def revoke_credentials(session: Session, user: User) -> dict[str, int]:
    """Revoke every live browser session and API token of `user`; the counts revoked."""
    now = datetime.now(UTC)
    sessions = session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ).all()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in (*sessions, *tokens):
        row.revoked_at = now
    session.flush()
    return {"sessions_revoked": len(sessions), "tokens_revoked": len(tokens)}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: Session, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Return the token row and its secret; the secret is not stored and not shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=_digest(secret),
        prefix=secret[:12],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and _aware(token.expires_at) <= now:
        return None
    if not token.user.is_active:
        return None
    token.last_used_at = now
    return token.user


def revoke_token(session: Session, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.flush()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns; they are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def names(session: Session, ids) -> dict[int, str]:
    """User id -> display name, for the ids given (None, the system, is left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.all())


MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"a password has at least {MIN_LENGTH} characters")
    if password.strip() != password:
        problems.append("a password does not start or end with spaces")
    return problems
