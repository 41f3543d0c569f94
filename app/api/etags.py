"""`If-Match` for the API's optimistic concurrency (plans, disputes): an ETag is a
revision number; an edit that names a stale one answers 412 (see app/errors.status_of)."""

from __future__ import annotations

from flask import request
from flask_smorest import abort


def if_match(names: str) -> int | None:
    """The number `If-Match` names, or None without the header; 412 unless it is one
    number (`names` says what it should name, for the message)."""
    if not request.headers.get("If-Match"):
        return None
    tags = list(request.if_match.as_set())
    if len(tags) != 1 or not tags[0].isdigit():
        abort(
            412,
            message=f"If-Match must name {names}.",
            errors=[{"path": "If-Match", "message": 'expected one ETag such as "3"'}],
        )
    return int(tags[0])
