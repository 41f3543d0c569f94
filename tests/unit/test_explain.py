"""Plain-words explanations (rules.explain) over real engine output.

The lines come from evaluating the plans in examples/ on examples/data/demo.json (and on
small variations of it, for the steps the demo quarter does not reach: a forfeit, a
reduce gate, an override split, a waived clawback) and on small plans for the per-deal
cap, a full clawback, a line with no rate and credit in no band. Every sentence is
asserted in full: they are what a rep reads on their statement.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate
from rules.explain import condition_words, deal_facts, explain_line, explain_step, percent
from tests.unit.test_eval_helpers import data, deal, plan, quota, run, statement

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = json.loads((EXAMPLES / "data" / "demo.json").read_text())


def _evaluate(plan_file: str, raw: dict, period: str = "2026-Q3") -> dict:
    path = EXAMPLES / plan_file
    the_plan = load_plan(path.read_bytes(), source=path.name, base_dir=path.parent)
    return evaluate([the_plan], load_data(raw), period)


def _explained(out: dict, raw: dict, participant: str, kind: str, deal_id=None):
    """The explanation of the one line of `kind` (on `deal_id`) in a statement."""
    deals = {d["id"]: d for d in raw["deals"]}
    people = {p["id"]: p for p in raw["participants"]}
    for st in out["statements"]:
        if st["participant"] != participant:
            continue
        found = [
            ln
            for ln in st["lines"]
            if ln["kind"] == kind and (deal_id is None or ln["deal"] == deal_id)
        ]
        assert len(found) == 1, found
        facts = deal_facts(deals.get(found[0]["deal"]), people.get(participant))
        return explain_line(found[0], currency=st["currency"], facts=facts)
    raise AssertionError(f"no statement for {participant}")


@pytest.fixture(scope="module")
def ae_demo():
    return _evaluate("ae-plan.yaml", DEMO)


@pytest.fixture(scope="module")
def ae_variant():
    """The demo without EX-1 (the reduce gate applies), with an override split on D-101,
    a waived clawback on D-107 and a cancellation of the held D-103 (a forfeit)."""
    raw = copy.deepcopy(DEMO)
    raw["exceptions"] = [e for e in raw["exceptions"] if e["id"] != "EX-1"] + [
        {
            "id": "EX-3",
            "kind": "override_split",
            "deal": "D-101",
            "plan": "ae-plan",
            "credits": [
                {"participant": "ana", "share": "0.5"},
                {"participant": "raj", "share": "0.5"},
            ],
        },
        {"id": "EX-4", "kind": "waive_clawback", "deal": "D-107", "clawback": "early-churn"},
    ]
    raw["events"].append(
        {"deal": "D-103", "kind": "cancellation", "date": "2026-09-15", "amount": None}
    )
    return raw, _evaluate("ae-plan.yaml", raw)


QUOTA_TEXT = "quota 300000.00 x 92/92 days = 300000.00"
NOT_HELD_0801 = (
    "Not held: the release date 2026-08-01 is on or before the end of 2026-Q3 "
    "(2026-09-30), so the line pays in this period."
)


def test_payable_commission_with_tier_and_a_hold_that_is_no_hold(ae_demo):
    got = _explained(ae_demo, DEMO, "ana", "commission", "D-101")
    assert got.summary == "Commission on deal D-101 (credit rule owner): 3600.00 USD payable."
    assert got.steps == (
        "Credit rule owner (no splits: deal.owner at 100%) gives a share of 1: "
        "1 x 120000 = 120000 of credit.",
        "Eligibility rule ramped holds: tenure days 545 >= 60.",
        'Rate rule new-business applies (type is "new"): base rate 0.06.',
        "Tier below-threshold, [0, 0.5) x0.5 base rate of the prorated quota "
        "(attainment, marginal): 120000 of credit at rate 0.03 earns 3600 (credit before "
        f"this line 0.00, for the period 330000.00; {QUOTA_TEXT}).",
        "Gate pay-on-cash holds payment until 2026-08-01.",
        NOT_HELD_0801,
        "Exact amount 3600, rounded half-up to cents: 3600.00.",
    )


def test_blocked_line_names_the_gate_and_the_values_it_saw(ae_demo):
    got = _explained(ae_demo, DEMO, "ana", "commission", "D-102")
    assert got.summary == "Commission on deal D-102 (credit rule owner): blocked, pays 0.00 USD."
    assert "Gate margin-floor blocked this line: gross margin 20% < 25%." in got.steps


def test_held_line_across_two_bands_with_a_waived_gate(ae_demo):
    got = _explained(ae_demo, DEMO, "ana", "commission", "D-103")
    assert got.summary == "Commission on deal D-103 (credit rule owner): 6300.00 USD held."
    assert got.steps[0] == (
        "Credit rule owner (deal.splits) gives a share of 0.6: 0.6 x 150000 = 90000 of credit."
    )
    assert got.steps[3:] == (
        "Tier base, [0.5, 1) x1 base rate of the prorated quota (attainment, marginal): "
        "60000 of credit at rate 0.06 earns 3600 (credit before this line 240000.00, for "
        f"the period 330000.00; {QUOTA_TEXT}).",
        "Tier accelerator, [1, 1.5) x1.5 base rate of the prorated quota (attainment, "
        "marginal): 30000 of credit at rate 0.09 earns 2700 (credit before this line "
        f"240000.00, for the period 330000.00; {QUOTA_TEXT}).",
        "Gate deep-discount would reduce this line (discount 25% > 20%), but exception "
        "EX-1 waives it for this deal.",
        "Gate pay-on-cash holds payment until the data supplies a date.",
        "Held: no release date yet; the line pays once the data supplies one.",
        "Exact amount 6300, rounded half-up to cents: 6300.00.",
    )


def test_ineligible_line(ae_demo):
    got = _explained(ae_demo, DEMO, "raj", "commission", "D-104")
    assert got.summary == (
        "Commission on deal D-104 (credit rule owner): ineligible, pays 0.00 USD."
    )
    assert got.steps[1] == (
        "Eligibility rule ramped does not hold: tenure days 49 >= 60 is false, so the line "
        "is ineligible, earns nothing and its credit does not count toward attainment."
    )


def test_spif_release_prorated_clawback_adjustment_draw_and_recovery(ae_demo):
    spif = _explained(ae_demo, DEMO, "ana", "spif")
    assert spif.summary == "SPIF multi-year on deal D-101: 500.00 USD payable."
    assert spif.steps == (
        "SPIF multi-year (term months 24 >= 24) pays amount x share: 500 x 1 = 500.00, "
        "for the share from credit rule owner.",
        "Gate pay-on-cash holds payment until 2026-08-01.",
        NOT_HELD_0801,
    )
    release = _explained(ae_demo, DEMO, "ana", "release")
    assert release.summary == "Release of a held line on deal D-100: 2400.00 USD payable."
    assert release.steps == (
        "Released: the commission line held in 2026-Q2 until 2026-07-10 by gate "
        "pay-on-cash pays 2400.00 now.",
    )
    clawback = _explained(ae_demo, DEMO, "ana", "clawback")
    assert clawback.summary == "Clawback early-churn on deal D-107: -710.00 USD payable."
    assert clawback.steps == (
        "Clawback early-churn: cancellation on 2026-09-01: 38 days after the close, within "
        "180: (180 - 38) / 180 = 0.78888888888888888889 of what was paid is recovered; "
        "paid on this deal 900.00, recovered -710 rounded -710.00.",
    )
    recovery = _explained(ae_demo, DEMO, "ana", "draw_recovery")
    assert recovery.summary == "Draw recovery ramp-draw: -4000.00 USD payable."
    assert recovery.steps == (
        "Draw recovery ramp-draw: payable 6690.00 is above the draw 2000.00; min(balance "
        "4000.00, 4690.00) is recovered: -4000.00, outstanding draw balance now 0.00.",
    )
    adjustment = _explained(ae_demo, DEMO, "raj", "adjustment")
    assert adjustment.summary == "Adjustment EX-2: 250.00 USD payable."
    assert adjustment.steps == (
        "Adjustment by exception EX-2 (onboarding bonus agreed at hire): 250.00.",
    )
    drawn = _explained(ae_demo, DEMO, "raj", "draw")
    assert drawn.summary == "Draw ramp-draw: 1750.00 USD payable."
    assert drawn.steps == (
        "Draw ramp-draw: payable 250.00 is below the draw 2000.00, so the draw pays 1750.00; "
        "it is recoverable: balance 2000.00 + 1750.00 = 3750.00.",
    )


def test_reduce_gate_override_split_waived_clawback_and_forfeit(ae_variant):
    raw, out = ae_variant
    reduced = _explained(out, raw, "ana", "commission", "D-103")
    assert reduced.summary == "Commission on deal D-103 (credit rule owner): 2700.00 USD held."
    assert "Gate deep-discount reduced this line by a factor of 0.5: discount 25% > 20%." in (
        reduced.steps
    )
    override = _explained(out, raw, "ana", "commission", "D-101")
    assert override.steps[0] == (
        "Credit rule EX-3 (override_split EX-3) gives a share of 0.5: 0.5 x 120000 = 60000 "
        "of credit, set by exception EX-3."
    )
    waived = _explained(out, raw, "ana", "clawback")
    assert waived.summary == "Clawback early-churn on deal D-107: 0.00 USD payable."
    assert waived.steps == (
        "Clawback early-churn on cancellation on 2026-09-01 is waived by exception EX-4: "
        "nothing is recovered.",
    )
    forfeit = _explained(out, raw, "raj", "forfeit")
    assert forfeit.summary == "Forfeit on deal D-103 (clawback early-churn): 0.00 USD payable."
    assert forfeit.steps == (
        "Forfeited under clawback early-churn: the commission line of 900.00 held since "
        "2026-Q3 is forfeited by cancellation on 2026-09-15; never released.",
    )


def test_fx_conversion_and_clawback_of_a_partial_event_amount():
    out = _evaluate("csm-renewals.yaml", DEMO)
    converted = _explained(out, DEMO, "cat", "commission", "D-106")
    assert converted.steps[:2] == (
        "Converted the deal amount into the plan currency at EUR/USD 1.08 (rate in force "
        "from the beginning): 25000 x 1.08 = 27000.",
        "Credit rule account-owner (deal.owner) gives a share of 1: 1 x 27000 = 27000 of "
        'credit; it applies because type "expansion" is in ["renewal", "expansion"].',
    )
    clawback = _explained(out, DEMO, "cat", "clawback")
    assert clawback.steps == (
        "Clawback first-year-churn: churn on 2026-09-20: 2 whole months after the close, "
        "within 12 (to 2027-07-05): (12 - 2) / 12 = 0.83333333333333333333 of what was paid "
        "is recovered, times the event's share of the deal 10000 / 40000 = 0.25; paid on "
        "this deal 1200.00, recovered -250 rounded -250.00.",
    )


def test_per_period_cap_and_a_rate_without_condition():
    out = _evaluate("manager-rollup.yaml", DEMO)
    capped = _explained(out, DEMO, "mia", "commission", "D-103")
    assert capped.summary == "Commission on deal D-103 (credit rule override): 400.00 USD payable."
    assert capped.steps[1:] == (
        "Rate rule override-rate (no condition) gives a base rate of 0.01.",
        "Exact amount 1500, rounded half-up to cents: 1500.00.",
        "The per-period cap of 2500.00 cut this line from 1500.00 to 400.00 (earlier lines "
        "in 2026-Q3: 2100.00).",
    )


def test_retroactive_credited_tier():
    out = _evaluate("se-overlay.yaml", DEMO)
    got = _explained(out, DEMO, "sam", "commission", "D-101")
    assert got.steps[2] == (
        "Tier high-volume, [200000, ) rate 0.015 (credited, retroactive): 120000 of credit at "
        "rate 0.015 earns 1800 (credit before this line 0.00, for the period 270000.00)."
    )


def test_per_deal_cap_full_clawback_no_rate_and_no_band():
    the_plan = plan(
        rates=[{"id": "new", "when": 'deal.type == "new"', "rate": Decimal("0.1")}],
        tiers={
            "basis": "deal",
            "bands": [{"id": "small", "from": 0, "to": 1000, "multiplier": 1}],
        },
        caps={"per_deal": 50},
        clawbacks=[
            {"id": "cb", "triggers": ["cancellation"], "within_days": 90, "recover": "full"}
        ],
    )
    the_data = data(
        [
            deal("D1", 900, "2026-07-01", type="new"),
            deal("D2", 1500, "2026-07-02", type="new"),
            deal("D3", 100, "2026-07-03", type="renewal"),
        ],
        quotas=[quota("ana", 10000)],
        events=[{"deal": "D1", "kind": "cancellation", "date": "2026-08-01"}],
    )
    st = statement(run(the_plan, the_data))
    by_deal = {(ln["kind"], ln["deal"]): ln for ln in st["lines"]}
    d2 = explain_line(by_deal[("commission", "D2")], currency="USD")
    assert d2.steps[1:] == (
        'Rate rule new applies (deal.type == "new"): base rate 0.1.',
        "Tier small, [0, 1000) x1 base rate (deal, marginal): 1000 of credit at rate 0.1 "
        "earns 100.",
        "500 of credit falls in no tier band and earns 0.",
        "Exact amount 100, rounded half-up to cents: 100.00.",
        "The per-deal cap of 50.00 cut this line from 100.00 to 50.00 (earlier lines on D2: 0.00).",
    )
    d3 = explain_line(by_deal[("commission", "D3")], currency="USD")
    assert d3.steps[1] == "No rate rule holds: the base rate is 0."
    full = explain_line(by_deal[("clawback", "D1")], currency="USD")
    assert full.steps == (
        "Clawback cb: cancellation on 2026-08-01: 31 days after the close, within 90: full "
        "= 1 of what was paid is recovered; paid on this deal 50.00, recovered -50 rounded "
        "-50.00.",
    )


def test_condition_words_and_percent_are_exact():
    assert percent("0.255") == "25.5%"
    assert percent(Decimal("0.20")) == "20%"
    facts = {"deal.gross_margin": Decimal("0.2"), "deal.discount": "0.3"}
    assert condition_words("deal.gross_margin < 0.25", facts) == "gross margin 20% < 25%"
    assert condition_words("deal.gross_margin < 0.25", {}) == "deal.gross_margin < 0.25"
    assert condition_words("deal.discount > 0.2 and deal.gross_margin < 0.25", facts) == (
        "deal.discount > 0.2 and deal.gross_margin < 0.25 (with discount 30%, gross margin 20%)"
    )
    assert condition_words("deal.region == null", {"deal.region": None}) == (
        "region missing == null"
    )


def test_an_unknown_step_and_a_prior_period_adjustment_are_still_explained():
    assert explain_step({"step": "audit", "rule": "x", "detail": "checked", "n": 2}) == (
        "Audit x: checked (n 2)."
    )
    got = explain_line(
        {
            "kind": "adjustment",
            "deal": "D-1",
            "rule": None,
            "amount": Decimal("-12.5"),
            "status": "payable",
            "trace": [],
            "adjusts_period": "2026-Q2",
            "reason": "deal D-1 amount changed",
        },
        currency="EUR",
    )
    assert got.summary == "Adjustment of 2026-Q2: -12.50 EUR payable."
    assert got.steps == ("Reason: deal D-1 amount changed.",)
    assert got.text == "Adjustment of 2026-Q2: -12.50 EUR payable. Reason: deal D-1 amount changed."


def test_a_prior_period_adjustment_as_the_close_writes_it():
    # The trace entry as governance.payout_adjustments writes it.
    detail = (
        "2026-Q2 is locked: its commission line on deal D-1 (rule owner) paid 100.00; "
        "re-evaluated with today's data and plans it pays 120.00: deal D-1 amount changed"
    )
    line = {
        "kind": "adjustment",
        "deal": "D-1",
        "rule": "owner",
        "amount": "20.00",
        "status": "payable",
        "adjusts_period": "2026-Q2",
        "reason": "deal D-1 amount changed",
        "trace": [
            {
                "step": "prior_period_adjustment",
                "rule": "owner",
                "period": "2026-Q2",
                "adjusts": {"kind": "commission", "rule": "owner"},
                "locked_line": 7,
                "old": "100.00",
                "new": "120.00",
                "amount": "20.00",
                "reasons": ["deal D-1 amount changed"],
                "detail": detail,
            }
        ],
    }
    got = explain_line(line, currency="USD")
    assert got.summary == "Adjustment of 2026-Q2: 20.00 USD payable."
    assert got.steps == (
        f"Prior-period adjustment: {detail}. The difference, 20.00, is paid in this period.",
    )
