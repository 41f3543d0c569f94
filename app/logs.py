"""Logging: plain text for a terminal, one JSON object per line in production.

    ACCORD_LOG_FORMAT=json|text   (default: json when ACCORD_ENV=production, else text)

A JSON line carries `time` (UTC, ISO 8601), `level`, `logger`, `message`, and inside a
request `request_id`, `method`, `path`; access lines (logger `accord.access`, one per
request, JSON mode only: gunicorn's own access log stays the text one) add `status` and
`duration_ms`. The request id is the client's `X-Request-ID` when it is a short token,
else a new one, and is sent back in the response's `X-Request-ID`.
Formatter: python-json-logger (docs/decisions.md, "Operations").
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

access = logging.getLogger("accord.access")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MARK = "accord_handler"


# Paths that carry a secret (a password-reset link's token): logged with it cut out.
SECRET_PATH = re.compile(r"(/password-reset/)[^/?\s\"]+")


def loggable(path: str) -> str:
    """`path` as logs may show it: a reset link's token replaced by `<token>`."""
    return SECRET_PATH.sub(r"\1<token>", path)


class RequestContext(logging.Filter):
    """Adds the request's id, method and path to records logged while it is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
            record.method = request.method
            record.path = loggable(request.path)
        return True


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    return logging.Formatter(TEXT)


def configure(level: str, fmt: str) -> None:
    """One handler on the root logger (stderr), replacing the one set up before."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _MARK, True)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestContext())
    root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.logger.setLevel(app.config["LOG_LEVEL"])
    json_lines = app.config["LOG_FORMAT"] == "json"

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.log_started = time.perf_counter()

    @app.after_request
    def _access(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
            if json_lines:
                took = (time.perf_counter() - g.pop("log_started", time.perf_counter())) * 1000
                access.info(
                    "%s %s %s",
                    request.method,
                    loggable(request.path),
                    response.status_code,
                    extra={"status": response.status_code, "duration_ms": round(took, 1)},
                )
        return response


def _gunicorn_logger():
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        """gunicorn's logger, with secrets cut out of access lines (`loggable`)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for name, value in atoms.items():
                if isinstance(value, str) and "/password-reset/" in value:
                    atoms[name] = loggable(value)
            return atoms

    return GunicornLogger


def __getattr__(name: str):
    # gunicorn is a production dependency only where `accord serve` runs: import it lazily.
    if name == "GunicornLogger":
        return _gunicorn_logger()
    raise AttributeError(name)
