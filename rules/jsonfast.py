"""The fast path of `rules.yamlload.load_json` for a plain JSON document, parsed by orjson.

`plain_json(data)` returns `(True, value)` when the document is one that `load_json` reads
without a problem and to the same value, else `(False, None)`: then the caller uses
`load_json`, which reports every problem as before. It never reports anything itself.

orjson parses four times faster than `json.loads` with our hooks, but it keeps the last of
two duplicate keys, reads numbers with a fraction or exponent (and ints beyond 64 bits) as
floats, and knows no depth limit of ours. So a document is accepted only if orjson parses
it and one walk over the result (the walk `too_deep` already made) finds no float, no
nesting beyond `MAX_DEPTH` and no lost key. Lost keys are found by counting colons: every
key of the text is followed by one colon outside strings, so the text's colons are its
keys plus the colons inside its strings; the parsed value holds the same count exactly
when no key was dropped (a dropped key takes its colon and its strings' colons with it).
An escaped colon (`\\u003a`) would be a colon in a parsed string but not in the text:
documents with one take the slow path. Ints read as `load_json` reads them (64-bit ints
have at most 20 digits, within its limit of 40). tests/unit/test_jsonfast.py compares both
on generated documents. docs/decisions.md, "Evaluate speed (issue 14)".
"""

from __future__ import annotations

from typing import Any

import orjson

from rules.yamlload import MAX_DEPTH

_NO: tuple[bool, Any] = (False, None)


def plain_json(data: bytes) -> tuple[bool, Any]:
    """(True, the value) for a plain document, else (False, None): see the module."""
    if b"\\u003a" in data or b"\\u003A" in data:
        return _NO
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _NO
    cls = value.__class__
    if cls is float:
        return _NO
    if cls is not dict and cls is not list:
        return True, value
    keys = 0
    colons = 0
    level = [value]
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            return _NO
        below = []
        for item in level:
            if item.__class__ is dict:
                keys += len(item)
                for key in item:
                    if ":" in key:
                        colons += key.count(":")
                children = item.values()
            else:
                children = item
            for child in children:
                cls = child.__class__
                if cls is str:
                    if ":" in child:
                        colons += child.count(":")
                elif cls is dict or cls is list:
                    below.append(child)
                elif cls is float:
                    return _NO
        level = below
        depth += 1
    if keys + colons != data.count(b":"):
        return _NO
    return True, value
