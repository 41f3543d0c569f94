"""Plan documents: the spec example loads typed; every validation rule rejects its bad case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rules.document import load_plan, plan_from_mapping
from rules.model import CreditTarget, GateEffect
from rules.problems import InvalidPlan
from tests.unit.plandocs import SPEC_PLAN, find, plan_problems, spec_plan

# --------------------------------------------------------------------------- the good case


def test_spec_example_loads_typed():
    plan = load_plan(SPEC_PLAN)
    assert (plan.policy, plan.title, plan.currency, plan.period) == (
        "ae-plan",
        "Account Executive plan FY2026",
        "USD",
        "quarter",
    )
    assert plan.eligibility[0].id == "ramped"
    assert plan.credit[0].to == CreditTarget(kind="splits")
    assert plan.credit[0].share == Decimal(1) and plan.credit[0].when is None
    assert [(r.id, r.rate) for r in plan.rates] == [
        ("new-business", Decimal("0.06")),
        ("expansion", Decimal("0.04")),
        ("default", Decimal("0.02")),
    ]
    assert plan.rates[0].when.text == 'deal.type == "new"'
    assert plan.rates[2].when is None
    assert (plan.tiers.basis, plan.tiers.mode) == ("attainment", "marginal")
    assert [(b.lower, b.upper, b.multiplier) for b in plan.tiers.bands] == [
        (Decimal(0), Decimal("0.5"), Decimal(0)),
        (Decimal("0.5"), Decimal(1), Decimal(1)),
        (Decimal(1), Decimal("1.5"), Decimal("1.5")),
        (Decimal("1.5"), None, Decimal(2)),
    ]
    assert [g.effect for g in plan.gates] == [
        GateEffect(kind="block"),
        GateEffect(kind="reduce", factor=Decimal("0.5")),
        GateEffect(kind="hold", hold_field="deal.cash_collected_date"),
    ]
    assert (plan.caps.per_deal, plan.caps.per_period) == (Decimal(25000), Decimal(150000))
    claw = plan.clawbacks[0]
    assert (claw.triggers, claw.within_days, claw.within_months, claw.recover) == (
        ("cancellation", "churn"),
        180,
        None,
        "prorated",
    )
    assert plan.spifs[0].amount == Decimal(500)
    assert plan.draw.until == date(2026, 12, 31) and plan.draw.recoverable is True
    assert plan.version.startswith("sha256:") and len(plan.version) == 71


def test_minimal_plan_gets_defaults():
    plan = load_plan(
        "policy: p1\ntitle: T\ncurrency: EUR\nperiod: month\n"
        "credit: [{id: c, to: owner}]\nrates: []\n"
    )
    assert plan.credit[0].share == Decimal(1)
    assert plan.rates == () and plan.tiers is None and plan.draw is None
    assert plan.caps.per_deal is None and plan.tests == ()


def test_json_plan_text_is_accepted():
    plan = load_plan(
        '{"policy": "p1", "title": "T", "currency": "USD", "period": "year",'
        ' "credit": [{"id": "c", "to": "owner", "share": 0.5}],'
        ' "rates": [{"id": "r", "rate": 0.06}]}'
    )
    assert plan.rates[0].rate == Decimal("0.06") and plan.credit[0].share == Decimal("0.5")


def test_floats_from_a_caller_are_read_by_their_literal():
    doc = spec_plan()
    doc["rates"][0]["rate"] = 0.06  # e.g. from a JSON parser without parse_float=Decimal
    plan = plan_from_mapping(doc)
    assert plan.rates[0].rate == Decimal("0.06")


def test_numeric_text_is_accepted_where_a_number_is_expected():
    doc = spec_plan()
    doc["rates"][0]["rate"] = "0.06"
    assert plan_from_mapping(doc).rates[0].rate == Decimal("0.06")


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("owner", CreditTarget(kind="owner")),
        ("splits", CreditTarget(kind="splits")),
        ({"team": "SE"}, CreditTarget(kind="team", role="SE")),
        ({"manager_of": "owner"}, CreditTarget(kind="manager_of")),
        ({"touchpoints": "w_shaped"}, CreditTarget(kind="touchpoints", model="w_shaped")),
        (
            {"touchpoints": {"time_decay": 7}},
            CreditTarget(kind="touchpoints", model="time_decay", half_life_days=Decimal(7)),
        ),
    ],
)
def test_every_credit_target_form(to, expected):
    doc = spec_plan()
    doc["credit"][0]["to"] = to
    assert plan_from_mapping(doc).credit[0].to == expected


# --------------------------------------------------------------------------- top level


def test_top_level_must_be_a_mapping():
    problems = plan_problems(["policy", "x"])
    find(problems, "$", "expected a plan document")


@pytest.mark.parametrize("key", ["policy", "title", "currency", "period", "credit", "rates"])
def test_missing_required_key(key):
    doc = spec_plan()
    del doc[key]
    find(plan_problems(doc), "$", f"missing required key {key!r}")


def test_unknown_top_level_key_suggests_the_right_one():
    doc = spec_plan()
    doc["gate"] = doc.pop("gates")
    find(plan_problems(doc), "$.gate", "unknown key 'gate'; did you mean 'gates'?")


@pytest.mark.parametrize("policy", ["AE-plan", "a", "-plan", "ae_plan", "x" * 64, 12])
def test_policy_pattern(policy):
    doc = spec_plan()
    doc["policy"] = policy
    find(plan_problems(doc), "$.policy")


@pytest.mark.parametrize("currency", ["usd", "US", "EURO", 978])
def test_currency_is_three_capital_letters(currency):
    doc = spec_plan()
    doc["currency"] = currency
    find(plan_problems(doc), "$.currency")


def test_period_kind():
    doc = spec_plan()
    doc["period"] = "week"
    find(plan_problems(doc), "$.period", "expected one of month, quarter, year")


def test_title_must_be_nonempty_text():
    doc = spec_plan()
    doc["title"] = "  "
    find(plan_problems(doc), "$.title", "must not be empty")


# --------------------------------------------------------------------------- ids


@pytest.mark.parametrize("rule_id", ["New-Business", "-x", "a b", "x_y", ""])
def test_rule_id_pattern(rule_id):
    doc = spec_plan()
    doc["rates"][0]["id"] = rule_id
    find(plan_problems(doc), "$.rates[0].id")


def test_missing_id():
    doc = spec_plan()
    del doc["spifs"][0]["id"]
    find(plan_problems(doc), "$.spifs[0]", "missing required key 'id'")


def test_ids_unique_across_the_whole_document():
    doc = spec_plan()
    doc["gates"][0]["id"] = "default"  # a rate's id
    doc["tiers"]["bands"][1]["id"] = "ramped"  # an eligibility rule's id
    doc["draw"]["id"] = "owner"  # a credit rule's id
    problems = plan_problems(doc)
    find(problems, "$.gates[0].id", "duplicate id 'default' (first used at $.rates[2].id)")
    find(problems, "$.tiers.bands[1].id", "first used at $.eligibility[0].id", rule="ramped")
    find(problems, "$.draw.id", "duplicate id 'owner'")


# --------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda d: d["eligibility"][0], "$.eligibility[0].typo"),
        (lambda d: d["credit"][0], "$.credit[0].typo"),
        (lambda d: d["rates"][0], "$.rates[0].typo"),
        (lambda d: d["tiers"], "$.tiers.typo"),
        (lambda d: d["tiers"]["bands"][0], "$.tiers.bands[0].typo"),
        (lambda d: d["gates"][0], "$.gates[0].typo"),
        (lambda d: d["caps"], "$.caps.typo"),
        (lambda d: d["clawbacks"][0], "$.clawbacks[0].typo"),
        (lambda d: d["spifs"][0], "$.spifs[0].typo"),
        (lambda d: d["draw"], "$.draw.typo"),
    ],
)
def test_unknown_keys_everywhere(where, path):
    doc = spec_plan()
    where(doc)["typo"] = 1
    find(plan_problems(doc), path, "unknown key 'typo'")


def test_non_text_key_is_reported():
    doc = spec_plan()
    doc["rates"][0][7] = "x"
    find(plan_problems(doc), "$.rates[0]", "key 7 is not text", rule="new-business")


# --------------------------------------------------------------------------- credit


@pytest.mark.parametrize(
    ("to", "path", "text"),
    [
        ("team", "$.credit[0].to", "expected owner, splits"),
        ({"team": ""}, "$.credit[0].to.team", "must not be empty"),
        ({"manager_of": "deal"}, "$.credit[0].to.manager_of", "only manager_of: owner"),
        ({"touchpoints": "random"}, "$.credit[0].to.touchpoints", "attribution model"),
        (
            {"touchpoints": {"time_decay": 0}},
            "$.credit[0].to.touchpoints.time_decay",
            "more than 0",
        ),
        ({"touchpoints": {"decay": 3}}, "$.credit[0].to.touchpoints", "attribution model"),
        ({"boss": "owner"}, "$.credit[0].to.boss", "unknown credit target 'boss'"),
        ({"team": "SE", "manager_of": "owner"}, "$.credit[0].to", "expected owner, splits"),
    ],
)
def test_bad_credit_targets(to, path, text):
    doc = spec_plan()
    doc["credit"][0]["to"] = to
    find(plan_problems(doc), path, text, rule="owner")


@pytest.mark.parametrize("share", [0, Decimal("1.5"), -1, "half", True])
def test_credit_share_in_zero_one(share):
    doc = spec_plan()
    doc["credit"][0]["share"] = share
    find(plan_problems(doc), "$.credit[0].share", rule="owner")


def test_credit_when_may_use_deal_fields_only():
    doc = spec_plan()
    doc["credit"][0]["when"] = 'deal.type == "new" and participant.region == "EMEA"'
    problem = find(plan_problems(doc), "$.credit[0].when", "participant.region", rule="owner")
    assert problem.position == 24


def test_unconditional_credit_over_one():
    doc = spec_plan()
    doc["credit"].append({"id": "se", "to": {"team": "SE"}, "share": Decimal("0.2")})
    doc["credit"].append(  # conditional rules are not counted here (lint warns about them)
        {"id": "mgr", "to": {"manager_of": "owner"}, "share": 1, "when": "deal.amount > 1"}
    )
    (problem,) = plan_problems(doc)
    assert problem.path == "$.credit"
    assert "1.2 of every deal" in problem.message and "owner (1), se (0.2)" in problem.message


def test_credit_needs_a_rule():
    doc = spec_plan()
    doc["credit"] = []
    find(plan_problems(doc), "$.credit", "at least one rule")


def test_rule_lists_must_be_lists():
    doc = spec_plan()
    doc["rates"] = {"id": "x", "rate": 1}
    doc["gates"][1] = "block"
    problems = plan_problems(doc)
    find(problems, "$.rates", "expected a list of rules, got a mapping")
    find(problems, "$.gates[1]", "expected a rule")


# --------------------------------------------------------------------------- conditions


def test_malformed_condition_names_rule_text_and_column():
    doc = spec_plan()
    doc["rates"][1]["when"] = 'deal.type == "expansion" and'
    problem = find(plan_problems(doc), "$.rates[1].when", 'deal.type == "expansion" and')
    assert problem.rule == "expansion" and problem.position is not None


def test_unknown_field_in_condition():
    doc = spec_plan()
    doc["gates"][0]["when"] = "deal.gross_margn < 0.25"
    problem = find(plan_problems(doc), "$.gates[0].when", "deal.gross_margn", rule="margin-floor")
    assert problem.position == 1


def test_type_mismatch_in_condition():
    doc = spec_plan()
    doc["spifs"][0]["when"] = 'deal.term_months >= "long"'
    problem = find(plan_problems(doc), "$.spifs[0].when", rule="multi-year")
    assert problem.position is not None


def test_when_must_be_text():
    doc = spec_plan()
    doc["eligibility"][0]["when"] = True
    find(plan_problems(doc), "$.eligibility[0].when", "expected text, got true", rule="ramped")


def test_eligibility_needs_when():
    doc = spec_plan()
    del doc["eligibility"][0]["when"]
    find(plan_problems(doc), "$.eligibility[0]", "missing required key 'when'", rule="ramped")


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize(("rate", "text"), [(-1, "at least 0"), ("6%", "expected a number")])
def test_rate_is_a_nonnegative_decimal(rate, text):
    doc = spec_plan()
    doc["rates"][0]["rate"] = rate
    find(plan_problems(doc), "$.rates[0].rate", text, rule="new-business")


def test_rate_is_required():
    doc = spec_plan()
    del doc["rates"][2]["rate"]
    find(plan_problems(doc), "$.rates[2]", "missing required key 'rate'", rule="default")


# --------------------------------------------------------------------------- many at once


def test_many_problems_are_all_listed_with_paths():
    text = """\
policy: Bad Plan
title: T
currency: usd
period: weekly
colour: blue
credit:
  - {id: owner, to: owner, share: 1.5}
rates:
  - {id: new, when: deal.typo == "new", rate: 0.06}
  - {id: new, rate: -1}
tiers:
  bands:
    - {id: b1, from: 0, to: 1, multiplier: 1, rate: 0.1}
    - {id: b2, from: 0.5, multiplier: 2}
gates:
  - {id: g1, when: deal.discount > 0.2, effect: {reduce: 2}}
clawbacks:
  - {id: c1, triggers: [churn], within_days: 10, within_months: 1, recover: some}
spifs:
  - {id: s1, amount: 0}
draw: {id: d1, amount: 100, recoverable: on}
"""
    with pytest.raises(InvalidPlan) as caught:
        load_plan(text)
    problems = list(caught.value.problems)
    expected = [
        ("$.colour", None),
        ("$.policy", None),
        ("$.currency", None),
        ("$.period", None),
        ("$.credit[0].share", "owner"),
        ("$.rates[0].when", "new"),
        ("$.rates[1].id", "new"),
        ("$.rates[1].rate", "new"),
        ("$.tiers.bands[0]", "b1"),
        ("$.tiers.bands[1].from", "b2"),
        ("$.gates[0].effect.reduce", "g1"),
        ("$.clawbacks[0]", "c1"),
        ("$.clawbacks[0].recover", "c1"),
        ("$.spifs[0].amount", "s1"),
        ("$.draw.recoverable", "d1"),
    ]
    for path, rule in expected:
        find(problems, path, rule=rule)
    assert all(p.severity == "error" for p in problems)
    assert len(problems) == len(expected)
    assert find(problems, "$.rates[0].when").position == 1


# --------------------------------------------------------------------------- YAML traps


def test_yaml11_traps_in_a_plan():
    text = (
        SPEC_PLAN.replace("title: Account Executive plan FY2026", "title: no")
        .replace("rate: 0.04", "rate: 004")
        .replace("share: 1", "share: 1e0")
        .replace("amount: 500", "amount: 0x1F4")
    )
    with pytest.raises(InvalidPlan) as caught:
        load_plan(text)
    problems = list(caught.value.problems)
    find(problems, "$.rates[1].rate", "expected a number, got the text '004'", "expansion")
    find(problems, "$.spifs[0].amount", "expected a number, got the text '0x1F4'", "multi-year")
    assert len(problems) == 2  # `title: no` is the text "no"; 1e0 is the number 1


def test_yaml_exact_decimals_reach_the_plan():
    plan = load_plan(SPEC_PLAN.replace("rate: 0.06", "rate: 0.1").replace("share: 1", "share: 1e0"))
    assert plan.rates[0].rate == Decimal("0.1") and plan.credit[0].share == 1


def test_duplicate_key_in_a_plan_is_an_error():
    text = SPEC_PLAN.replace("    rate: 0.06\n", "    rate: 0.06\n    rate: 0.6\n")
    with pytest.raises(InvalidPlan) as caught:
        load_plan(text)
    (problem,) = caught.value.problems
    assert problem.path == "line 16, column 5"
    assert problem.message == "duplicate key 'rate' (first at line 15, column 5)"
