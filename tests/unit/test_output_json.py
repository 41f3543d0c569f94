"""The output serialisation (orjson, streamed per statement) writes what
`json.dumps(indent=2, ensure_ascii=False)` wrote, for any JSON value, and refuses what json
refused (a Decimal: money is text in the output)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.evaluation.output import iter_json, to_json, write_json

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, VALUES, max_size=5))
def test_same_text_as_json_dumps_indent_2(output):
    expected = json.dumps(output, ensure_ascii=False, indent=2)
    assert to_json(output) == expected
    stream = io.StringIO()  # no binary buffer: written as text
    write_json(output, stream)
    assert stream.getvalue() == expected
    assert b"".join(iter_json(output)).decode("utf-8") == expected


def test_statements_are_encoded_one_by_one():
    output = {"period": "2026-Q3", "statements": [{"a": [1, {}]}, {"b": []}], "warnings": []}
    pieces = list(iter_json(output))
    assert b'{\n      "a": [\n        1,\n        {}\n      ]\n    }' in pieces
    assert to_json(output) == json.dumps(output, ensure_ascii=False, indent=2)


def test_a_decimal_is_refused_as_json_refused_it():
    with pytest.raises(TypeError, match="Decimal"):
        to_json({"statements": [{"amount": Decimal("1.10")}]})
