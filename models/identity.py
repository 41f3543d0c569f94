"""Users, their roles (with a committee function for committee members), API tokens and
the server-side record of each browser session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamps, sql_list, utcnow

ROLES = ("admin", "comp_admin", "committee", "deal_desk", "manager", "rep", "auditor")
FUNCTIONS = ("sales", "finance", "hr", "marketing", "customer_success", "revops")


class User(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on every password change; sessions carry it, so old sessions stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), unique=True
    )

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # flask-login's user protocol, written out so that models/ does not import Flask.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        # The epoch makes every session issued before a password change invalid.
        return f"{self.id}:{self.session_epoch}"

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    @property
    def committee_functions(self) -> frozenset[str]:
        return frozenset(r.function for r in self.roles if r.role == "committee" and r.function)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(Base):
    """One role a user holds; committee members hold one row per function."""

    __tablename__ = "user_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "function"),
        CheckConstraint(f"role IN ({sql_list(ROLES)})", name="role_known"),
        CheckConstraint(
            f"(role = 'committee' AND function IN ({sql_list(FUNCTIONS)}))"
            " OR (role <> 'committee' AND function IS NULL)",
            name="function_only_for_committee",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    function: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the secret is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(Base):
    """One signed-in browser session; its random id is what the signed cookie carries.

    Signing out revokes this row, a password change revokes every row of the user: a copy
    of the cookie taken earlier then names a revoked session and is refused.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(back_populates="sessions")


class PasswordReset(Base):
    """A one-time password-reset link. Its secret is never stored: the link's token is
    HMAC(key, id + nonce) with the app's secret key (so the mail worker can render it
    from this row), and only the token's SHA-256 is kept to check it (migration 0028)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
