"""Governance refusals (every workflow raises these), and the permission check.

Each maps to one HTTP status in the API (app/api/plans) and exit code 2 at the CLI; they
carry located `problems` so a client can show every one at once.
"""

from __future__ import annotations

from typing import Any

from governance.permissions import has_permission
from rules.problems import Problem


class PolicyError(Exception):
    """Base of the store's refusals; `problems` lists located details when there are any."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class NotFound(PolicyError):
    """No such plan or version."""


class NotAllowed(PolicyError):
    """The actor lacks the permission, or separation of duties forbids it."""


class InvalidTransition(PolicyError):
    """The version is not in a state this transition starts from."""


class Conflict(PolicyError):
    """The request clashes with the plan's current state (e.g. a draft is already open)."""


class StaleEdit(PolicyError):
    """The plan changed since the caller read it (expected revision is out of date)."""


class Invalid(PolicyError):
    """Bad input; `problems` names every field at fault."""


class DocumentRejected(Invalid):
    """The document does not validate, or lint found errors; `problems` says where."""


def require(actor: Any | None, permission: str, doing: str) -> None:
    """Refuse a user without `permission`; `actor=None` is the trusted system."""
    if actor is not None and not has_permission(actor, permission):
        raise NotAllowed(f"{doing} needs the permission {permission!r}.")
