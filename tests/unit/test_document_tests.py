"""The `tests` section of a plan: shape, periods, inline and file data, expectations."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from rules.document import load_plan, plan_from_mapping
from rules.problems import InvalidPlan
from tests.unit.plandocs import SPEC_PLAN, data, find, plan_problems, spec_plan


def with_tests(*tests):
    doc = spec_plan()
    doc["tests"] = list(tests)
    return doc


def a_test(**change):
    test = {
        "name": "thin margin pays nothing",
        "period": "2026-Q3",
        "data": data(),
        "expect": [{"participant": "ana", "payable": "0.00", "held": 0, "attainment": "0.4000"}],
    }
    test.update(change)
    return test


def test_inline_test_loads_typed():
    plan = plan_from_mapping(with_tests(a_test()))
    (test,) = plan.tests
    assert (test.name, test.period) == ("thin margin pays nothing", "2026-Q3")
    assert test.data["deals"][0]["id"] == "D-1"
    assert test.expect == (
        {
            "participant": "ana",
            "payable": Decimal("0.00"),
            "held": Decimal(0),
            "attainment": Decimal("0.4000"),
        },
    )


def test_expectations_with_lines_and_nulls():
    expect = [
        {
            "participant": "ana",
            "plan": "ae-plan",
            "quota": None,
            "attainment": None,
            "credited": 120000,
            "draw_balance": "0",
            "lines": [
                {"kind": "commission", "deal": "D-1", "rule": "owner", "rate": None},
                {"kind": "spif", "amount": "500.00", "status": "held", "share": 1},
            ],
        }
    ]
    (test,) = plan_from_mapping(with_tests(a_test(expect=expect))).tests
    entry = test.expect[0]
    assert entry["quota"] is None and entry["attainment"] is None
    assert entry["credited"] == Decimal(120000)
    assert entry["lines"][0] == {"kind": "commission", "deal": "D-1", "rule": "owner", "rate": None}
    assert entry["lines"][1]["amount"] == Decimal("500.00")


def test_test_keys_required_and_known():
    test = a_test(colour="red")
    del test["expect"]
    problems = plan_problems(with_tests(test))
    find(problems, "$.tests[0].colour", "unknown key 'colour'")
    find(problems, "$.tests[0]", "missing required key 'expect'")


def test_duplicate_test_names():
    problems = plan_problems(with_tests(a_test(), a_test()))
    find(problems, "$.tests[1].name", "duplicate test name (first at $.tests[0].name)")


@pytest.mark.parametrize(
    ("period", "text"),
    [("2026-13", "is not a period"), ("2026-07", "is a month; this plan's period is quarter")],
)
def test_test_period(period, text):
    find(plan_problems(with_tests(a_test(period=period))), "$.tests[0].period", text)


def test_bare_year_is_a_period_for_yearly_plans():
    doc = with_tests(a_test(period=2026))
    doc["period"] = "year"
    plan = plan_from_mapping(doc)
    assert plan.tests[0].period == "2026" and plan.document["tests"][0]["period"] == "2026"


def test_invalid_test_data_is_reported_under_the_test():
    bad = data()
    bad["deals"][0]["amount"] = "-5"
    bad["deals"][0]["cash_colected_date"] = "2026-08-01"
    problems = plan_problems(with_tests(a_test(data=bad)))
    find(problems, "$.tests[0].data.deals[0].amount", "at least 0")
    find(problems, "$.tests[0].data.deals[0].cash_colected_date", "unknown key")


@pytest.mark.parametrize(
    ("entry", "path", "text"),
    [
        ({"payable": 1}, "$.tests[0].expect[0]", "missing required key 'participant'"),
        ({"participant": "zoe"}, "$.tests[0].expect[0].participant", "not in this test's data"),
        ({"participant": "ana", "plan": "other"}, "$.tests[0].expect[0].plan", "runs plan"),
        ({"participant": "ana", "payable": "lots"}, "$.tests[0].expect[0].payable", "number"),
        ({"participant": "ana", "bonus": 1}, "$.tests[0].expect[0].bonus", "unknown key"),
        (
            {"participant": "ana", "lines": [{"kind": "salary"}]},
            "$.tests[0].expect[0].lines[0].kind",
            "expected one of commission",
        ),
        (
            {"participant": "ana", "lines": [{"amount": 1, "colour": "red"}]},
            "$.tests[0].expect[0].lines[0].colour",
            "unknown key",
        ),
    ],
)
def test_bad_expectations(entry, path, text):
    find(plan_problems(with_tests(a_test(expect=[entry]))), path, text)


def test_expect_must_not_be_empty():
    find(plan_problems(with_tests(a_test(expect=[]))), "$.tests[0].expect", "at least one")


def test_data_from_a_file_is_inlined_and_hashes_like_inline_data(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "q3.json").write_text(json.dumps(data()))
    text = SPEC_PLAN + (
        "tests:\n  - name: from file\n    period: 2026-Q3\n    data: cases/q3.json\n"
        "    expect: [{participant: ana, payable: 0}]\n"
    )
    plan = load_plan(text, base_dir=tmp_path)
    assert plan.tests[0].data["deals"][0]["amount"] == "120000"
    assert plan.document["tests"][0]["data"]["participants"][0]["id"] == "ana"
    inline = with_tests(
        {
            "name": "from file",
            "period": "2026-Q3",
            "data": data(),
            "expect": [{"participant": "ana", "payable": 0}],
        }
    )
    assert plan.version == plan_from_mapping(inline).version


def test_yaml_data_file(tmp_path):
    (tmp_path / "q3.yaml").write_text("participants:\n  - id: ana\n")
    doc = with_tests(a_test(data="q3.yaml"))
    assert plan_from_mapping(doc, base_dir=tmp_path).tests[0].data == {
        "participants": [{"id": "ana"}]
    }


def test_data_file_problems_name_the_file(tmp_path):
    (tmp_path / "bad.json").write_text('{"deals": [{"id": "D-1"}]}')
    problems = plan_problems(with_tests(a_test(data="bad.json")), base_dir=tmp_path)
    problem = find(problems, "$.tests[0].data.deals[0]", "missing required key 'amount'")
    assert problem.message.endswith("(in bad.json)")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("missing.json", "cannot read test data file"),
        ("../outside.json", "leaves the plan's folder"),
        ("/etc/passwd", "must be relative"),
    ],
)
def test_bad_data_paths(tmp_path, path, text):
    plan_dir = tmp_path / "plans"
    plan_dir.mkdir()
    (tmp_path / "outside.json").write_text("{}")
    problems = plan_problems(with_tests(a_test(data=path)), base_dir=plan_dir)
    find(problems, "$.tests[0].data", text)


def test_data_path_needs_a_base_dir():
    find(plan_problems(with_tests(a_test(data="q3.json"))), "$.tests[0].data", "plan file's folder")


def test_malformed_data_file(tmp_path):
    (tmp_path / "q3.json").write_text('{"participants": [}')
    with pytest.raises(InvalidPlan) as caught:
        plan_from_mapping(with_tests(a_test(data="q3.json")), base_dir=tmp_path)
    find(list(caught.value.problems), "$.tests[0].data", "q3.json: line 1, column 19")
