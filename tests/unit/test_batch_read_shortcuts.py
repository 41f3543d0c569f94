"""The batch read's shortcuts answer as the general path: `models.engine.json_loads`
(empty documents made without the parser) is `json.loads`, and a batch whose free-form
parts nest too deep is still refused with the depth problem (`inputs.free_form_too_deep`)."""

from __future__ import annotations

import json

import pytest

from governance.payouts.batches import Batch
from governance.payouts.inputs import BatchInput, free_form_too_deep
from models.engine import json_loads
from rules.yamlload import MAX_DEPTH, too_deep

DOCUMENTS = ["{}", "[]", "null", " {}", "{ }", "[1]", '{"a": 1.5, "b": [null, "x"]}', "0", '""']


@pytest.mark.parametrize("text", DOCUMENTS)
def test_json_loads_is_json_loads(text):
    for value in (text, text.encode()):
        got = json_loads(value)
        assert got == json.loads(value)
        assert type(got) is type(json.loads(value))


def test_json_loads_gives_a_fresh_document_each_time():
    first = json_loads(b"{}")
    first["x"] = 1
    assert json_loads(b"{}") == {}
    second = json_loads("[]")
    second.append(1)
    assert json_loads("[]") == []


def _nested(depth: int):
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def _raw(**deal_parts):
    deal = {
        "id": "D1",
        "type": "new",
        "amount": "100",
        "currency": "USD",
        "close_date": "2026-07-01",
        "owner": "p1",
        "splits": None,
        "team": [],
        "touchpoints": [],
        "attributes": {},
        "products": None,
        **deal_parts,
    }
    return {
        "participants": [{"id": "p1", "attributes": {}, "assignments": []}],
        "quotas": [],
        "deals": [deal],
        "events": [],
        "exceptions": [],
        "fx": {},
    }


def test_free_form_depth():
    assert not free_form_too_deep(_raw())
    assert not free_form_too_deep(_raw(attributes=_nested(MAX_DEPTH - 4)))
    assert free_form_too_deep(_raw(attributes=_nested(MAX_DEPTH)))
    assert free_form_too_deep(_raw(products=[_nested(MAX_DEPTH)]))
    for depth in range(MAX_DEPTH - 6, MAX_DEPTH + 2):  # the whole input's walk, at the edge
        for raw in (_raw(attributes=_nested(depth)), _raw(products=[_nested(depth)])):
            assert free_form_too_deep(raw) == too_deep(raw)
        raw = _raw()
        raw["exceptions"] = [_nested(depth)]
        assert free_form_too_deep(raw) == too_deep(raw)


def test_a_batch_nesting_too_deep_is_refused():
    raw = _raw(attributes=_nested(MAX_DEPTH + 5))
    batch = Batch(frozenset({"p1"}), frozenset({"p1"}), frozenset())
    data, problems = BatchInput(batch, raw, {}, {}).load()
    assert data is None
    assert any("levels deep" in p.message for p in problems)
