"""The orjson fast path for data files (rules/jsonfast.py) reads exactly what `load_json`
reads, and leaves to it every document it would not read the same way: duplicate keys,
numbers with a fraction or exponent, ints beyond 64 bits, deep nesting, escaped colons,
invalid text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.data import load_data
from rules.jsonfast import plain_json
from rules.problems import InvalidData
from rules.yamlload import MAX_DEPTH, LoadError, load_json

TEXT = st.sampled_from(["a", "a:b", "::", "", "é", "\u2028", "x\\u003a", "D1", "2026-07-01"])
KEY = st.sampled_from(["id", "a", "b", "a:b", ":", "deal", "é"])
SCALAR = (
    TEXT
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([True, False, None, 0, -1, 2**63 - 1, 2**63, -(2**63)])
    | st.sampled_from(["1.5", "1e3", "-0.0", "1E400", "NaN"]).map(lambda t: _Raw(t))
)


class _Raw(str):
    """A number's text, written into the document as it is."""


def _write(value) -> str:
    """The JSON text of a generated value; a list of pairs is an object (keys may repeat)."""
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, tuple):
        return "{" + ", ".join(f"{json.dumps(k)}: {_write(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_write(v) for v in value) + "]"
    if isinstance(value, str) and value == "x\\u003a":
        return '"x\\u003a"'
    return json.dumps(value, ensure_ascii=False)


DOCUMENTS = st.recursive(
    SCALAR,
    lambda inner: (
        st.lists(inner, max_size=4) | st.lists(st.tuples(KEY, inner), max_size=4).map(tuple)
    ),
    max_leaves=20,
)


def _slow(text: str):
    try:
        return True, load_json(text)
    except LoadError:
        return False, None


@settings(max_examples=1500, deadline=None)
@given(DOCUMENTS)
def test_the_fast_path_reads_what_load_json_reads(document):
    text = _write(document)
    plain, value = plain_json(text.encode())
    ok, slow = _slow(text)
    if plain:  # accepted: load_json accepts it too, to the same value and types
        assert ok and value == slow
        assert json.dumps(value, sort_keys=True) == json.dumps(slow, sort_keys=True, default=str)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": {"b": 1, "b": 1}}',
        '[{"a:b": 1, "a:b": 2}]',
        '{"a": "x\\u003ay", "a": 1}',
        '{"k\\u003a": 1}',
        "[1.5]",
        "[1e2]",
        "[123456789012345678901234567890]",
        "[NaN]",
        '["\\ud800"]',
        "\ufeff{}",
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    ],
)
def test_documents_left_to_load_json(text):
    assert plain_json(text.encode()) == (False, None)


def test_a_plain_document_is_read_by_orjson():
    text = '{"deals": [{"id": "D1", "amount": "10.50", "term_months": 12}], "events": []}'
    assert plain_json(text.encode()) == (True, load_json(text))
    assert plain_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)[0]


@pytest.mark.parametrize(
    "text",
    ['{"deals": [], "deals": []}', '{"participants": [{"id": "a", "id": "b"}]}', "[1.5]"],
)
def test_load_data_reports_as_before(text):
    with pytest.raises(InvalidData) as fast:
        load_data(text.encode())
    with pytest.raises(InvalidData) as slow:
        load_data(text)
    assert fast.value.problems == slow.value.problems
