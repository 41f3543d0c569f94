"""Plan lint: errors pass through from validation; each warning fires on its own bad plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.canonical import dump_yaml
from rules.document import plan_from_mapping
from rules.lint import lint_plan
from tests.unit.plandocs import SPEC_PLAN, find, spec_plan


def warnings_of(doc) -> list:
    problems = lint_plan(plan_from_mapping(doc))
    assert all(p.severity == "warning" for p in problems)
    return problems


def codes(problems) -> list[str]:
    return [p.message.split("]")[0].lstrip("[") for p in problems]


def test_spec_example_is_clean():
    assert lint_plan(SPEC_PLAN) == []


def test_text_and_plan_give_the_same_answer():
    doc = spec_plan()
    doc["rates"].append({"id": "late", "rate": Decimal("0.01")})
    assert lint_plan(dump_yaml(doc)) == lint_plan(plan_from_mapping(doc))
    assert codes(lint_plan(dump_yaml(doc))) == ["unreachable-rate"]


def test_errors_are_returned_not_raised():
    problems = lint_plan(SPEC_PLAN.replace("rate: 0.04", "rate: -0.04").replace("USD", "usd"))
    assert {p.severity for p in problems} == {"error"}
    find(problems, "$.currency")
    find(problems, "$.rates[1].rate", "at least 0", rule="expansion")


def test_malformed_text_is_an_error():
    (problem,) = lint_plan("policy: [unclosed\n")
    assert problem.severity == "error" and problem.path.startswith("line 2")


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["credit"][0].update(share=Decimal("1.5")), "$.credit[0].share"),
        (lambda d: d["gates"][1].update(effect={"reduce": 2}), "$.gates[1].effect.reduce"),
        (
            lambda d: d["tiers"]["bands"][2].update({"from": Decimal("0.8")}),
            "$.tiers.bands[2].from",
        ),
        (lambda d: d["spifs"][0].update(id="default"), "$.spifs[0].id"),
        (lambda d: d.update(colour="blue"), "$.colour"),
    ],
)
def test_lint_errors_for_bad_documents(mutate, path):
    doc = spec_plan()
    mutate(doc)
    problems = lint_plan(dump_yaml(doc))
    assert problems and all(p.severity == "error" for p in problems)
    find(problems, path)


def test_rate_after_unconditional_rule_is_unreachable():
    doc = spec_plan()
    doc["rates"].append({"id": "partner", "when": 'deal.type == "partner"', "rate": 1})
    problems = warnings_of(doc)
    problem = find(problems, "$.rates[3]", "rule default before it has no when", rule="partner")
    assert problem.severity == "warning"


def test_rate_with_the_same_condition_is_unreachable():
    doc = spec_plan()
    doc["rates"][1]["when"] = 'deal.type=="new"'
    find(warnings_of(doc), "$.rates[1]", "rule new-business before it has the same when")


def test_no_default_rate():
    doc = spec_plan()
    del doc["rates"][2]
    assert codes(warnings_of(doc)) == ["no-default-rate"]
    doc["rates"] = []
    find(warnings_of(doc), "$.rates", "[no-default-rate]")


def test_conditions_that_never_match():
    doc = spec_plan()
    doc["gates"][0]["when"] = "deal.amount < 0"
    doc["spifs"][0]["when"] = "deal.term_months >= 24 and deal.term_months < 12"
    problems = warnings_of(doc)
    find(problems, "$.gates[0].when", "[never-matches]", rule="margin-floor")
    find(problems, "$.spifs[0].when", "[never-matches]", rule="multi-year")


def test_band_gap_start_and_end():
    doc = spec_plan()
    bands = doc["tiers"]["bands"]
    bands[0]["from"] = Decimal("0.1")
    bands[2]["from"] = Decimal("1.1")
    bands[3]["to"] = 3
    problems = warnings_of(doc)
    find(problems, "$.tiers.bands[0].from", "below 0.1 falls in no band", "below-threshold")
    find(problems, "$.tiers.bands[2].from", "from 1 to 1.1", rule="accelerator")
    find(problems, "$.tiers.bands[3].to", "at or above 3", rule="stretch")
    assert codes(problems) == ["band-start", "band-gap", "band-end"]


def test_rate_over_one_looks_like_a_percentage():
    doc = spec_plan()
    doc["rates"][0]["rate"] = 6
    doc["tiers"]["bands"][3] = {"id": "stretch", "from": Decimal("1.5"), "rate": 8}
    problems = warnings_of(doc)
    find(problems, "$.rates[0].rate", "0.06, not 6", rule="new-business")
    find(problems, "$.tiers.bands[3].rate", "[rate-over-one]", rule="stretch")


def test_conditional_credit_may_exceed_one():
    doc = spec_plan()
    doc["credit"].append(
        {
            "id": "mgr",
            "to": {"manager_of": "owner"},
            "share": Decimal("0.2"),
            "when": "deal.amount > 1",
        }
    )
    (problem,) = warnings_of(doc)
    assert problem.path == "$.credit" and "1.2 of a deal" in problem.message


def test_block_gate_without_condition():
    doc = spec_plan()
    del doc["gates"][0]["when"]
    find(warnings_of(doc), "$.gates[0]", "[gate-blocks-all]", rule="margin-floor")


def test_shadowed_clawback_trigger():
    doc = spec_plan()
    doc["clawbacks"].append(
        {"id": "late-churn", "triggers": ["churn"], "within_months": 12, "recover": "full"}
    )
    find(warnings_of(doc), "$.clawbacks[1].triggers[0]", "early-churn before", rule="late-churn")


def test_per_deal_cap_at_or_above_period_cap():
    doc = spec_plan()
    doc["caps"]["per_deal"] = 150000
    find(warnings_of(doc), "$.caps.per_deal", "[per-deal-cap-unused]")


def test_attainment_bands_written_as_percentages():
    doc = spec_plan()
    for band, (low, high) in zip(
        doc["tiers"]["bands"], [(0, 50), (50, 100), (100, 150), (150, None)], strict=True
    ):
        band["from"] = low
        if high is None:
            band.pop("to", None)
        else:
            band["to"] = high
    (problem,) = warnings_of(doc)
    assert problem.path == "$.tiers.bands[0]" and "[band-percent]" in problem.message
    assert "5000% of quota" in problem.message


def test_credited_bands_in_money_are_not_percentages():
    doc = spec_plan()
    doc["tiers"]["basis"] = "credited"
    doc["tiers"]["bands"] = [
        {"id": "low", "from": 0, "to": 100000, "multiplier": 1},
        {"id": "high", "from": 100000, "multiplier": 2},
    ]
    assert warnings_of(doc) == []


def test_reduce_by_one_or_to_zero():
    doc = spec_plan()
    doc["gates"][0]["effect"] = {"reduce": 0}
    doc["gates"][1]["effect"] = {"reduce": 1}
    problems = warnings_of(doc)
    find(problems, "$.gates[0].effect.reduce", "use block", rule="margin-floor")
    find(problems, "$.gates[1].effect.reduce", "changes nothing", rule="deep-discount")


def test_hold_until_close_date_never_holds():
    doc = spec_plan()
    doc["gates"][2]["effect"] = {"hold_until": "deal.close_date"}
    find(warnings_of(doc), "$.gates[2].effect.hold_until", "[hold-never-holds]", "pay-on-cash")


def test_draw_until_mid_period():
    doc = spec_plan()
    doc["draw"]["until"] = "2026-11-15"
    problem = find(warnings_of(doc), "$.draw.until", "[draw-until-mid-period]", "ramp-draw")
    assert "all of 2026-Q4 (until 2026-12-31)" in problem.message
