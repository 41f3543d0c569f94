"""The durable-rules matcher: each engine limit or bug from the notes, handled and tested."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from decimal import Decimal

import durable_rules_engine
import pytest

from rules.conditions import parse_condition
from rules.conditions.durable_json import LIMIT, TAG, encode_number
from rules.matcher import SID, DurableMatcher, MatcherError, PythonMatcher, compile_matcher

D = Decimal
_names = itertools.count()


def pair(texts: dict[str, str]) -> tuple[DurableMatcher, PythonMatcher]:
    conditions = {key: parse_condition(text) for key, text in texts.items()}
    return DurableMatcher(conditions, f"unit_{next(_names)}"), PythonMatcher(conditions)


def agree(texts: dict[str, str], facts: dict) -> frozenset[str]:
    durable, oracle = pair(texts)
    got = durable.matching(facts)
    assert got == oracle.matching(facts)
    assert not durable.fallback
    return got


OPERATORS = {
    "eq": "deal.amount == 100",
    "ne": "deal.amount != 100",
    "lt": "deal.amount < 100",
    "le": "deal.amount <= 100",
    "gt": "deal.amount > 100",
    "ge": "deal.amount >= 100",
    "in": "deal.amount in [50, 100.5]",
    "not-in": "deal.amount not in [50, 100.5]",
    "null": "deal.amount == null",
    "not-null": "deal.amount != null",
    "not-gt": "not (deal.amount > 100)",
}


@pytest.mark.parametrize(
    "amount", [None, D(0), D("99.999999999"), D(100), D("100.0000001"), D("100.5"), D(50), D(-1)]
)
def test_every_operator_agrees_with_the_oracle(amount):
    facts = {} if amount is None else {"deal.amount": amount}
    agree(OPERATORS, facts)


def test_assert_fact_fires_every_matching_rule():
    got = agree(OPERATORS, {"deal.amount": D(100)})
    assert got == {"eq", "le", "ge", "not-in", "not-null", "not-gt"}


def test_values_with_more_places_than_the_literal():
    texts = {"gt": "deal.gross_margin > 0.25", "eq": "deal.gross_margin == 0.25"}
    assert agree(texts, {"deal.gross_margin": D("0.2500001")}) == {"gt"}
    assert agree(texts, {"deal.gross_margin": D("0.25000000000000000000000000001")}) == {"gt"}
    assert agree(texts, {"deal.gross_margin": D("0.2499999999999999999999999999")}) == set()
    assert agree(texts, {"deal.gross_margin": D("0.250")}) == {"eq"}


def test_big_amounts_stay_exact():
    texts = {"ge": "deal.amount >= 999999999999.99", "lt": "deal.amount < 999999999999.99"}
    assert agree(texts, {"deal.amount": D("999999999999.99")}) == {"ge"}
    assert agree(texts, {"deal.amount": D("999999999999.989999")}) == {"lt"}
    assert agree(texts, {"deal.amount": D("1E+40")}) == {"ge"}  # clamped beyond every literal
    assert agree(texts, {"deal.amount": 10**25}) == {"ge"}


def test_number_encoding_is_exact_and_clamped():
    assert encode_number(D("0.2500001"), 2) == 51  # 2*25 + 1: strictly above 0.25
    assert encode_number(D("-0.2500001"), 2) == -51  # 2*floor(-25.00001) + 1
    assert encode_number(D("1E+2"), 0) == 200
    assert encode_number(D("1E-30"), 2) == 1
    assert encode_number(D("9E+99"), 2) == LIMIT + 1
    assert encode_number(D("-9E+99"), 2) == -LIMIT - 1


def test_no_float_or_exponent_reaches_the_engine(monkeypatch):
    durable, _ = pair({"a": "deal.amount > 0.5", "b": "deal.discount < 0.00001"})
    sent: list[str] = []
    real = durable_rules_engine.assert_fact

    def spy(handle, message):
        sent.append(message)
        return real(handle, message)

    monkeypatch.setattr(durable_rules_engine, "assert_fact", spy)
    durable.matching({"deal.amount": D("1E+16"), "deal.discount": D("5E-7")})

    def no_floats(text: str) -> float:
        raise AssertionError(f"float sent to the engine: {text}")

    fact = json.loads(sent[0], parse_float=no_floats)
    json.loads(json.dumps(durable.definition), parse_float=no_floats)
    assert not re.search(r"\d[eE][+-]?\d", sent[0] + json.dumps(durable.definition))
    assert fact[next(k for k in fact if k.endswith("n") and k != "sid")] > 0


def test_strings_never_compare_with_numbers():
    texts = {"n": "deal.attributes.score > 10000", "s": 'deal.attributes.score == "9000.00"'}
    assert agree(texts, {"deal.attributes.score": "9000.00"}) == {"s"}
    assert agree(texts, {"deal.attributes.score": D("10000.5")}) == {"n"}
    assert agree(texts, {"deal.attributes.score": True}) == set()
    assert agree({"ne": "deal.attributes.score != 5"}, {"deal.attributes.score": "x"}) == set()


def test_dates_are_day_numbers():
    texts = {"after": 'deal.close_date > "2026-06-30"', "on": 'deal.close_date == "2026-07-01"'}
    assert agree(texts, {"deal.close_date": date(2026, 7, 1)}) == {"after", "on"}
    assert agree(texts, {"deal.close_date": date(2026, 6, 30)}) == set()
    attr = {"a": 'deal.attributes.renewal >= "2026-01-01"'}
    assert agree(attr, {"deal.attributes.renewal": "2026-01-01"}) == {"a"}
    assert agree(attr, {"deal.attributes.renewal": "2026-1-1"}) == set()


def test_lists_contains_in_and_not_in_with_nulls():
    texts = {
        "has": 'deal.products contains "core"',
        "lacks": 'not (deal.products contains "core")',
        "region": 'deal.region in ["EMEA", "APAC"]',
        "other": 'deal.region not in ["EMEA", "APAC"]',
    }
    assert agree(texts, {"deal.products": ("core",), "deal.region": "EMEA"}) == {"has", "region"}
    assert agree(texts, {"deal.products": [], "deal.region": "AMER"}) == {"lacks", "other"}
    assert agree(texts, {}) == {"lacks"}


def test_awkward_strings():
    texts = {
        "q": 'deal.account == "a\\"b\\\\"',
        "u": 'deal.account == "é€😀"',
        "long": "deal.id != null",
    }
    assert agree(texts, {"deal.account": 'a"b\\'}) == {"q"}
    assert agree(texts, {"deal.account": "é€😀", "deal.id": "x" * 5000}) == {"u", "long"}
    long_literal = {"l": 'deal.account == "' + "y" * 1500 + '"'}
    assert agree(long_literal, {"deal.account": "y" * 1500}) == {"l"}
    assert agree(long_literal, {"deal.account": "y" * 1499 + "z"}) == set()
    # Changed for issue 17 (item 6): a lone surrogate escape (`"\\ud800x"`) is no longer a
    # literal (it is not a character; see test_conditions' surrogate tests). A pair is
    # one character, the same one whether the fact holds it or two escapes spelled it.
    pair_text = {"s": 'deal.account == "\\ud83d\\ude42x"'}
    assert agree(pair_text, {"deal.account": "🙂x"}) == {"s"}
    assert agree(pair_text, {"deal.account": "\ud83d\ude42x"}) == set()  # raw halves


def test_session_state_fact_never_matches():
    durable, _ = pair({"null": "deal.amount == null", "neg": 'not (deal.type == "new")'})
    for rule in durable.definition.values():
        assert TAG in json.dumps(rule)
    assert durable.matching({"deal.amount": D(1), "deal.type": "new"}) == set()


def test_two_thousand_sequential_calls_outlive_the_session_limit():
    durable, oracle = pair({"big": "deal.amount > 1000", "new": 'deal.type == "new"'})
    for i in range(2000):
        facts = {"deal.id": f"deal-{i}", "deal.amount": D(i), "deal.type": "new" if i % 3 else "x"}
        assert durable.matching(facts) == oracle.matching(facts)


def test_colliding_deal_ids_cannot_share_a_session(monkeypatch):
    """ "deal-309876" and "deal-1122490" share a 32-bit FNV hash; no sid comes from data."""
    durable, _ = pair({"a": 'deal.id == "deal-309876"', "b": 'deal.id == "deal-1122490"'})
    sids: list[str] = []
    real = durable_rules_engine.assert_fact

    def spy(handle, message):
        sids.append(json.loads(message)["sid"])
        return real(handle, message)

    monkeypatch.setattr(durable_rules_engine, "assert_fact", spy)
    for _ in range(3):
        assert durable.matching({"deal.id": "deal-309876"}) == {"a"}
        assert durable.matching({"deal.id": "deal-1122490"}) == {"b"}
    assert set(sids) == {SID}


def test_state_is_deleted_after_every_call(monkeypatch):
    durable, _ = pair({"a": "deal.amount > 1"})
    deleted: list[str] = []
    real = durable_rules_engine.delete_state

    def spy(handle, sid):
        deleted.append(sid)
        return real(handle, sid)

    monkeypatch.setattr(durable_rules_engine, "delete_state", spy)
    durable.matching({"deal.amount": D(2)})
    durable.matching({"deal.amount": D(0)})
    with pytest.raises(TypeError):
        durable.matching({"deal.amount": 0.5})  # fails before a session exists
    assert deleted == [SID, SID]


def test_a_state_from_another_session_is_refused(monkeypatch):
    durable, _ = pair({"a": "deal.amount > 1"})
    real = durable_rules_engine.start_action_for_state

    def foreign(handle, state_handle):
        result = real(handle, state_handle)
        return ('{"sid": "deal-1122490", "id": "sid-x", "$s": 1}', result[1])

    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", foreign)
    with pytest.raises(MatcherError, match="state of session 'deal-1122490'"):
        durable.matching({"deal.amount": D(2)})
    monkeypatch.undo()
    assert durable.matching({"deal.amount": D(2)}) == {"a"}  # the session was cleaned up


def test_an_exception_stored_in_the_state_is_detected(monkeypatch):
    durable, _ = pair({"a": "deal.amount > 1"})
    real = durable_rules_engine.start_action_for_state

    def failing(handle, state_handle):
        result = real(handle, state_handle)
        return ('{"sid": "accord", "exception": "boom"}', result[1])

    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", failing)
    with pytest.raises(MatcherError, match="stored an exception: boom"):
        durable.matching({"deal.amount": D(2)})
    monkeypatch.undo()
    assert durable.matching({"deal.amount": D(0)}) == set()


def test_inexpressible_conditions_fall_back_to_the_oracle():
    texts = {
        "fine": "deal.amount > 5",
        "places": "deal.discount == 0.12345678901234567890",
        "huge": "deal.amount > 99999999999999999999999",
    }
    durable, oracle = pair(texts)
    assert set(durable.fallback) == {"places", "huge"}
    for facts in ({"deal.amount": D(6), "deal.discount": D("0.12345678901234567890")}, {}):
        assert durable.matching(facts) == oracle.matching(facts)


def test_large_conditions_are_split_or_left_to_the_oracle():
    clause = " or ".join(
        f'(deal.amount > {i} and (deal.type == "t{i}" or deal.region == "r{i}"))' for i in range(20)
    )
    nested = "deal.amount > 0"
    for i in range(20):
        nested = f"({nested} or deal.term_months == {i}) and deal.discount != {i}"
    durable, oracle = pair({"wide": clause, "deep": nested})
    assert "wide" not in durable.fallback and "deep" in durable.fallback
    for facts in (
        {"deal.amount": D(7), "deal.type": "t3"},
        {"deal.amount": D(1), "deal.region": "r1"},
    ):
        assert durable.matching(facts) == oracle.matching(facts)


def test_compile_matcher_caches_by_name():
    conditions = {"a": parse_condition("deal.amount > 5")}
    first = compile_matcher(conditions, name="cache-test-1")
    assert compile_matcher(dict(conditions), name="cache-test-1") is first
    with pytest.raises(ValueError, match="already used"):
        compile_matcher({"a": parse_condition("deal.amount > 6")}, name="cache-test-1")
    with pytest.raises(ValueError, match="unknown matching engine"):
        compile_matcher(conditions, name="x", engine="drools")
    with pytest.raises(ValueError, match="must be 1-100"):
        compile_matcher(conditions, name="no spaces")
    python = compile_matcher(conditions, name="cache-test-1", engine="python")
    assert python.matching({"deal.amount": D(6)}) == first.matching({"deal.amount": D(6)}) == {"a"}


def test_empty_and_constant_conditions():
    durable, oracle = pair(
        {"never": "deal.type in []", "always": "deal.amount == null or deal.amount != null"}
    )
    assert durable.matching({}) == oracle.matching({}) == {"always"}
    empty = DurableMatcher({}, f"unit_{next(_names)}")
    assert empty.matching({"deal.amount": D(1)}) == frozenset()


def test_floats_are_refused_by_both_engines():
    durable, oracle = pair({"a": "deal.amount > 5"})
    for matcher in (durable, oracle):
        with pytest.raises(TypeError, match="float"):
            matcher.matching({"deal.amount": 5.5})


def test_many_conditions_are_packed_into_several_rulesets():
    """One fact passing more than ~64 tests at once fails with error 303; >512 hang."""
    texts = {f"above/{i}": f"deal.amount > {i}" for i in range(200)}
    durable, oracle = pair(texts)
    assert len(durable._rulesets) > 4 and not durable.fallback
    for amount in (D(-1), D(0), D("150.5"), D(1000)):
        assert durable.matching({"deal.amount": amount}) == oracle.matching({"deal.amount": amount})
    assert len(durable.matching({"deal.amount": D(1000)})) == 200


def test_long_lists_stay_in_the_engine_or_go_to_the_oracle():
    values = ", ".join(str(i) for i in range(250))
    texts = {
        "in": f"deal.term_months in [{values}]",
        "not-in": f"deal.term_months not in [{values}]",
        "huge": "deal.term_months in [" + ", ".join(str(i) for i in range(600)) + "]",
    }
    durable, oracle = pair(texts)
    assert not durable.fallback  # "huge" is split into one rule per value, over rulesets
    assert len(durable._rulesets) > 5
    for months in (None, 0, 249, 250, 599, 600):
        facts = {"deal.term_months": months}
        assert durable.matching(facts) == oracle.matching(facts)


def test_an_engine_failure_hands_the_ruleset_to_the_oracle(monkeypatch, caplog):
    durable, oracle = pair({"a": "deal.amount > 1", "b": 'deal.type == "new"'})

    def broken(handle, message):
        raise durable_rules_engine.error("Could not assert fact, error code: 303")

    monkeypatch.setattr(durable_rules_engine, "assert_fact", broken)
    facts = {"deal.amount": D(2), "deal.type": "new"}
    assert durable.matching(facts) == {"a", "b"}
    assert set(durable.fallback) == {"a", "b"}
    assert "error code: 303" in caplog.text
    monkeypatch.undo()
    assert durable.matching({"deal.amount": D(0)}) == oracle.matching({"deal.amount": D(0)})


def test_and_of_ors_stays_within_the_engine_stack_and_time():
    """The engine walks every combination of passing or-branches (error 303, or hours)."""
    group = "(deal.amount > {0} or deal.discount > {0} or deal.term_months > {0})"
    texts = {"wide": " and ".join(group.format(i) for i in range(14))}
    texts["negations"] = " and ".join(f"not (deal.gross_margin > {i})" for i in range(60))
    durable, oracle = pair(texts)
    assert set(durable.fallback) == {"wide"}
    facts = {"deal.amount": D(99), "deal.discount": D(99), "deal.term_months": 99}
    assert durable.matching(facts) == oracle.matching(facts) == {"wide", "negations"}


def test_a_ruleset_the_engine_refuses_is_left_to_the_oracle(monkeypatch, caplog):
    def refuse(name, text):
        raise durable_rules_engine.error("Could not create ruleset, error code: 113")

    monkeypatch.setattr(durable_rules_engine, "create_ruleset", refuse)
    durable, oracle = pair({"a": "deal.amount > 1"})
    assert durable.fallback == {
        "a": "durable-rules could not create the ruleset "
        "(Could not create ruleset, error code: 113)"
    }
    assert "error code: 113" in caplog.text
    for amount in (D(0), D(2)):
        assert durable.matching({"deal.amount": amount}) == oracle.matching({"deal.amount": amount})
