"""Every error answered in one place: the API's JSON envelope, the pages' error page.

The envelope is `{"code", "status", "message", "errors"}`; `errors` always lists located
problems `{"path", "message", ...}`, from marshmallow, `rules/` or a governance refusal.
A refusal (governance.errors) answers with its kind's status; a page that declared with
`@on_refusal(render)` the page its form belongs to gets that page again, refusal flashed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import marshmallow as ma
from flask import Flask, current_app, flash, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

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
from models.engine import is_contention
from rules.problems import Problem

log = logging.getLogger(__name__)

# Most specific first: a subclass must come before the class it extends.
STATUS: tuple[tuple[type[GovernanceError], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 403),
    (InvalidTransition, 409),
    (Conflict, 409),
    (Invalid, 422),
    (RunRejected, 422),
)

CONTENTION = "A concurrent change got in the way; nothing was written. Try again."


class ProblemSchema(ma.Schema):
    path = ma.fields.String(metadata={"description": "where: JSON path, CSV row, field"})
    message = ma.fields.String()
    rule = ma.fields.String(metadata={"description": "plan rule id, when there is one"})
    position = ma.fields.Integer(metadata={"description": "1-based column in an expression"})
    severity = ma.fields.String()


class ErrorSchema(ma.Schema):
    code = ma.fields.Integer(metadata={"description": "HTTP status code"})
    status = ma.fields.String(metadata={"description": "HTTP status name"})
    message = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(ProblemSchema))


def flatten_messages(messages: object, prefix: str = "") -> list[dict]:
    """marshmallow's nested `{"json": {"deals": {"0": {"amount": [...]}}}}` to a flat list."""
    out: list[dict] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, path))
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        out.extend({"path": prefix or "$", "message": m} for m in messages)
    elif isinstance(messages, list | tuple):
        for i, value in enumerate(messages):
            out.extend(flatten_messages(value, f"{prefix}[{i}]"))
    else:
        out.append({"path": prefix or "$", "message": str(messages)})
    return out


def problems_payload(problems: Iterable[Problem]) -> list[dict]:
    return [p.as_dict() for p in problems]


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def status_of(refusal: GovernanceError) -> int:
    """The HTTP status of a refusal's kind. A stale edit is 409, or 412 when the request
    named its base revision as If-Match (app/api/plans, app/api/disputes)."""
    if isinstance(refusal, StaleEdit):
        return 412 if request.headers.get("If-Match") else 409
    return next((code for kind, code in STATUS if isinstance(refusal, kind)), 409)


def envelope(code: int, message: str, errors: Iterable[dict]):
    response = jsonify(
        {
            "code": code,
            "status": HTTP_STATUS_CODES.get(code, "Unknown Error"),
            "message": message,
            "errors": list(errors),
        }
    )
    response.status_code = code
    return response


def error_response(error: HTTPException):
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = flatten_messages(data["messages"])
    elif isinstance(errors, Mapping):
        errors = flatten_messages(errors)
    response = envelope(code, data.get("message") or error.description or error.name, errors or [])
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    for name, value in _werkzeug_headers(error):
        response.headers[name] = value
    return response


def _werkzeug_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The error's own headers (`Allow` on a 405, `WWW-Authenticate`...), not its type."""
    return [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]


@dataclass(frozen=True)
class RefusalPage:
    render: Callable[..., object]
    plain: Callable[[GovernanceError], bool] | None = None


def on_refusal(render: Callable[..., object], *, plain=None):
    """A page view's refusals re-render its form's page: `render(status=..., **view_args)`,
    after the refusal's message and each problem are flashed. Refusals for which
    `plain(refusal)` is true get the plain error page instead (as every refusal does on a
    page without this decorator)."""

    def record(view):
        view.refusal_page = RefusalPage(render, plain)
        return view

    return record


def _error_page(error: HTTPException):
    return render_template("error.html", error=error), error.code, _werkzeug_headers(error)


def _refused_page(code: int, message: str):
    error = HTTPException(description=message)
    error.code = code
    return _error_page(error)


def _page_refusal(refusal: GovernanceError):
    status = status_of(refusal)
    view = current_app.view_functions.get(request.endpoint)
    page: RefusalPage | None = getattr(view, "refusal_page", None)
    if page is None or (page.plain is not None and page.plain(refusal)):
        return _refused_page(status, refusal.message)
    flash(refusal.message, "error")
    for problem in refusal.problems:
        flash(f"{problem.path}: {problem.message}", "error")
    try:
        return page.render(status=status, **(request.view_args or {}))
    except GovernanceError as gone:  # the page itself cannot be shown (say, not found)
        return _refused_page(status_of(gone), gone.message)
    except HTTPException as error:
        return _error_page(error)


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if wants_json():
            return error_response(error)
        return _error_page(error)

    @app.errorhandler(GovernanceError)
    def handle_refusal(refusal: GovernanceError):
        if wants_json():
            return envelope(status_of(refusal), refusal.message, problems_payload(refusal.problems))
        return _page_refusal(refusal)

    @app.errorhandler(DBAPIError)
    def handle_database(error: DBAPIError):
        # Writers queue for their locks, so this is rare (a wait past the busy timeout, a
        # PostgreSQL deadlock or serialization failure): the transaction was rolled back
        # whole, so the client may simply send the request again.
        if is_contention(error):
            return handle_refusal(Conflict(CONTENTION))
        return handle_unexpected(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # A bug, not bad input: log it with its traceback, answer without internals.
        log.exception("unhandled error on %s %s", request.method, request.path)
        wrapped = InternalServerError()
        if wants_json():
            return error_response(wrapped)
        return _error_page(wrapped)
