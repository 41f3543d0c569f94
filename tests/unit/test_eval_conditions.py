"""Conditions the contract allows, evaluated end to end on both engines (issue 17, item 7)."""

from __future__ import annotations

import pytest

from tests.unit.test_eval_helpers import D, amounts, data, deal, person, plan, run, statement


@pytest.mark.parametrize("engine", ["durable", "python"])
def test_literal_on_the_left_and_null_in_a_list(engine):
    """`100000 <= deal.amount` was rejected; it is `deal.amount >= 100000`. D1: 100,000 x
    0.06 = 6,000.00; D2 99,999.99 fails it, and its type is null so `deal.type in
    ["upsell", null]` gives 0.04: 3,999.9996 -> 4,000.00; D3 (type "new"): 0.02 x 1,000 =
    20.00."""
    the_plan = plan(
        rates=[
            {"id": "big", "when": "100000 <= deal.amount", "rate": D("0.06")},
            {"id": "untyped", "when": 'deal.type in ["upsell", null]', "rate": D("0.04")},
            {"id": "default", "rate": D("0.02")},
        ]
    )
    the_data = data(
        [
            deal("D1", 100000, "2026-07-01", type="new"),
            deal("D2", "99999.99", "2026-07-02"),
            deal("D3", 1000, "2026-07-03", type="new"),
        ]
    )
    assert amounts(statement(run(the_plan, the_data, engine=engine))) == [
        "6000.00",
        "4000.00",
        "20.00",
    ]


@pytest.mark.parametrize("engine", ["durable", "python"])
def test_field_versus_field_eligibility(engine):
    """Decision (docs/conditions.md, "Two fields"): `participant.region == deal.region`.
    ana (EMEA) is credited for an EMEA deal (1,000 x 0.10 = 100.00) and for an AMER one
    (ineligible, 0.00); a deal without a region is ineligible too (null is never equal)."""
    the_plan = plan(eligibility=[{"id": "own-region", "when": "participant.region == deal.region"}])
    the_data = data(
        [
            deal("D1", 1000, "2026-07-01", region="EMEA"),
            deal("D2", 1000, "2026-07-02", region="AMER"),
            deal("D3", 1000, "2026-07-03"),
        ],
        participants=[person("ana", region="EMEA")],
    )
    st = statement(run(the_plan, the_data, engine=engine))
    assert [(ln["amount"], ln["status"]) for ln in st["lines"]] == [
        ("100.00", "payable"),
        ("0.00", "ineligible"),
        ("0.00", "ineligible"),
    ]
    assert st["credited"] == "1000.00"
