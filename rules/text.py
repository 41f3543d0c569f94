"""Text as characters: UTF-16 surrogate pairs joined, lone surrogates refused.

JSON and YAML escapes name UTF-16 code units. YAML decodes `"\\ud83d\\ude42"` into two
surrogates where JSON gives the one character 🙂, and a lone `\\ud83d` is no character at
all (it cannot be written as UTF-8). Plans, data and condition literals pass through
`characters` once, so the same text compares equal in every engine and every format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = (
    "contains a lone UTF-16 surrogate (an escape such as \\ud83d without its pair), "
    "which is not a character"
)


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def characters(text: str) -> str | None:
    """`text` with surrogate pairs joined into characters; None if a lone one remains."""
    if text.isascii() or not has_surrogates(text):
        return text
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def lone_surrogates(value: Any, path: str = "$") -> list[str]:
    """JSON paths of the texts (values or keys) in a document that are not characters."""
    if isinstance(value, str):
        return [path] if characters(value) is None else []
    if isinstance(value, Mapping):
        out = []
        for key, item in value.items():
            name = key if not isinstance(key, str) or characters(key) else ascii(key)
            if name is not key:
                out.append(f"{path}[{name}]")
            out += lone_surrogates(item, f"{path}.{name}")
        return out
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in lone_surrogates(v, f"{path}[{i}]")]
    return []
