"""Governance refusals: one family, raised by every workflow, each with located problems.

app/errors.py maps each kind to one HTTP status (API and pages); the CLI exits 2.
"""

from __future__ import annotations

from rules.problems import Problem


class GovernanceError(Exception):
    """Base of every refusal; `problems` lists located details when there are any."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class NotFound(GovernanceError):
    """No such object, or none the actor may see."""


class NotAllowed(GovernanceError):
    """The actor lacks the permission, or separation of duties forbids it."""


class InvalidTransition(GovernanceError):
    """The object is not in a state this transition starts from."""


class Conflict(GovernanceError):
    """The request clashes with the object's current state (e.g. a draft is already open)."""


class StaleEdit(GovernanceError):
    """The object changed since the caller read it (the expected revision is out of date)."""


class Invalid(GovernanceError):
    """Bad input; `problems` names every field at fault."""


class DocumentRejected(Invalid):
    """The document does not validate, or lint found errors; `problems` says where."""


class RunRejected(GovernanceError):
    """The period cannot be run: not a period, invalid data, or the engine's problems."""


def kind_named(name: str) -> type[GovernanceError] | None:
    """The refusal class called `name` (a failed job records the kind of its refusal, to
    raise it again where a caller waits for the job), or None."""
    pending: list[type[GovernanceError]] = [GovernanceError]
    while pending:
        kind = pending.pop()
        if kind.__name__ == name:
            return kind
        pending.extend(kind.__subclasses__())
    return None
