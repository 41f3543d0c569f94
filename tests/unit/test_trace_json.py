"""models.base.TraceJson: a trace's text is orjson's compact JSON with the same content as
`json.dumps`; what orjson refuses is written by `json.dumps` (docs/decisions.md, "Traces
written by orjson (issue 14)")."""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from models import PayoutLine
from models.base import TraceJson, _trace_text

TEXT = st.text()
LEAF = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | TEXT
TRACES = st.lists(st.dictionaries(TEXT, st.recursive(LEAF, lambda c: st.lists(c, max_size=3))))


@given(TRACES)
def test_same_content_as_json_dumps(trace):
    written = _trace_text(trace)
    assert json.loads(written) == trace == json.loads(json.dumps(trace))


def test_compact_orjson_text():
    trace = [{"step": "rate", "rule": None, "holds": True, "rate": "0.06", "text": "«é»"}]
    assert _trace_text(trace) == orjson.dumps(trace).decode()
    assert (
        _trace_text(trace)
        == '[{"step":"rate","rule":null,"holds":true,"rate":"0.06","text":"«é»"}]'
    )


def test_what_orjson_refuses_is_written_by_json_dumps():
    big = [{"n": 2**70}]
    lone = [{"text": "\ud800"}]
    assert _trace_text(big) == json.dumps(big)
    assert _trace_text(lone) == json.dumps(lone)
    assert json.loads(_trace_text(big)) == big


def test_null_stays_null():
    assert _trace_text(None) is None


def test_both_databases_write_with_it():
    column = PayoutLine.__table__.c.trace
    assert isinstance(column.type, TraceJson)
    for dialect in (postgresql.psycopg.dialect(), sqlite.dialect()):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        assert process([{"a": 1}]) == '[{"a":1}]'
