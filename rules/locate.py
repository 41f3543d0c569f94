"""Where a located problem is in the plan text: the 1-based line of a JSON path.

    line_of(text, "$.rates[2].when")   -> 14
    line_of(text, "line 9, column 3")  -> 9   (a reading problem names its line already)

Problems name JSON paths (`rules.problems`); an editor shows them at lines. The text is
composed (YAML nodes with their marks, nothing constructed), and the path walked key by
key and index by index: the deepest part found gives the line, so an unknown key still
points at the rule it was written in. None when nothing of the path is in the text
(`tests[0]` of a test read from a file, `effective_from` of a submission form).
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

_LINE = re.compile(r"^line (\d+)\b")
_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def path_parts(path: str) -> list[str | int] | None:
    """`$.rates[2].when` -> ["rates", 2, "when"]; None when it is no JSON path."""
    body = path[1:] if path.startswith("$") else path
    parts: list[str | int] = []
    at = 0
    while at < len(body):
        match = _PART.match(body, at)
        if match is None:
            return None
        parts.append(int(match[2]) if match[2] is not None else match[1])
        at = match.end()
    return parts


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _child(node: Node, part: str | int) -> tuple[Node, Node] | None:
    """(the node naming `part`, its value): a mapping's key node, or a list item twice."""
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if getattr(key, "value", None) == part:
                return key, value
    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def line_of(text: str, path: str, *, root: Node | None = None) -> int | None:
    """The line `path` points at in `text` (or in its composed `root`, to walk once)."""
    if match := _LINE.match(path):
        return int(match[1])
    parts = path_parts(path)
    node = root or _compose(text)
    if not parts or node is None:
        return None
    line = None
    for part in parts:
        found = _child(node, part)
        if found is None:
            break
        named, node = found
        line = named.start_mark.line + 1
    return line


def lines_of(text: str, paths: list[str]) -> list[int | None]:
    """`line_of` for many paths, composing the text once."""
    root = _compose(text)
    return [line_of(text, path, root=root) for path in paths]
