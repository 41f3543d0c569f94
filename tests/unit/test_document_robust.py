"""Bad input never escapes as a traceback: only `InvalidPlan` / `InvalidData` with problems.

Seeded random mutations of the spec example (wrong types, deleted keys, text edits), so the
run is the same every time; it found real crashes while this module was written.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from rules.data import load_data
from rules.document import load_plan, plan_from_mapping
from rules.lint import lint_plan
from rules.problems import InvalidData, InvalidPlan, Problem
from rules.yamlload import LoadError, load_json, load_yaml
from tests.unit.plandocs import SPEC_PLAN, data, data_problems, find, plan_problems, spec_plan

ODD_VALUES = [
    None,
    True,
    0,
    -1,
    Decimal("0.5"),
    "",
    "x",
    [],
    {},
    [None],
    {"a": 1},
    "2026-01-01",
    1.5,
    "deal.amount >",
    10**60,
]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


def _mutate(doc, rng: random.Random) -> None:
    path = rng.choice(list(_paths(doc))[1:])
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.75:
        parent[path[-1]] = rng.choice(ODD_VALUES)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])


def _assert_located(problems: tuple[Problem, ...]) -> None:
    assert problems
    for p in problems:
        assert p.path and p.message and p.severity == "error"


def test_mutated_plans_and_data_fail_only_with_problems():
    rng = random.Random(20261124)
    for n in range(300):
        if n % 2:
            doc = data()
            for _ in range(rng.randint(1, 3)):
                _mutate(doc, rng)
            try:
                load_data(doc)
            except InvalidData as exc:
                _assert_located(exc.problems)
            continue
        doc = spec_plan()
        doc["tests"] = [
            {"name": "t", "period": "2026-Q3", "data": data(), "expect": [{"participant": "ana"}]}
        ]
        for _ in range(rng.randint(1, 3)):
            _mutate(doc, rng)
        try:
            plan_from_mapping(doc)
        except InvalidPlan as exc:
            _assert_located(exc.problems)


def test_edited_text_fails_only_with_problems():
    rng = random.Random(7)
    alphabet = list(":-[]{}&*!|>'\"#%@`,? \n\t0.eE1aä")
    for _ in range(150):
        chars = list(SPEC_PLAN)
        for _ in range(rng.randint(1, 5)):
            i = rng.randrange(len(chars))
            if rng.random() < 0.5:
                del chars[i]
            else:
                chars.insert(i, rng.choice(alphabet))
        text = "".join(chars)
        try:
            load_plan(text)
        except InvalidPlan as exc:
            _assert_located(exc.problems)
            assert lint_plan(text) == list(exc.problems)


def test_huge_number_from_a_caller_is_a_problem():
    doc = spec_plan()
    doc["caps"]["per_deal"] = 10**60
    find(plan_problems(doc), "$.caps.per_deal", "too large")


def test_unhashable_exception_kind_is_a_problem():
    obj = data()
    obj["exceptions"][0]["kind"] = {"waive": "gate"}
    try:
        load_data(obj)
    except InvalidData as exc:
        find(list(exc.problems), "$.exceptions[0].kind", "expected one of waive_gate")
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError("a mapping as exception kind was accepted")


def test_deeply_nested_documents_are_refused():
    nested: list = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(LoadError) as caught:
        load_yaml("[" * 20000 + "]" * 20000)
    assert "nests more than 64 levels" in caught.value.problems[0].message
    with pytest.raises(LoadError):
        load_json("[" * 20000 + "]" * 20000)
    find(plan_problems({"policy": nested}), "$", "nests more than 64 levels")
    obj = data()
    obj["deals"][0]["attributes"] = {"x": nested}
    find(data_problems(obj), "$", "nests more than 64 levels")


def test_deeply_nested_condition_is_a_problem():
    doc = spec_plan()
    doc["rates"][0]["when"] = "(" * 3000 + "deal.amount > 1" + ")" * 3000
    find(plan_problems(doc), "$.rates[0].when", rule="new-business")


def test_numbers_are_not_event_kinds_or_paths():
    doc = spec_plan()
    doc["clawbacks"][0]["triggers"] = [Decimal("1.5")]
    doc["tests"] = [
        {"name": "t", "period": "2026-Q3", "data": Decimal("1.5"), "expect": [{"participant": "a"}]}
    ]
    problems = plan_problems(doc)
    find(problems, "$.clawbacks[0].triggers[0]", "expected an event kind")
    find(problems, "$.tests[0].data", "expected the test's data")


def test_one_problem_per_finding():
    doc = spec_plan()
    doc["caps"]["per_deal"] = 10**60
    problems = plan_problems(doc)
    assert [p.path for p in problems] == ["$.caps.per_deal"]
