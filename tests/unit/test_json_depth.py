"""`app.limits.json_depth_exceeded`: brackets inside strings do not count (issue 12)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from app.limits import json_depth_exceeded


def test_brackets_in_strings_and_escaped_quotes_do_not_count():
    body = json.dumps({"a": "[[[[{{{{" * 20, "b": 'say \\"[[[[\\"', "c": [[1]]}).encode()
    assert json_depth_exceeded(body, limit=3) is None
    assert json_depth_exceeded(body, limit=2) == body.index(b"[[1]]") + 1


def test_the_offset_is_where_the_level_past_the_limit_opens():
    assert json_depth_exceeded(b'{"x": [[[]]]}', limit=3) == 8
    assert json_depth_exceeded(b"[]" * 1000, limit=1) is None


nested = st.recursive(
    st.text(alphabet='[]{}"\\ab', max_size=6) | st.integers(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(nested, st.integers(0, 6))
def test_agrees_with_the_parsed_depth(value, limit):
    found = json_depth_exceeded(json.dumps(value).encode(), limit=limit)
    assert (found is None) == (_depth(value) <= limit)
