"""A governance refusal as an HTTP status: one per kind of refusal, for the API and the pages.

The services raise the refusals of `governance.policy_errors` (with located problems);
an API view catches them and calls `refuse(exc)`, which rolls the request's transaction
back and answers with the JSON error envelope listing every problem; a page asks
`status_of(exc)` for the status it renders the form again with, or calls
`flash_refusal(exc)`, which also flashes the message and every problem.
"""

from __future__ import annotations

from typing import NoReturn

from flask import flash
from flask_smorest import abort

from app.database import db_session
from app.errors import problems_payload
from governance.errors import (
    Conflict,
    GovernanceError,
    Invalid,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RunRejected,
    StaleEdit,
)

# Most specific first: a subclass must come before the class it extends.
STATUS: tuple[tuple[type[GovernanceError], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 403),
    (InvalidTransition, 409),
    (Conflict, 409),
    (Invalid, 422),
    (RunRejected, 422),
)


def status_of(exc: GovernanceError, *, stale_status: int = 409) -> int:
    """409 for a stale edit unless the caller used If-Match (then 412), see app/api/plans."""
    if isinstance(exc, StaleEdit):
        return stale_status
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 409)


def flash_refusal(exc: GovernanceError) -> int:
    """Flash a refusal's message and each problem for a page; the status to render with.

    The caller rolls back first (some pages abort with 403/404 before flashing).
    """
    flash(exc.message, "error")
    for problem in exc.problems:
        flash(f"{problem.path}: {problem.message}", "error")
    return status_of(exc)


def refuse(exc: GovernanceError, *, stale_status: int = 409) -> NoReturn:
    db_session().rollback()
    abort(
        status_of(exc, stale_status=stale_status),
        message=exc.message,
        errors=problems_payload(exc.problems),
    )
