"""Request limits: what a hostile request can reach before any view runs (issue 12).

- `DatabaseInt` replaces Flask's `int` URL converter: an id beyond the id columns' range
  (INTEGER, 2**31-1 on PostgreSQL; `/statements/9223372036854775808`) matches no route
  (404), instead of reaching the driver and failing there (OverflowError or
  NumericValueOutOfRange: a 500).
- `DatabaseInteger` (API schemas) and `bounded_int` (pages' query strings) keep every
  integer a request carries within that range too: 422 with its location in the API;
  on pages, out of range reads as absent, as a malformed number always did.
- `refuse_deep_json`: a JSON body nested deeper than `MAX_JSON_DEPTH` is refused (422,
  the envelope, with where it gets too deep) before any parser recurses into it: Python's
  and webargs' parsers raise RecursionError (a 500) from about 970 levels.
"""

from __future__ import annotations

import re

import marshmallow as ma
from flask import Flask, request
from flask_smorest import abort
from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # every id column is INTEGER: 32 bits on PostgreSQL
MAX_JSON_DEPTH = 64  # no document of section 3 or the API nests deeper than about 8
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class DatabaseInt(IntegerConverter):
    """`<int:...>` within the database's range (0 .. 2**31-1)."""

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class DatabaseInteger(ma.fields.Integer):
    """An integer field whose loaded values fit the INTEGER columns (±2**31-1)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.insert(0, ma.validate.Range(min=-ID_MAX, max=ID_MAX))


def bounded_int(text: str) -> int:
    """`type=` for `request.args.get`: a ValueError (so the default) outside ±2**31-1."""
    value = int(text)
    if abs(value) > ID_MAX:
        raise ValueError(f"{text} is out of range")
    return value


def json_depth_exceeded(body: bytes, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The character offset where `body` (JSON text) opens its `limit`+1-th level, or None.
    Strings are blanked first (same length), so brackets inside them do not count."""
    blanked = _STRING.sub(lambda m: b" " * len(m.group()), body)
    depth = 0
    for match in _BRACKET.finditer(blanked):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return match.start()
        else:
            depth -= 1
    return None


def refuse_deep_json() -> None:
    if not request.is_json:
        return
    at = json_depth_exceeded(request.get_data(cache=True))
    if at is not None:
        abort(
            422,
            message="The JSON body is nested too deeply; nothing was changed.",
            errors=[
                {
                    "path": "$",
                    "message": f"nested deeper than {MAX_JSON_DEPTH} levels "
                    f"(level {MAX_JSON_DEPTH + 1} opens at character {at})",
                    "severity": "error",
                }
            ],
        )


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converters when added."""
    app.url_map.converters["int"] = DatabaseInt
    app.before_request(refuse_deep_json)
