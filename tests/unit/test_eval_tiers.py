"""Eligibility, attainment, rates and tiers (spec section 4, steps 1-4)."""

from __future__ import annotations

import pytest

from rules.problems import EvaluationError
from tests.unit.test_eval_helpers import (
    D,
    amounts,
    data,
    deal,
    lines,
    person,
    plan,
    quota,
    run,
    statement,
)

TWO_BANDS = [
    {"id": "base", "from": 0, "to": 1, "multiplier": 1},
    {"id": "accel", "from": 1, "multiplier": D("1.5")},
]


def _tiered(basis="attainment", mode="marginal", bands=TWO_BANDS):
    return plan(tiers={"basis": basis, "mode": mode, "bands": bands})


DEALS = [deal("D1", 80000, "2026-07-01"), deal("D2", 40000, "2026-07-15")]


def test_marginal_attainment_splits_the_crossing_line():
    # Illustrative, after the marginal accelerator tables of sales-compensation guides:
    # 10% up to quota, 1.5x the rate above it, 120% attainment.
    out = run(_tiered(), data(DEALS, quotas=[quota("ana", 100000)]))
    st = statement(out)
    # D1: 80,000 all in base: 80,000 x 0.10 = 8,000.00
    # D2: 20,000 to reach 100% at 0.10 = 2,000 + 20,000 above at 0.15 = 3,000 -> 5,000.00
    assert amounts(st, "commission") == ["8000.00", "5000.00"]
    assert [ln["rate"] for ln in lines(st)] == ["0.1", None]  # D2 spans two bands
    tiers = [t for t in lines(st)[1]["trace"] if t["step"] == "tier"]
    assert [(t["rule"], t["credit"], t["amount"]) for t in tiers] == [
        ("base", "20000", "2000"),
        ("accel", "20000", "3000"),
    ]
    assert (st["quota"], st["credited"], st["attainment"]) == ("100000.00", "120000.00", "1.2000")


def test_retroactive_pays_every_line_at_the_final_band():
    out = run(_tiered(mode="retroactive"), data(DEALS, quotas=[quota("ana", 100000)]))
    # final attainment 1.2 -> accel: 80,000 x 0.15 = 12,000; 40,000 x 0.15 = 6,000
    assert amounts(statement(out)) == ["12000.00", "6000.00"]


def test_boundary_value_takes_the_higher_band():
    the_data = data([deal("D1", 100000, "2026-07-01")], quotas=[quota("ana", 100000)])
    out = run(_tiered(mode="retroactive"), the_data)
    # attainment exactly 1.0 -> accel: 100,000 x 0.15
    assert amounts(statement(out)) == ["15000.00"]


def test_credited_basis_measures_money_and_needs_no_quota():
    bands = [
        {"id": "low", "from": 0, "to": 50000, "rate": D("0.05")},
        {"id": "high", "from": 50000, "rate": D("0.08")},
    ]
    out = run(_tiered(basis="credited", bands=bands), data(DEALS))
    # D1: 50,000 x 0.05 + 30,000 x 0.08 = 2,500 + 2,400 = 4,900; D2: 40,000 x 0.08 = 3,200
    st = statement(out)
    assert amounts(st) == ["4900.00", "3200.00"]
    assert st["attainment"] is None and st["quota"] is None


def test_deal_basis_starts_from_zero_for_each_line():
    bands = [
        {"id": "first", "from": 0, "to": 50000, "rate": D("0.05")},
        {"id": "rest", "from": 50000, "rate": D("0.02")},
    ]
    marginal = run(_tiered(basis="deal", bands=bands), data(DEALS))
    # D1: 50,000 x 0.05 + 30,000 x 0.02 = 3,100; D2: 40,000 x 0.05 = 2,000
    assert amounts(statement(marginal)) == ["3100.00", "2000.00"]
    retro = run(_tiered(basis="deal", mode="retroactive", bands=bands), data(DEALS))
    # D1 80,000 -> rest: 1,600; D2 40,000 -> first: 2,000
    assert amounts(statement(retro)) == ["1600.00", "2000.00"]


def test_gap_and_above_last_band_earn_zero_with_a_warning():
    bands = [
        {"id": "a", "from": 0, "to": 10000, "rate": D("0.1")},
        {"id": "b", "from": 20000, "to": 30000, "rate": D("0.2")},
    ]
    out = run(_tiered(basis="credited", bands=bands), data([deal("D1", 40000, "2026-07-01")]))
    # 10,000 x 0.1 + gap 10,000 x 0 + 10,000 x 0.2 + above 10,000 x 0 = 1,000 + 2,000
    assert amounts(statement(out)) == ["3000.00"]
    assert any("no tier band" in w and "D1" in w for w in out["warnings"])


def test_missing_or_zero_quota_with_attainment_tiers_is_an_error():
    for quotas in ([], [quota("ana", 0)]):
        with pytest.raises(EvaluationError) as err:
            run(_tiered(), data(DEALS, quotas=quotas))
        assert "ana" in str(err.value) and "quota" in str(err.value)


def test_quota_is_prorated_by_covered_days():
    # assignment from 2026-08-01: 61 of Q3's 92 days; 92,000 x 61/92 = 61,000
    the_data = data(
        [deal("D1", 61000, "2026-08-10")],
        participants=[person("ana", start="2026-08-01")],
        quotas=[quota("ana", 92000)],
    )
    st = statement(run(_tiered(), the_data))
    assert (st["quota"], st["attainment"]) == ("61000.00", "1.0000")
    # marginal: all 61,000 lies in [0, 61,000), the base band: 61,000 x 0.10
    assert amounts(st) == ["6100.00"]


def test_attainment_stays_exact_under_proration():
    # 100,000 x 61/92 = 66,304.3478...; 50,000 / that = 0.75409836... -> 0.7541
    the_data = data(
        [deal("D1", 50000, "2026-08-10")],
        participants=[person("ana", start="2026-08-01")],
        quotas=[quota("ana", 100000)],
    )
    st = statement(run(_tiered(), the_data))
    assert (st["quota"], st["attainment"]) == ("66304.35", "0.7541")


def test_first_matching_rate_wins_and_no_match_is_zero_with_warning():
    the_plan = plan(
        rates=[
            {"id": "new", "when": 'deal.type == "new"', "rate": D("0.06")},
            {"id": "big", "when": "deal.amount > 1000", "rate": D("0.09")},
        ]
    )
    out = run(
        the_plan,
        data(
            [
                deal("D1", 5000, "2026-07-01", type="new"),
                deal("D2", 500, "2026-07-02", type="renewal"),
            ]
        ),
    )
    st = statement(out)
    # D1 matches both: the first (0.06) wins -> 300.00; D2 matches none -> 0
    assert [(ln["rate"], ln["amount"]) for ln in lines(st)] == [("0.06", "300.00"), ("0", "0.00")]
    assert any("D2" in w and "no rate" in w for w in out["warnings"])


def test_ineligible_line_names_the_rule_and_does_not_count_toward_attainment():
    the_plan = plan(
        eligibility=[{"id": "ramped", "when": "participant.tenure_days >= 90"}],
        tiers={"basis": "attainment", "mode": "retroactive", "bands": TWO_BANDS},
    )
    the_data = data(
        [deal("D1", 60000, "2026-07-01"), deal("D2", 60000, "2026-07-20")],
        # hired 2026-04-10: 82 days at D1's close (ineligible), 101 at D2's
        participants=[person("ana", hire_date="2026-04-10")],
        quotas=[quota("ana", 100000)],
    )
    st = statement(run(the_plan, the_data))
    d1, d2 = lines(st)
    assert (d1["status"], d1["amount"]) == ("ineligible", "0.00")
    assert d1["trace"][-1] == {
        "step": "eligibility",
        "rule": "ramped",
        "detail": "participant.tenure_days >= 90",
        "holds": False,
    }
    # only D2 counts: 60,000 / 100,000 = 0.6 -> base band: 60,000 x 0.10
    assert (st["credited"], st["attainment"], d2["amount"]) == ("60000.00", "0.6000", "6000.00")


def test_marginal_and_retroactive_agree_when_all_credit_is_in_one_band():
    the_data = data(DEALS, quotas=[quota("ana", 500000)])
    marginal = statement(run(_tiered(), the_data))
    retro = statement(run(_tiered(mode="retroactive"), the_data))
    assert amounts(marginal) == amounts(retro) == ["8000.00", "4000.00"]
