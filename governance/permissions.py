"""Who acts (`Actor`), the named permissions, and which roles grant them.

Callers ask `has_permission(user, "data.import")`, never "is this user an admin?": a
role's reach is decided here, in one table. Object-level checks (a rep and their own
statements) live next to the objects, as `can_*` functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeAlias

from governance.errors import NotAllowed
from models.identity import User

# A signed-in user, or None for the system (an operator at the CLI, a scheduled job, demo
# seeding): trusted, skips permission checks, audited as the system.
Actor: TypeAlias = User | None

READ_OWN_STATEMENTS = "statements.read_own"

PERMISSIONS: dict[str, str] = {
    "data.import": "import participants, deals, events, quotas and FX rates",
    "data.read": "read participants, deals and quotas of the whole organisation",
    "users.manage": "create users, grant roles, reset passwords",
    "tokens.manage_own": "create and revoke one's own API tokens",
    "plans.read": "read plan versions, diffs and approvals",
    "plans.edit": "draft plan versions and submit change requests",
    # Recorded once the committee's votes allow it (`plans.gates.approval_gate`).
    "plans.approve": "approve or reject submitted plan versions",
    "plans.activate": "put approved plan versions in force",
    "changes.vote": "approve or reject change requests and exceptions as a committee member",
    "exceptions.file": "file payout exceptions",
    "exceptions.decide": "approve or reject exceptions below the committee threshold",
    "disputes.file": "dispute one's own statement lines",
    "disputes.review": "review and resolve disputes",
    READ_OWN_STATEMENTS: "read one's own statements",
    "statements.read_team": "read the statements of one's team",
    "statements.read_all": "read every statement",
    "payouts.run": "start payout runs",
    "payouts.publish": "publish a locked run's statements to its reps",
    "audit.read": "read and export the audit log",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "comp_admin": frozenset(
        {
            "data.import",
            "data.read",
            "tokens.manage_own",
            "plans.read",
            "plans.edit",
            "plans.activate",
            "exceptions.file",
            "disputes.review",
            "statements.read_all",
            "payouts.run",
            "payouts.publish",
        }
    ),
    "committee": frozenset(
        {
            "tokens.manage_own",
            "plans.read",
            "plans.approve",
            "changes.vote",
            "data.read",
            "statements.read_all",
        }
    ),
    "deal_desk": frozenset(
        {"tokens.manage_own", "plans.read", "exceptions.file", "exceptions.decide", "data.read"}
    ),
    "manager": frozenset({"tokens.manage_own", READ_OWN_STATEMENTS, "statements.read_team"}),
    "rep": frozenset({"tokens.manage_own", READ_OWN_STATEMENTS, "disputes.file"}),
    "auditor": frozenset(
        {"tokens.manage_own", "plans.read", "audit.read", "data.read", "statements.read_all"}
    ),
}


class HasRoles(Protocol):
    @property
    def role_names(self) -> Iterable[str]: ...


def permissions_of(user: HasRoles | None) -> frozenset[str]:
    if user is None:
        return frozenset()
    granted: set[str] = set()
    for role in user.role_names:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has_permission(user: HasRoles | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        # A typo in a permission name must fail loudly, not deny (or grant) silently.
        raise KeyError(f"unknown permission {permission!r}")
    return permission in permissions_of(user)


def require(actor: Actor, permission: str, doing: str) -> None:
    """Refuse a user without `permission`; `actor=None` is the trusted system."""
    if actor is not None and not has_permission(actor, permission):
        raise NotAllowed(f"{doing} needs the permission {permission!r}.")
