"""Evaluation data (spec section 3): typed loading, every rejection with its path, the inverse."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from rules.canonical import canonical_json
from rules.data import data_to_json, load_data
from rules.model import FxRate, PayoutException, SplitEntry, SplitOverride, TeamMember, Touchpoint
from rules.validation import child
from tests.unit.plandocs import data, data_problems, find


def test_spec_example_loads_typed():
    loaded = load_data(data())
    ana = loaded.participants[0]
    assert (ana.id, ana.hire_date, ana.manager) == ("ana", date(2025, 1, 15), "mia")
    assert ana.assignments[0].start == date(2026, 1, 1) and ana.assignments[0].end is None
    assert loaded.quotas[0].amount == Decimal(300000) and loaded.quotas[0].period == "2026-Q3"
    deal = loaded.deals[0]
    assert deal.amount == Decimal("120000") and deal.gross_margin == Decimal("0.42")
    assert deal.term_months == 12 and deal.products == ("core",) and deal.splits is None
    assert deal.team == (TeamMember("sam", "SE"),)
    assert deal.touchpoints == (Touchpoint("mo", date(2026, 3, 2), "webinar"),)
    assert deal.cash_collected_date == date(2026, 8, 1) and deal.attributes == {"csat": 9}
    assert loaded.events[0].date == date(2026, 10, 2) and loaded.events[0].amount is None
    assert loaded.exceptions[0] == PayoutException(
        id="EX-1", kind="waive_gate", deal="D-1", gate="margin-floor"
    )
    assert loaded.fx == (FxRate("EUR/USD", Decimal("1.08")),)


def test_json_text_numbers_and_strings_are_exact():
    text = json.dumps(data()).replace('"120000"', "120000.10").replace('"0.42"', "0.420")
    deal = load_data(text).deals[0]
    assert deal.amount == Decimal("120000.10") and str(deal.gross_margin) == "0.420"


def test_floats_from_a_caller_are_read_by_their_literal():
    obj = data()
    obj["deals"][0]["discount"] = 0.1
    assert load_data(obj).deals[0].discount == Decimal("0.1")


def test_empty_data_is_valid():
    loaded = load_data({})
    assert loaded.participants == () and loaded.fx == ()


def test_top_level_must_be_a_mapping():
    find(data_problems([]), "$", "expected a data mapping")
    find(data_problems("[1,"), "line 1, column 4")


def test_unknown_keys_are_errors_except_in_attributes():
    obj = data()
    obj["deals"][0]["cash_colected_date"] = "2026-08-01"
    obj["participants"][0]["assignments"][0]["quota"] = 1
    obj["payouts"] = []
    obj["deals"][0]["attributes"]["anything_goes"] = {"nested": [1, 2]}
    problems = data_problems(obj)
    find(problems, "$.deals[0].cash_colected_date", "did you mean 'cash_collected_date'?")
    find(problems, "$.participants[0].assignments[0].quota", "unknown key")
    find(problems, "$.payouts", "unknown key")
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("section", "key", "path"),
    [
        ("participants", "id", "$.participants[0]"),
        ("quotas", "amount", "$.quotas[0]"),
        ("deals", "id", "$.deals[0]"),
        ("deals", "amount", "$.deals[0]"),
        ("deals", "currency", "$.deals[0]"),
        ("deals", "close_date", "$.deals[0]"),
        ("deals", "owner", "$.deals[0]"),
        ("events", "kind", "$.events[0]"),
        ("events", "date", "$.events[0]"),
    ],
)
def test_missing_required_fields(section, key, path):
    obj = data()
    del obj[section][0][key]
    find(data_problems(obj), path, f"missing required key {key!r}")


def test_assignment_requires_plan_and_start():
    obj = data()
    obj["participants"][0]["assignments"] = [{"role": "AE"}]
    problems = data_problems(obj)
    find(problems, "$.participants[0].assignments[0]", "missing required key 'plan'")
    find(problems, "$.participants[0].assignments[0]", "missing required key 'start'")


@pytest.mark.parametrize(
    ("change", "path", "text"),
    [
        (("deals", "amount", "-1"), "$.deals[0].amount", "at least 0"),
        (("deals", "amount", "12k"), "$.deals[0].amount", "expected a number"),
        (("deals", "amount", True), "$.deals[0].amount", "expected a number, got true"),
        (("deals", "currency", "usd"), "$.deals[0].currency", "3-letter currency"),
        (("deals", "close_date", "2026-02-30"), "$.deals[0].close_date", "YYYY-MM-DD"),
        (("deals", "close_date", "14/07/2026"), "$.deals[0].close_date", "YYYY-MM-DD"),
        (("deals", "close_date", "20260714"), "$.deals[0].close_date", "YYYY-MM-DD"),
        (("deals", "term_months", "12.5"), "$.deals[0].term_months", "whole number"),
        (("deals", "products", "core"), "$.deals[0].products", "expected a list"),
        (("deals", "owner", 7), "$.deals[0].owner", "expected text"),
        (("quotas", "period", "2026-Q5"), "$.quotas[0].period", "is not a period"),
        (("quotas", "amount", "-300"), "$.quotas[0].amount", "at least 0"),
        (("events", "amount", "-1"), "$.events[0].amount", "at least 0"),
        (("events", "date", None), "$.events[0].date", "YYYY-MM-DD"),
        (("participants", "hire_date", "2025"), "$.participants[0].hire_date", "YYYY-MM-DD"),
        (("participants", "attributes", [1]), "$.participants[0].attributes", "a mapping"),
    ],
)
def test_bad_values(change, path, text):
    section, key, value = change
    obj = data()
    obj[section][0][key] = value
    find(data_problems(obj), path, text)


def test_assignment_end_before_start():
    obj = data()
    obj["participants"][0]["assignments"][0]["end"] = "2025-12-31"
    find(data_problems(obj), "$.participants[0].assignments[0].end", "before it starts")


def test_unknown_participant_references_everywhere():
    obj = data()
    obj["participants"] = [p for p in obj["participants"] if p["id"] == "ana"]
    obj["deals"][0]["splits"] = [
        {"participant": "ana", "share": "0.5"},
        {"participant": "zed", "share": "0.5"},
    ]
    obj["quotas"][0]["participant"] = "quinn"
    obj["exceptions"].append(
        {
            "id": "EX-2",
            "kind": "adjustment",
            "participant": "ada",
            "plan": "ae-plan",
            "period": "2026-Q3",
            "amount": "-50",
            "reason": "correction",
        }
    )
    problems = data_problems(obj)
    for path, who in [
        ("$.participants[0].manager", "mia"),
        ("$.quotas[0].participant", "quinn"),
        ("$.deals[0].splits[1].participant", "zed"),
        ("$.deals[0].team[0].participant", "sam"),
        ("$.deals[0].touchpoints[0].participant", "mo"),
        ("$.exceptions[1].participant", "ada"),
    ]:
        find(problems, path, f"unknown participant {who!r}")
    assert len(problems) == 6


def test_unknown_deal_references():
    obj = data()
    obj["events"][0]["deal"] = "D-9"
    obj["exceptions"][0]["deal"] = "D-8"
    problems = data_problems(obj)
    find(problems, "$.events[0].deal", "unknown deal 'D-9'")
    find(problems, "$.exceptions[0].deal", "unknown deal 'D-8'")


def test_splits_must_sum_to_exactly_one():
    obj = data()
    obj["deals"][0]["splits"] = [
        {"participant": "ana", "share": "0.6"},
        {"participant": "sam", "share": "0.3"},
    ]
    find(data_problems(obj), "$.deals[0].splits", "sum to exactly 1, they sum to 0.9")


def test_splits_that_sum_to_one_load():
    obj = data()
    obj["deals"][0]["splits"] = [
        {"participant": "ana", "share": "0.7"},
        {"participant": "sam", "share": 0.3},
    ]
    assert load_data(obj).deals[0].splits == (
        SplitEntry("ana", Decimal("0.7")),
        SplitEntry("sam", Decimal("0.3")),
    )


def test_split_entries_checked():
    obj = data()
    obj["deals"][0]["splits"] = [
        {"participant": "ana", "share": "0.5"},
        {"participant": "ana", "share": "0.5", "note": "x"},
        {"participant": "sam", "share": "0"},
    ]
    problems = data_problems(obj)
    find(problems, "$.deals[0].splits[1].note", "unknown key")
    find(problems, "$.deals[0].splits[2].share", "more than 0")


def test_duplicate_participant_in_splits():
    obj = data()
    obj["deals"][0]["splits"] = [
        {"participant": "ana", "share": "0.5"},
        {"participant": "ana", "share": "0.5"},
    ]
    find(data_problems(obj), "$.deals[0].splits", "'ana' appears more than once")


def test_duplicate_ids_and_quotas():
    obj = data()
    obj["participants"].append({"id": "ana"})
    obj["deals"].append(dict(obj["deals"][0]))
    obj["exceptions"].append(dict(obj["exceptions"][0]))
    obj["quotas"].append(dict(obj["quotas"][0], amount="1"))
    problems = data_problems(obj)
    find(problems, "$.participants[4].id", "duplicate id 'ana' (first at $.participants[0])")
    find(problems, "$.deals[1].id", "duplicate id 'D-1'")
    find(problems, "$.exceptions[1].id", "duplicate id 'EX-1'")
    find(problems, "$.quotas[1]", "duplicate quota for ana on ae-plan in 2026-Q3")
    assert len(problems) == 4


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("EURUSD", "1.08", "not a currency pair"),
        ("eur/usd", "1.08", "not a currency pair"),
        ("USD/USD", "1", "into itself"),
        ("EUR/USD", "0", "more than 0"),
        ("EUR/USD", "-1.08", "more than 0"),
        ("EUR/USD", "abc", "expected a number"),
    ],
)
def test_fx(key, value, text):
    obj = data()
    obj["fx"] = {key: value}
    find(data_problems(obj), child("$.fx", key), text)


def test_fx_must_be_a_mapping_or_a_list_of_dated_rates():
    obj = data()
    obj["fx"] = "EUR/USD 1.08"
    find(data_problems(obj), "$.fx", "or a list of dated rates")
    obj["fx"] = [["EUR/USD", "1.08"]]
    find(data_problems(obj), "$.fx[0]", "expected a dated rate")


# --------------------------------------------------------------------------- exceptions


def _exception(**fields):
    obj = data()
    obj["exceptions"] = [{"id": "EX-9", **fields}]
    return obj


def test_every_exception_kind_loads():
    obj = data()
    obj["exceptions"] = [
        {"id": "E1", "kind": "waive_gate", "deal": "D-1", "gate": "margin-floor"},
        {"id": "E2", "kind": "waive_clawback", "deal": "D-1", "clawback": "early-churn"},
        {
            "id": "E3",
            "kind": "override_split",
            "deal": "D-1",
            "plan": "ae-plan",
            "credits": [
                {"participant": "ana", "share": "0.6"},
                {"participant": "sam", "share": "0.4"},
            ],
        },
        {
            "id": "E4",
            "kind": "adjustment",
            "participant": "ana",
            "plan": "ae-plan",
            "period": "2026-Q3",
            "amount": "-150.50",
            "reason": "double-counted deal",
        },
    ]
    exceptions = load_data(obj).exceptions
    assert exceptions[1].clawback == "early-churn"
    assert exceptions[2].credits == (
        SplitOverride("ana", Decimal("0.6")),
        SplitOverride("sam", Decimal("0.4")),
    )
    assert exceptions[3].amount == Decimal("-150.50") and exceptions[3].period == "2026-Q3"


@pytest.mark.parametrize(
    ("fields", "path", "text"),
    [
        ({"kind": "waive_gate", "deal": "D-1"}, "$.exceptions[0]", "missing required key 'gate'"),
        (
            {"kind": "waive_gate", "deal": "D-1", "gate": "g", "clawback": "c"},
            "$.exceptions[0].clawback",
            "unknown key",
        ),
        ({"kind": "bonus", "deal": "D-1"}, "$.exceptions[0].kind", "expected one of waive_gate"),
        (
            {"kind": "override_split", "deal": "D-1", "plan": "p", "credits": []},
            "$.exceptions[0].credits",
            "at least one credit",
        ),
        (
            {
                "kind": "override_split",
                "deal": "D-1",
                "plan": "p",
                "credits": [{"participant": "ana", "share": 1}, {"participant": "sam", "share": 1}],
            },
            "$.exceptions[0].credits",
            "at most 1, they sum to 2",
        ),
        (
            {
                "kind": "adjustment",
                "participant": "ana",
                "plan": "p",
                "period": "Q3",
                "amount": "5",
                "reason": "x",
            },
            "$.exceptions[0].period",
            "is not a period",
        ),
        (
            {"kind": "adjustment", "participant": "ana", "plan": "p", "period": "2026-Q3"},
            "$.exceptions[0]",
            "missing required key 'reason'",
        ),
    ],
)
def test_bad_exceptions(fields, path, text):
    find(data_problems(_exception(**fields)), path, text)


def test_exception_needs_an_id():
    obj = data()
    del obj["exceptions"][0]["id"]
    find(data_problems(obj), "$.exceptions[0]", "missing required key 'id'")


# --------------------------------------------------------------------------- many, inverse


def test_many_problems_are_all_listed_with_paths():
    obj = data()
    obj["participants"][0]["hire_date"] = "yesterday"
    obj["quotas"][0]["amount"] = "-1"
    obj["deals"][0]["amount"] = "-5"
    obj["deals"][0]["currency"] = "dollars"
    obj["deals"][0]["owner"] = "nobody"
    obj["deals"][0]["colour"] = "red"
    obj["events"][0]["deal"] = "D-404"
    obj["fx"] = {"EUR/USD": "0"}
    problems = data_problems(obj)
    paths = [p.path for p in problems]
    assert paths == [
        "$.participants[0].hire_date",
        "$.quotas[0].amount",
        "$.deals[0].colour",
        "$.deals[0].amount",
        "$.deals[0].currency",
        '$.fx["EUR/USD"]',
        "$.deals[0].owner",
        "$.events[0].deal",
    ]


def test_data_to_json_is_the_inverse():
    obj = data()
    obj["deals"][0]["splits"] = [
        {"participant": "ana", "share": "0.75"},
        {"participant": "sam", "share": "0.25"},
    ]
    obj["deals"][0]["attributes"] = {"score": Decimal("4.50"), "tags": ["a"], "ok": True}
    obj["exceptions"].append(
        {
            "id": "EX-2",
            "kind": "override_split",
            "deal": "D-1",
            "plan": "ae-plan",
            "credits": [{"participant": "sam", "share": "1"}],
        }
    )
    loaded = load_data(obj)
    out = data_to_json(loaded)
    assert load_data(out) == loaded
    # canonical_json writes the DecimalText in attributes as a JSON number: same data back.
    assert load_data(canonical_json(out)) == loaded
    assert json.loads(json.dumps(out)) == out  # plain json can write it too
    assert out["deals"][0]["amount"] == "120000" and out["deals"][0]["splits"][0]["share"] == "0.75"
    assert out["deals"][0]["attributes"]["score"] == "4.50"
    assert load_data(out).deals[0].attributes["score"] == Decimal("4.50")
    assert json.dumps(data_to_json(loaded)) == json.dumps(out)  # deterministic
