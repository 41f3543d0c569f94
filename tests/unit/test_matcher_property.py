"""Differential test: durable-rules and the Python oracle agree on random conditions.

Conditions are generated as text over the whole field catalogue (attributes, nulls,
lists, dates, decimals with many places, big amounts, awkward strings) and parsed;
facts draw from the same small pools so that equalities and boundaries are hit often.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rules.conditions import parse_condition
from rules.conditions.analysis import literal_text
from rules.conditions.parser import MIRRORED
from rules.conditions.types import FIELDS
from rules.matcher import DurableMatcher, PythonMatcher

NUMBERS = [
    "0",
    "0.25",
    "0.2500001",
    "0.2499999999999999999999",
    "1",
    "12",
    "12.5",
    "-3",
    "-0.5",
    "24",
    "999999999999.99",
    "999999999999.989",
    "10000",
    "0.000000000000000000001",
]
STRINGS = ["new", "expansion", "", 'a"b', "é€😀", "\\", "EMEA", "core", "x" * 1100, "\x01z"]
# 🙂 as one character and as its two UTF-16 halves (what YAML decodes "\ud83d\ude42" to):
# a literal joins the halves, a fact holding them is not that character in either engine.
STRINGS += ["🙂x", "\ud83d\ude42x"]
DATES = [date(2026, 7, 1), date(2026, 6, 30), date(2025, 1, 15), date(1, 1, 1), date(9999, 12, 31)]
ATTRIBUTES = ["deal.attributes.csat", "deal.attributes.tier", "participant.attributes.level"]
FAMILY = {"decimal": "number", "integer": "number", "string": "string", "date": "date"}
FAMILY.update(list="list", any="any")  # field types that compare with each other
counter = itertools.count()

numbers = st.one_of(
    st.sampled_from(NUMBERS).map(Decimal),
    st.integers(0, 9).flatmap(
        lambda places: st.decimals(-(10**12), 10**12, allow_nan=False, places=places)
    ),
    st.integers(-(10**14), 10**14).map(lambda n: Decimal(n).scaleb(-4)),
)
fact_numbers = st.one_of(
    numbers,
    st.decimals(min_value=-(10**30), max_value=10**30, allow_nan=False, allow_infinity=False),
    st.integers(-(10**20), 10**20),
)
strings = st.one_of(st.sampled_from(STRINGS), st.text(max_size=6))
dates = st.one_of(st.sampled_from(DATES), st.dates())


def literal(kind: str):
    if kind in ("decimal", "integer"):
        return numbers.map(literal_text)
    if kind == "string":
        return strings.map(literal_text)
    if kind == "date":
        return dates.map(literal_text)
    return st.one_of(  # an attribute: any literal
        numbers.map(literal_text),
        strings.map(literal_text),
        dates.map(literal_text),
        st.booleans().map(literal_text),
    )


@st.composite
def comparison(draw) -> str:
    path = draw(st.sampled_from([*FIELDS, *ATTRIBUTES]))
    kind = FIELDS.get(path, "any")
    if kind == "list" or (kind == "any" and draw(st.integers(0, 5)) == 0):
        return f"{path} contains {draw(strings.map(literal_text))}"
    form = draw(st.sampled_from(["cmp", "cmp", "in", "null", "reversed", "fields"]))
    if form == "null":
        return f"{path} {draw(st.sampled_from(['==', '!=']))} null"
    if form == "fields":  # two fields of one family (an attribute goes with any)
        family = FAMILY[kind]
        other = draw(
            st.sampled_from(
                [
                    p
                    for p in [*FIELDS, *ATTRIBUTES]
                    if FAMILY[FIELDS.get(p, "any")] in (family, "any")
                ]
                if family != "any"
                else [p for p in [*FIELDS, *ATTRIBUTES] if FIELDS.get(p) != "list"]
            )
        )
        ops = ["==", "!="]
        if "string" not in (kind, FIELDS.get(other)):
            ops += ["<", "<=", ">", ">="]
        return f"{path} {draw(st.sampled_from(ops))} {other}"
    if form == "in":
        element = literal(kind)
        if kind == "any":  # lists are homogeneous: one kind of literal per list
            element = draw(st.sampled_from([numbers, strings, dates, st.booleans()])).map(
                literal_text
            )
        values = draw(st.lists(element, max_size=4))
        if draw(st.booleans()):  # `null` in a list: `== null` / `!= null` beside it
            values.insert(draw(st.integers(0, len(values))), "null")
        op = draw(st.sampled_from(["in", "not in"]))
        return f"{path} {op} [{', '.join(values)}]"
    ops = ["==", "!="]
    if kind in ("decimal", "integer", "date"):
        ops += ["<", "<=", ">", ">="]
    if kind == "any":
        value = draw(st.one_of(numbers.map(literal_text), dates.map(literal_text)))
        op = draw(st.sampled_from(ops + ["<", "<=", ">", ">="]))
    else:
        op, value = draw(st.sampled_from(ops)), draw(literal(kind))
    if form == "reversed":  # `5 < x`, read as `x > 5`
        return f"{value} {MIRRORED[op]} {path}"
    return f"{path} {op} {value}"


def expression(depth: int = 3):
    leaf = comparison()
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from([" and ", " or "]), inner).map(
                lambda t: f"({t[0]}{t[1]}{t[2]})"
            ),
            inner.map(lambda e: f"not ({e})"),
        ),
        max_leaves=8,
    )


def fact_value(kind: str):
    typed = {
        "decimal": fact_numbers,
        "integer": st.one_of(st.sampled_from([12, 24, 0, 13, -1]), st.integers(-(10**19), 10**19)),
        "string": strings,
        "date": dates,
        "list": st.lists(strings, max_size=3).map(tuple),
    }.get(kind)
    anything = st.one_of(
        fact_numbers,
        strings,
        dates,
        st.booleans(),
        st.lists(strings, max_size=3),
        dates.map(lambda d: d.isoformat()),
    )
    return st.one_of(st.none(), typed if typed is not None else anything)


@st.composite
def facts(draw) -> dict:
    out: dict[str, object] = {}
    for path in [*FIELDS, *ATTRIBUTES]:
        if draw(st.integers(0, 4)) == 0:
            continue  # absent
        out[path] = draw(fact_value(FIELDS.get(path, "any")))
    return out


def _valid(texts: list[str]) -> dict:
    conditions = {}
    for i, text in enumerate(texts):
        try:
            conditions[f"rule/{i}"] = parse_condition(text)
        except ValueError:
            continue  # e.g. a mixed attribute list; the generator is deliberately loose
    return conditions


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expression(), min_size=1, max_size=6), st.lists(facts(), min_size=1, max_size=12))
def test_durable_and_oracle_agree(texts, fact_sets):
    conditions = _valid(texts)
    assume(conditions)
    durable = DurableMatcher(conditions, f"property_{next(counter)}")
    oracle = PythonMatcher(conditions)
    try:
        for f in fact_sets:
            expected = oracle.matching(f)
            event("some condition held" if expected else "no condition held")
            event(f"oracle fallback: {bool(durable.fallback)}")
            assert durable.matching(f) == expected, (
                f,
                {k: c.text for k, c in conditions.items()},
            )
        # All in one session (`matching_many`): each fact's rules as alone.
        assert durable.matching_many(fact_sets) == [oracle.matching(f) for f in fact_sets]
    finally:
        durable.close()
    assert len(durable.fallback) <= len(conditions)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(expression(), min_size=20, max_size=60), st.lists(facts(), min_size=1, max_size=6))
def test_many_conditions_over_several_rulesets_agree(texts, fact_sets):
    conditions = _valid(texts)
    durable = DurableMatcher(conditions, f"property_many_{next(counter)}")
    oracle = PythonMatcher(conditions)
    try:
        event(f"rulesets: {min(len(durable._rulesets), 3)}+")
        for f in fact_sets:
            assert durable.matching(f) == oracle.matching(f)
        assert durable.matching_many(fact_sets) == [oracle.matching(f) for f in fact_sets]
    finally:
        durable.close()
