"""`DurableMatcher.matching_many`: many facts in one durable-rules session, each fact's
rules exactly as `matching` finds them alone, and every engine quirk handled."""

from __future__ import annotations

import json
from decimal import Decimal

import durable_rules_engine
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.matcher import BATCH, SID, MatcherError, fact_text
from tests.unit.test_matcher import pair

D = Decimal
TEXTS = {
    "big": "deal.amount > 1000",
    "new": 'deal.type == "new"',
    "both": 'deal.amount > 500 and deal.type in ["new", "expansion"]',
    "none": "deal.discount == null",
}


def _facts(n: int) -> list[dict]:
    """n facts, many of them equal (the engine refuses a second equal fact in a session)."""
    kinds = ["new", "expansion", "renewal", None]
    return [
        {
            "deal.amount": D(i % 13) * 150,
            "deal.type": kinds[i % 4],
            "deal.discount": D(i % 3) or None,
        }
        if i % 5
        else {"deal.amount": D(2000), "deal.type": "new", "deal.discount": D("0.1")}
        for i in range(n)
    ]


def test_a_batch_fires_what_each_fact_fires_alone(monkeypatch):
    durable, oracle = pair(TEXTS)
    calls: list[int] = []
    deleted: list[str] = []
    real_assert, real_delete = durable_rules_engine.assert_facts, durable_rules_engine.delete_state

    def spy_assert(handle, message):
        calls.append(len(json.loads(message)))
        return real_assert(handle, message)

    def spy_delete(handle, sid):
        deleted.append(sid)
        return real_delete(handle, sid)

    monkeypatch.setattr(durable_rules_engine, "assert_facts", spy_assert)
    monkeypatch.setattr(durable_rules_engine, "delete_state", spy_delete)
    facts = _facts(2 * BATCH + 37)
    got = durable.matching_many(facts)
    assert calls == [BATCH, BATCH, 37]  # one session per BATCH facts, each deleted
    assert deleted == [SID] * 3
    assert got == [oracle.matching(f) for f in facts]
    assert got == [durable.matching(f) for f in facts]
    assert {"big", "new", "both", "none"} <= set().union(*got) and frozenset() in got
    assert durable.matching_many([]) == []
    assert durable.matching_many(facts[:1]) == [oracle.matching(facts[0])]


def test_texts_the_engine_takes_for_one_fact_are_asked_again_one_by_one(monkeypatch):
    """Two distinct facts whose texts hash alike share a message id (#376): the engine
    refuses the second with code 2, having run the first. The session is drained and
    deleted, and each fact asked alone: the same texts twice show it."""
    durable, oracle = pair(TEXTS)
    ruleset = durable._rulesets[0]
    fact = {"deal.amount": D(2000), "deal.type": "new"}
    text = json.dumps(durable._encode(fact), ensure_ascii=True)
    singles: list[str] = []
    real = durable_rules_engine.assert_fact

    def spy(handle, message):
        singles.append(message)
        return real(handle, message)

    monkeypatch.setattr(durable_rules_engine, "assert_fact", spy)
    fired = durable._fire_many(ruleset, [text, text], [fact, fact])
    assert [{ruleset.keys[r] for r in rules} for rules in fired] == [oracle.matching(fact)] * 2
    assert singles == [text, text]
    assert not durable.fallback  # the engine still decides
    facts = _facts(40)
    assert durable.matching_many(facts) == [oracle.matching(f) for f in facts]


def test_an_engine_failure_in_a_batch_hands_the_ruleset_to_the_oracle(monkeypatch, caplog):
    durable, oracle = pair(TEXTS)

    def broken(handle, message):
        raise durable_rules_engine.error("Could not assert facts, error code: 303")

    monkeypatch.setattr(durable_rules_engine, "assert_facts", broken)
    facts = _facts(30)
    assert durable.matching_many(facts) == [oracle.matching(f) for f in facts]
    assert set(durable.fallback) == set(TEXTS)
    assert "error code: 303" in caplog.text
    monkeypatch.undo()
    assert durable.matching_many(facts) == [oracle.matching(f) for f in facts]


def test_an_action_in_another_spelling_is_read_by_its_fact(monkeypatch):
    """The engine echoes each fact's text; should it respell one, the action is parsed."""
    durable, oracle = pair(TEXTS)
    real_first = durable_rules_engine.start_action_for_state
    real_next = durable_rules_engine.complete_and_start_action

    def respell(action):
        return None if action is None else json.dumps(json.loads(action), indent=1)

    def first(handle, state_handle):
        result = real_first(handle, state_handle)
        return result and (result[0], respell(result[1]))

    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", first)
    monkeypatch.setattr(
        durable_rules_engine, "complete_and_start_action", lambda h, s: respell(real_next(h, s))
    )
    facts = _facts(12)
    assert durable.matching_many(facts) == [oracle.matching(f) for f in facts]


def test_an_action_on_a_fact_of_no_call_is_refused(monkeypatch):
    durable, _ = pair(TEXTS)
    real = durable_rules_engine.start_action_for_state

    def foreign(handle, state_handle):
        result = real(handle, state_handle)
        stranger = json.dumps({"sid": SID, "accord_fact": 1, "v0n": 7})
        return (result[0], '{"r0":{"m":' + stranger + "}}")

    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", foreign)
    with pytest.raises(MatcherError, match="fired on a fact of another call"):
        durable.matching_many(_facts(3))
    monkeypatch.undo()
    facts = _facts(3)
    assert durable.matching_many(facts) == [durable.matching(f) for f in facts]  # cleaned up


def test_values_equal_in_python_but_not_alike_are_encoded_each_their_way():
    """A batch encodes a value once per path and type: True == 1 == Decimal(1) in Python,
    but a condition tells a flag from a number and a number from its text."""
    durable, oracle = pair(
        {
            "flag": "deal.attributes.x == true",
            "one": "deal.attributes.x == 1",
            "text": 'deal.attributes.x == "1"',
            "listed": 'deal.products contains "core"',
        }
    )
    values = [True, 1, D(1), D("1.0"), "1", 1, True, None, D("1.00")]
    products = [["core"], ["edge"], ["core"], None, [], ["core", "edge"], ["edge"], ["core"], []]
    facts = [
        {"deal.attributes.x": value, "deal.products": listed}
        for value, listed in zip(values, products, strict=True)
    ]
    got = durable.matching_many(facts)
    assert got == [oracle.matching(f) for f in facts]
    assert got[0] >= {"flag"} and got[1] >= {"one"} and got[4] >= {"text"} and got[0] != got[1]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(
            st.text(),
            st.text(st.sampled_from(["a", "\x7f", "\x00", "\n", "é", "😀", "\ud83d", '"'])),
            st.integers(-(2**63), 2**63 - 1),
            st.booleans(),
            st.none(),
        ),
        max_size=8,
    )
)
def test_fact_text_is_json_with_ascii_escapes(fact):
    """orjson where it spells the fact as `json.dumps(ensure_ascii=True)` does, else json."""
    assert fact_text(fact) == json.dumps(fact, ensure_ascii=True, separators=(",", ":"))


def test_a_full_batch_of_facts_each_firing_every_rule():
    """256 facts firing 200 rules each over several rulesets: 51,200 actions a session."""
    durable, oracle = pair({f"c{i}": f"deal.amount > {i}" for i in range(200)})
    facts = [{"deal.amount": D(1000 + i)} for i in range(BATCH)]
    got = durable.matching_many(facts)
    assert len(durable._rulesets) > 1 and not durable.fallback
    assert got == [oracle.matching(f) for f in facts] and all(len(g) == 200 for g in got)
