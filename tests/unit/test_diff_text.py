"""The readable plan diff (governance.plans.diff_text) on the example plans' version pairs:
the demo's changes of ae-plan, se-overlay and manager-rollup, and hand-made edits."""

from __future__ import annotations

import json

import yaml

from app.demo.history import (
    AE_PLAN_V1_EDITS,
    MANAGER_ROLLUP_V2_EDITS,
    SE_OVERLAY_V2_EDITS,
    edited,
    example_text,
)
from governance.plans.diff import diff_documents
from governance.plans.diff_text import changes, flatten, readable, value_text


def _pair(plan: str, edits) -> tuple[dict, dict]:
    text = example_text(plan)
    return yaml.safe_load(text), yaml.safe_load(edited(text, edits))


def _readable(before: dict, after: dict) -> dict:
    return readable(
        diff_documents(before, after).as_dict(), (after.get("tiers") or {}).get("basis")
    )


def _lines(rd: dict) -> list[str]:
    """Every line of the readable diff as the page says it."""
    out = [f"{f['path']}: {f['before']} -> {f['after']}" for f in rd["fields"]]
    for section in rd["sections"]:
        for e in section["entries"]:
            for line in e["lines"] + e["more"]:
                said = line.get("value") or f"{line['before']} -> {line['after']}"
                out.append(f"{section['name']}/{e['change']}/{e['id']}/{line['path']}: {said}")
    return out


def _no_blob(rd: dict) -> None:
    text = json.dumps(rd)
    for line in _lines(rd):
        assert "{" not in line and "[{" not in line, line
    assert text  # the structure itself is JSON-ready


def test_a_raised_cap_reads_as_amounts_and_the_renamed_test_is_listed_by_key_path():
    rd = _readable(*_pair("manager-rollup", MANAGER_ROLLUP_V2_EDITS))
    assert rd["fields"] == [{"path": "caps.per_period", "before": "2,500", "after": "3,500"}]
    [tests] = rd["sections"]
    assert tests["title"] == "Embedded tests"
    added = next(e for e in tests["entries"] if e["change"] == "added")
    assert added["id"] == "demo quarter reaches the raised period cap"
    assert added["headline"] == "period 2026-Q3, 1 expectation(s)"
    shown = {line["path"]: line["value"] for line in added["lines"] + added["more"]}
    assert shown["expect[0].payable"] == "3,500.00"
    assert shown["expect[0].lines[1].amount"] == "1,400.00"
    assert len(added["lines"]) == 8 and added["more"]  # the rest folds away
    _no_blob(rd)


def test_a_tier_rate_reads_as_percentages_and_tests_as_changed_key_paths():
    rd = _readable(*_pair("se-overlay", SE_OVERLAY_V2_EDITS))
    lines = _lines(rd)
    assert "tiers.bands/changed/high-volume/rate: 1.5% -> 2%" in lines
    assert any(line.endswith("expect[0].payable: 2,600.00 -> 3,200.00") for line in lines)
    assert any(line.endswith("expect[0].lines[0].rate: 1.5% -> 2%") for line in lines)
    _no_blob(rd)


def test_a_multiplier_reads_as_times():
    v1, v2 = _pair("ae-plan", AE_PLAN_V1_EDITS)
    lines = _lines(_readable(v1, v2))
    assert "tiers.bands/changed/accelerator/multiplier: x1.5 -> x1.25" in lines
    assert any(line.endswith("expect[0].held: 6,300.00 -> 5,850.00") for line in lines)


def test_added_removed_rules_gates_and_reordering_read_as_text():
    before = yaml.safe_load(example_text("ae-plan"))
    after = yaml.safe_load(example_text("ae-plan"))
    after["rates"] = [after["rates"][1], after["rates"][0], after["rates"][2]]
    after["rates"].append({"id": "renewal", "when": 'deal.type == "renewal"', "rate": 0.015})
    after["gates"][1]["effect"] = {"reduce": 0.6}
    after["gates"] = [g for g in after["gates"] if g["id"] != "pay-on-cash"]
    after["credit"][0]["to"] = {"team": "SE"}
    rd = _readable(before, after)
    rates = next(s for s in rd["sections"] if s["name"] == "rates")
    added = next(e for e in rates["entries"] if e["change"] == "added")
    assert added["headline"] == 'pays 1.5% when deal.type == "renewal"'
    reordered = next(e for e in rates["entries"] if e["change"] == "reordered")
    assert reordered["lines"][0]["after"] == "expansion, new-business, default"
    lines = _lines(rd)
    assert "gates/changed/deep-discount/effect: reduce to 50% -> reduce to 60%" in lines
    assert "gates/removed/pay-on-cash/effect: hold until deal.cash_collected_date" in lines
    assert "credit/changed/owner/to: splits -> each member of team SE" in lines
    _no_blob(rd)


def test_nested_values_become_key_paths_and_inline_data_is_counted():
    assert flatten({"tiers": [{"rate": "0.1"}, {"rate": "0.12"}]}) == [
        ("tiers[0].rate", "0.1"),
        ("tiers[1].rate", "0.12"),
    ]
    assert changes({"a": [{"rate": "0.10"}]}, {"a": [{"rate": "0.12"}]}) == [
        ("a[0].rate", "0.10", "0.12")
    ]
    data = {"deals": [{"id": "D-1"}, {"id": "D-2"}], "fx": {"EUR/USD": "1.08"}}
    assert flatten({"data": data}) == [("data", data)]
    assert value_text("data", data) == "deals (2), fx (1)"
    assert value_text("rate", None) == "(none)"
    assert value_text("triggers", ["cancellation", "churn"]) == "cancellation, churn"
    assert value_text("from", "1.0", basis="attainment") == "100%"


def test_no_previous_version_and_no_difference():
    assert readable(None)["sections"] == []
    plan = yaml.safe_load(example_text("csm-renewals"))
    rd = _readable(plan, plan)
    assert rd["unchanged"] is True and rd["sections"] == [] and rd["fields"] == []


def test_a_tier_change_gets_a_table_of_every_band_before_and_after():
    v1, v2 = _pair("ae-plan", AE_PLAN_V1_EDITS)
    diff = diff_documents(v1, v2).as_dict()
    rd = readable(diff, "attainment", (v1["tiers"]["bands"], v2["tiers"]["bands"]))
    [table] = [s["table"] for s in rd["sections"] if s["name"] == "tiers.bands"]
    assert [r["id"] for r in table] == ["below-threshold", "base", "accelerator", "stretch"]
    accelerator = table[2]
    assert accelerator["change"] == "changed"
    assert [c["after"] for c in accelerator["cells"]] == ["100%", "150%", "x1.25"]
    assert accelerator["cells"][2] == {"before": "x1.5", "after": "x1.25", "changed": True}
    assert table[3]["change"] == "same" and table[3]["cells"][1]["after"] == "and up"
