"""Plan documents, the money rules: tiers and bands, gates, caps, clawbacks, spifs and the
draw; every validation rule rejects its bad case (the rest: test_document.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.document import load_plan, plan_from_mapping
from rules.problems import InvalidPlan
from tests.unit.plandocs import SPEC_PLAN, find, plan_problems, spec_plan

# --------------------------------------------------------------------------- tiers


def test_tier_basis_and_mode():
    doc = spec_plan()
    doc["tiers"]["basis"] = "revenue"
    doc["tiers"]["mode"] = "cumulative"
    problems = plan_problems(doc)
    find(problems, "$.tiers.basis", "attainment, credited, deal")
    find(problems, "$.tiers.mode", "marginal, retroactive")


def test_tiers_need_bands():
    doc = spec_plan()
    doc["tiers"] = {"bands": []}
    find(plan_problems(doc), "$.tiers.bands", "at least one rule")


def test_band_needs_exactly_one_of_multiplier_or_rate():
    doc = spec_plan()
    doc["tiers"]["bands"][0]["rate"] = Decimal("0.01")
    del doc["tiers"]["bands"][1]["multiplier"]
    problems = plan_problems(doc)
    find(problems, "$.tiers.bands[0]", "exactly one of multiplier or rate", "below-threshold")
    find(problems, "$.tiers.bands[1]", "exactly one of multiplier or rate", "base")


def test_band_to_above_from():
    doc = spec_plan()
    doc["tiers"]["bands"][1]["to"] = Decimal("0.5")
    find(plan_problems(doc), "$.tiers.bands[1].to", "more than from (0.5)", rule="base")


def test_band_from_not_negative():
    doc = spec_plan()
    doc["tiers"]["bands"][0]["from"] = -1
    find(plan_problems(doc), "$.tiers.bands[0].from", "at least 0")


def test_bands_sorted():
    doc = spec_plan()
    bands = doc["tiers"]["bands"]
    bands[1], bands[2] = bands[2], bands[1]
    find(plan_problems(doc), "$.tiers.bands[2].from", "sorted by from", rule="base")


def test_bands_do_not_overlap():
    doc = spec_plan()
    doc["tiers"]["bands"][2]["from"] = Decimal("0.9")
    find(plan_problems(doc), "$.tiers.bands[2].from", "overlaps band base", rule="accelerator")


def test_only_last_band_is_open():
    doc = spec_plan()
    del doc["tiers"]["bands"][1]["to"]
    find(plan_problems(doc), "$.tiers.bands[1].to", "only the last band may omit to", "base")


def test_band_gap_is_legal_at_load():
    doc = spec_plan()
    doc["tiers"]["bands"][2]["from"] = Decimal("1.1")  # credit in [1.0, 1.1) earns 0
    plan = plan_from_mapping(doc)
    assert plan.tiers.bands[2].lower == Decimal("1.1")


# --------------------------------------------------------------------------- gates


@pytest.mark.parametrize(
    ("effect", "path", "text"),
    [
        ({"reduce": Decimal("1.5")}, "$.gates[1].effect.reduce", "at most 1"),
        ({"reduce": Decimal("-0.1")}, "$.gates[1].effect.reduce", "at least 0"),
        ({"hold_until": "deal.amount"}, "$.gates[1].effect.hold_until", "expected a date field"),
        ("stop", "$.gates[1].effect", "expected block, {reduce: FACTOR}"),
        ({"reduce": Decimal("0.5"), "hold_until": "x"}, "$.gates[1].effect", "expected block"),
        ({"hold": "deal.close_date"}, "$.gates[1].effect.hold", "unknown gate effect 'hold'"),
    ],
)
def test_bad_gate_effects(effect, path, text):
    doc = spec_plan()
    doc["gates"][1]["effect"] = effect
    find(plan_problems(doc), path, text, rule="deep-discount")


def test_gate_effect_edges_and_attribute_dates():
    doc = spec_plan()
    doc["gates"][0]["effect"] = {"reduce": 0}
    doc["gates"][1]["effect"] = {"reduce": 1}
    doc["gates"][2]["effect"] = {"hold_until": "deal.attributes.go_live_date"}
    plan = plan_from_mapping(doc)
    assert [g.effect.factor for g in plan.gates[:2]] == [Decimal(0), Decimal(1)]
    assert plan.gates[2].effect.hold_field == "deal.attributes.go_live_date"


def test_gate_needs_effect():
    doc = spec_plan()
    del doc["gates"][2]["effect"]
    find(plan_problems(doc), "$.gates[2]", "missing required key 'effect'", rule="pay-on-cash")


# --------------------------------------------------------------------------- caps, clawbacks


@pytest.mark.parametrize("amount", [0, -100, "lots"])
def test_caps_are_positive(amount):
    doc = spec_plan()
    doc["caps"]["per_period"] = amount
    find(plan_problems(doc), "$.caps.per_period")


def test_caps_must_be_a_mapping():
    doc = spec_plan()
    doc["caps"] = 25000
    find(plan_problems(doc), "$.caps", "expected a mapping with per_deal")


@pytest.mark.parametrize(
    ("change", "path", "text"),
    [
        ({"triggers": []}, "$.clawbacks[0].triggers", "at least one event kind"),
        ({"triggers": "churn"}, "$.clawbacks[0].triggers", "expected a list of event kinds"),
        ({"triggers": ["churn", "churn"]}, "$.clawbacks[0].triggers[1]", "listed twice"),
        ({"triggers": ["churn", 3]}, "$.clawbacks[0].triggers[1]", "expected an event kind"),
        ({"within_months": 6}, "$.clawbacks[0]", "exactly one of within_days or within_months"),
        ({"within_days": 0}, "$.clawbacks[0].within_days", "at least 1"),
        ({"within_days": Decimal("1.5")}, "$.clawbacks[0].within_days", "whole number"),
        ({"recover": "half"}, "$.clawbacks[0].recover", "expected one of full, prorated"),
    ],
)
def test_bad_clawbacks(change, path, text):
    doc = spec_plan()
    doc["clawbacks"][0].update(change)
    find(plan_problems(doc), path, text, rule="early-churn")


def test_clawback_needs_a_window():
    doc = spec_plan()
    del doc["clawbacks"][0]["within_days"]
    find(plan_problems(doc), "$.clawbacks[0]", "exactly one of within_days or within_months")


def test_clawback_in_months():
    doc = spec_plan()
    del doc["clawbacks"][0]["within_days"]
    doc["clawbacks"][0]["within_months"] = 6
    claw = plan_from_mapping(doc).clawbacks[0]
    assert (claw.within_days, claw.within_months) == (None, 6)


# --------------------------------------------------------------------------- spifs, draw


@pytest.mark.parametrize("amount", [0, -5, None])
def test_spif_amount_positive(amount):
    doc = spec_plan()
    doc["spifs"][0]["amount"] = amount
    find(plan_problems(doc), "$.spifs[0].amount", rule="multi-year")


def test_draw_recoverable_yes_is_not_a_boolean():
    # YAML 1.1 would read `yes` as true; here it stays text and is rejected.
    text = SPEC_PLAN.replace("recoverable: true", "recoverable: yes")
    with pytest.raises(InvalidPlan) as caught:
        load_plan(text)
    find(list(caught.value.problems), "$.draw.recoverable", "got the text 'yes'", "ramp-draw")


@pytest.mark.parametrize("until", ["2026-13-01", "31/12/2026", 20261231])
def test_draw_until_is_a_date(until):
    doc = spec_plan()
    doc["draw"]["until"] = until
    find(plan_problems(doc), "$.draw.until", "expected a date YYYY-MM-DD", rule="ramp-draw")


def test_draw_until_optional_and_nullable():
    doc = spec_plan()
    doc["draw"]["until"] = None
    assert plan_from_mapping(doc).draw.until is None


def test_draw_requires_amount_and_recoverable():
    doc = spec_plan()
    doc["draw"] = {"id": "d"}
    problems = plan_problems(doc)
    find(problems, "$.draw", "missing required key 'amount'", rule="d")
    find(problems, "$.draw", "missing required key 'recoverable'", rule="d")
