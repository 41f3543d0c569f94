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
- `refuse_nul`: a NUL character in a path segment, query parameter, form field or JSON
  string is refused (422, located) before any view runs: PostgreSQL text cannot hold one
  (the driver raises DataError, a 500) and no name, key or note needs one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Flask, request
from flask_smorest import abort
from werkzeug.routing import IntegerConverter

from governance.errors import Invalid
from rules.problems import Problem

ID_MAX = 2**31 - 1  # every id column is INTEGER: 32 bits on PostgreSQL
MAX_JSON_DEPTH = 64  # no document of section 3 or the API nests deeper than about 8
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_NUL_ESCAPE = re.compile(rb"\\u0000", re.IGNORECASE)
NUL = "\x00"


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
    Strings are emptied first, so brackets inside them do not count; only a body that is
    too deep is scanned again with its strings blanked to their length, for the offset
    (a per-string callback costs a large import body about 0.3 s)."""
    if _deepest(_STRING.sub(b'""', body), limit) is None:
        return None
    return _deepest(_STRING.sub(lambda m: b" " * len(m.group()), body), limit)


def _deepest(blanked: bytes, limit: int) -> int | None:
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


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    """JSON paths of the strings (keys included) in `value` that contain a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield f"{path} (a key)"
            yield from _nul_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}[{index}]")


def refuse_nul() -> None:
    where = [f"path.{k}" for k, v in (request.view_args or {}).items() if NUL in str(v)]
    for source, values in (("query", request.args), ("form", request.form)):
        # A multipart part without a name has the key None.
        where += [f"{source}.{k}" for k, v in values.items(multi=True) if NUL in f"{k}{v}"]
    if request.is_json and _NUL_ESCAPE.search(request.get_data(cache=True)):
        where += _nul_paths(request.get_json(silent=True), "$")
    if where:
        raise Invalid(
            "A value contains a NUL character; nothing was changed.",
            [Problem(at, "contains a NUL character") for at in where],
        )


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converters when added."""
    app.url_map.converters["int"] = DatabaseInt
    app.before_request(refuse_deep_json)
    app.before_request(refuse_nul)
