"""The structural plan diff, by rule id, on small documents (no database)."""

from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.plans.diff import diff_documents
from rules.document import load_plan

BASE = {
    "policy": "ae-plan",
    "title": "AE plan",
    "currency": "USD",
    "period": "quarter",
    "credit": [{"id": "owner", "to": "owner", "share": 1}],
    "rates": [
        {"id": "new-business", "when": 'deal.type == "new"', "rate": Decimal("0.06")},
        {"id": "expansion", "when": 'deal.type == "expansion"', "rate": Decimal("0.04")},
        {"id": "default", "rate": Decimal("0.02")},
    ],
    "tiers": {
        "basis": "attainment",
        "mode": "marginal",
        "bands": [
            {"id": "base", "from": 0, "to": 1, "multiplier": 1},
            {"id": "accelerator", "from": 1, "multiplier": Decimal("1.5")},
        ],
    },
    "gates": [{"id": "margin-floor", "when": "deal.gross_margin < 0.25", "effect": "block"}],
    "caps": {"per_deal": 25000},
    "draw": {"id": "ramp-draw", "amount": 2000, "recoverable": True},
}


def changed(**edits):
    doc = copy.deepcopy(BASE)
    for key, value in edits.items():
        doc[key] = value
    return doc


def test_identical_documents_have_an_empty_diff():
    diff = diff_documents(BASE, copy.deepcopy(BASE))
    assert diff.unchanged
    assert diff.as_dict() == {"unchanged": True, "fields": [], "sections": {}}


def test_numbers_written_differently_are_equal():
    other = copy.deepcopy(BASE)
    other["rates"][0]["rate"] = Decimal("0.060")
    other["caps"]["per_deal"] = Decimal("25000.00")
    assert diff_documents(BASE, other).unchanged


def test_a_changed_rate_is_a_field_change_of_that_rule():
    other = copy.deepcopy(BASE)
    other["rates"][1]["rate"] = Decimal("0.05")
    result = diff_documents(BASE, other).as_dict()
    assert result["fields"] == []
    assert result["sections"] == {
        "rates": {
            "added": [],
            "removed": [],
            "changed": [
                {"id": "expansion", "fields": [{"path": "rate", "before": "0.04", "after": "0.05"}]}
            ],
        }
    }


def test_added_removed_and_a_field_dropped_from_a_rule():
    other = copy.deepcopy(BASE)
    other["rates"] = [
        {"id": "new-business", "rate": Decimal("0.06")},  # its `when` is gone
        {"id": "renewal", "when": 'deal.type == "renewal"', "rate": Decimal("0.01")},
        {"id": "default", "rate": Decimal("0.02")},
    ]
    rates = diff_documents(BASE, other).sections["rates"]
    assert [a["id"] for a in rates.added] == ["renewal"]
    assert rates.added[0]["rule"]["rate"] == "0.01"
    assert [r["id"] for r in rates.removed] == ["expansion"]
    (change,) = rates.changed
    assert change.id == "new-business"
    assert [f.as_dict() for f in change.fields] == [
        {"path": "when", "before": 'deal.type == "new"', "after": None}
    ]
    assert rates.reordered is None  # new-business still comes before default


def test_reordering_rates_is_reported_because_the_first_match_wins():
    other = copy.deepcopy(BASE)
    other["rates"] = [other["rates"][1], other["rates"][0], other["rates"][2]]
    rates = diff_documents(BASE, other).sections["rates"]
    assert not rates.added and not rates.removed and not rates.changed
    assert rates.reordered == (
        ["new-business", "expansion", "default"],
        ["expansion", "new-business", "default"],
    )


def test_top_level_scalars_caps_and_tier_settings():
    other = changed(currency="EUR", period="month", title="AE plan FY27")
    other["caps"] = {"per_deal": 30000, "per_period": 150000}
    other["tiers"]["mode"] = "retroactive"
    fields = [f.as_dict() for f in diff_documents(BASE, other).fields]
    assert fields == [
        {"path": "title", "before": "AE plan", "after": "AE plan FY27"},
        {"path": "currency", "before": "USD", "after": "EUR"},
        {"path": "period", "before": "quarter", "after": "month"},
        {"path": "caps.per_deal", "before": "25000", "after": "30000"},
        {"path": "caps.per_period", "before": None, "after": "150000"},
        {"path": "tiers.mode", "before": "marginal", "after": "retroactive"},
    ]


def test_tier_bands_by_id_draw_and_gate_effects():
    other = copy.deepcopy(BASE)
    other["tiers"]["bands"][1]["multiplier"] = 2
    other["tiers"]["bands"].append({"id": "stretch", "from": 2, "multiplier": 3})
    other["draw"]["recoverable"] = False
    other["gates"][0]["effect"] = {"reduce": Decimal("0.5")}
    sections = diff_documents(BASE, other).as_dict()["sections"]
    assert sections["tiers.bands"]["changed"] == [
        {"id": "accelerator", "fields": [{"path": "multiplier", "before": "1.5", "after": "2"}]}
    ]
    assert [a["id"] for a in sections["tiers.bands"]["added"]] == ["stretch"]
    assert sections["draw"]["changed"][0]["fields"] == [
        {"path": "recoverable", "before": True, "after": False}
    ]
    assert sections["gates"]["changed"][0]["fields"] == [
        {"path": "effect", "before": "block", "after": {"reduce": "0.5"}}
    ]


def test_a_section_that_appears_or_disappears_entirely():
    other = copy.deepcopy(BASE)
    del other["draw"]
    other["spifs"] = [{"id": "multi-year", "when": "deal.term_months >= 24", "amount": 500}]
    sections = diff_documents(BASE, other).sections
    assert [r["id"] for r in sections["draw"].removed] == ["ramp-draw"]
    assert [r["id"] for r in sections["spifs"].added] == ["multi-year"]


def test_documents_from_the_loader_diff_like_mappings():
    text = """\
policy: ae-plan
title: AE plan
currency: USD
period: quarter
credit: [{id: owner, to: owner, share: 1}]
rates: [{id: default, rate: 0.020}]
"""
    before = load_plan(text).document
    after = load_plan(text.replace("0.020", "0.025")).document
    (change,) = diff_documents(before, after).sections["rates"].changed
    assert change.fields[0].as_dict() == {"path": "rate", "before": "0.02", "after": "0.025"}


rule_ids = st.sampled_from(["a", "b", "c", "d", "e", "f"])
rates = st.sampled_from(["0.01", "0.02", "0.05", "0.1"])
rate_lists = st.lists(st.tuples(rule_ids, rates), unique_by=lambda r: r[0], max_size=6)


@settings(max_examples=200, deadline=None)
@given(before=rate_lists, after=rate_lists)
def test_diff_by_id_agrees_with_set_arithmetic_and_is_symmetric(before, after):
    a = changed(rates=[{"id": i, "rate": Decimal(r)} for i, r in before])
    b = changed(rates=[{"id": i, "rate": Decimal(r)} for i, r in after])
    old, new = dict(before), dict(after)
    forward = diff_documents(a, b).sections.get("rates")
    backward = diff_documents(b, a).sections.get("rates")
    if forward is None:
        assert backward is None
        assert before == after
        return
    assert {x["id"] for x in forward.added} == set(new) - set(old)
    assert {x["id"] for x in forward.removed} == set(old) - set(new)
    assert {c.id for c in forward.changed} == {i for i in old if i in new and old[i] != new[i]}
    assert {x["id"] for x in backward.added} == {x["id"] for x in forward.removed}
    for change in forward.changed:
        (field_change,) = change.fields
        assert (field_change.before, field_change.after) == (old[change.id], new[change.id])
