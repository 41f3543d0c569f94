"""One error envelope for the API: `{"code", "status", "message", "errors"}`.

`errors` is always a list of located problems `{"path", "message", ...}`, whether they
come from marshmallow (request bodies and query strings), from `rules/` (plan and data
validation) or from the governance services. Pages get an HTML error page instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import marshmallow as ma
from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from rules.problems import Problem

log = logging.getLogger(__name__)


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


def error_response(error: HTTPException):
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = flatten_messages(data["messages"])
    elif isinstance(errors, Mapping):
        errors = flatten_messages(errors)
    payload = {
        "code": code,
        "status": error.name,
        "message": data.get("message") or error.description or error.name,
        "errors": list(errors or []),
    }
    response = jsonify(payload)
    response.status_code = code
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if getattr(error, "response", None) is not None and error.response is not None:
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if wants_json():
            return error_response(error)
        return render_template("error.html", error=error), error.code

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # A bug, not bad input: log it with its traceback, answer without internals.
        log.exception("unhandled error on %s %s", request.method, request.path)
        wrapped = InternalServerError()
        if wants_json():
            return error_response(wrapped)
        return render_template("error.html", error=wrapped), 500
