"""Decisions remembered (rules/decisions.py): `matching_many` asks durable-rules only about
values it has not decided, and its answers stay exactly the oracle's."""

from __future__ import annotations

import json
from decimal import Decimal

import durable_rules_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import decisions as decisions_module
from rules.conditions import parse_condition
from rules.decisions import Decisions
from rules.matcher import DurableMatcher, PythonMatcher
from tests.unit.test_matcher import pair
from tests.unit.test_matcher_property import _valid, counter, expression, facts

D = Decimal
TEXTS = {
    "big": "deal.amount > 1000",
    "new": 'deal.type == "new"',
    "both": 'deal.amount > 500 and deal.type in ["new", "expansion"]',
    "floor": "deal.gross_margin < 0.2",
    "core": 'deal.products contains "core"',
}


def _asked(monkeypatch) -> list[int]:
    """Facts each `assert_facts` call puts to the engine, recorded."""
    calls: list[int] = []
    real = durable_rules_engine.assert_facts

    def spy(handle, message):
        calls.append(len(json.loads(message)))
        return real(handle, message)

    monkeypatch.setattr(durable_rules_engine, "assert_facts", spy)
    return calls


def _deals(n: int) -> list[dict]:
    kinds = ["new", "expansion", "renewal", None]
    return [
        {
            "deal.amount": D(i % 7) * 300,
            "deal.type": kinds[i % 4],
            "deal.gross_margin": D(i % 5) / 10,
        }
        for i in range(n)
    ]


def test_values_decided_once_are_not_asked_again(monkeypatch):
    durable, oracle = pair(TEXTS)
    calls = _asked(monkeypatch)
    first = _deals(40)
    assert durable.matching_many(first) == [oracle.matching(f) for f in first]
    assert calls == [40]  # nothing known yet: every fact asked, in one session
    again = list(reversed(_deals(300)))  # the same values (7 x 4 amounts and types, 5 margins)
    assert durable.matching_many(again) == [oracle.matching(f) for f in again]
    assert calls == [40]
    new = [{"deal.amount": D(5000), "deal.type": "new", "deal.gross_margin": D("0.3")}] * 3
    assert durable.matching_many(new + first) == [oracle.matching(f) for f in new + first]
    assert calls == [40, 3]  # a new amount: only its facts go to the engine


def test_equal_values_of_other_types_are_decided_each_their_way():
    durable, oracle = pair({"t": "deal.attributes.flag == true", "one": "deal.term_months == 1"})
    seen = [
        {"deal.attributes.flag": True, "deal.term_months": 1},
        {"deal.attributes.flag": 1, "deal.term_months": True},
        {"deal.attributes.flag": D(1), "deal.term_months": D("1.0")},
    ]
    for _ in range(2):  # the second pass is answered from what the first decided
        assert durable.matching_many(seen) == [oracle.matching(f) for f in seen]


def test_lists_are_asked_every_time(monkeypatch):
    durable, oracle = pair(TEXTS)
    with_products = [
        dict(f, **{"deal.products": ["core", "x"][: i % 3]}) for i, f in enumerate(_deals(6))
    ]
    durable.matching_many(with_products)
    calls = _asked(monkeypatch)
    assert durable.matching_many(with_products) == [oracle.matching(f) for f in with_products]
    assert calls == [6]  # the products group cannot remember a list


def test_values_that_do_not_repeat_stop_the_remembering(monkeypatch):
    monkeypatch.setattr(decisions_module, "LIMIT", 10)
    durable, oracle = pair({"big": "deal.amount > 1000"})
    calls = _asked(monkeypatch)
    for start in range(0, 60, 15):
        deals = [{"deal.amount": D(start + i) * 40} for i in range(15)]
        assert durable.matching_many(deals) == [oracle.matching(f) for f in deals]
    assert not durable._decisions.active  # emptied twice past 10 values: given up
    assert calls == [15] * 4
    deals = [{"deal.amount": D(i) * 40} for i in range(15)]
    durable.matching_many(deals)
    assert calls == [15] * 5  # asked again, though decided before


def test_conditions_are_grouped_by_the_fields_they_read():
    conditions = {k: parse_condition(t) for k, t in TEXTS.items()}
    groups = {paths: keys for *_, paths, keys, _ in Decisions.of(conditions)._groups}
    assert groups == {
        ("deal.amount", "deal.type"): frozenset({"big", "new", "both"}),
        ("deal.gross_margin",): frozenset({"floor"}),
        ("deal.products",): frozenset({"core"}),
    }
    assert not Decisions.of({"x": object()}).active  # cannot say what it reads


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(expression(), min_size=1, max_size=8),
    st.lists(facts(), min_size=2, max_size=12),
    st.randoms(use_true_random=False),
)
def test_remembered_answers_are_the_oracles(texts, fact_sets, rnd):
    """Random conditions and facts, asked in several calls in shuffled orders, facts
    repeated: every answer, fresh or remembered, is the oracle's."""
    conditions = _valid(texts)
    durable = DurableMatcher(conditions, f"decisions_{next(counter)}")
    oracle = PythonMatcher(conditions)
    try:
        for _ in range(3):
            batch = fact_sets + rnd.sample(fact_sets, len(fact_sets) // 2)
            rnd.shuffle(batch)
            assert durable.matching_many(batch) == [oracle.matching(f) for f in batch]
    finally:
        durable.close()


def test_a_group_of_three_fields_is_remembered_too(monkeypatch):
    durable, oracle = pair({"x": 'deal.amount > 5 and deal.type == "new" or deal.discount < 0.1'})
    deals = [dict(f, **{"deal.discount": D(i % 3) / 10}) for i, f in enumerate(_deals(24))]
    assert durable.matching_many(deals) == [oracle.matching(f) for f in deals]
    calls = _asked(monkeypatch)
    assert durable.matching_many(deals[::-1]) == [oracle.matching(f) for f in deals[::-1]]
    assert calls == []
