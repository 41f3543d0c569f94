"""Why did my pay change? (governance.statements.pay_changes) over real engine output.

The demo quarter of examples/ae-plan.yaml is evaluated, then evaluated again with one
thing changed (a rate in the plan, a deal's amount, the EUR/USD rate, an exception
withdrawn); each comparison must name that cause with its numbers. A property test checks
the invariant over random line changes: each currency's total delta is the sum of its
line deltas, in Decimal.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.plans.diff import diff_documents
from governance.statements.pay_changes import compare_lines, pay
from rules.data import load_data
from rules.document import plan_from_mapping
from rules.evaluate import evaluate
from rules.yamlload import load_yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLAN = load_yaml((EXAMPLES / "ae-plan.yaml").read_text())
DEMO = json.loads((EXAMPLES / "data" / "demo.json").read_text())


def lines(doc=PLAN, raw=DEMO, who="ana", period="2026-Q3"):
    out = evaluate([plan_from_mapping(doc, base_dir=EXAMPLES)], load_data(raw), period)
    for s in out["statements"]:
        if s["participant"] == who:
            return [{**ln, "plan": s["plan"], "currency": s["currency"]} for ln in s["lines"]]
    return []


def change_on(result, kind, deal=None, rule=None):
    found = [
        c
        for c in result.changes
        if c.kind == kind and (deal is None or c.deal == deal) and (rule is None or c.rule == rule)
    ]
    assert len(found) == 1, [c.summary for c in result.changes]
    return found[0]


def test_identical_lines_change_nothing():
    result = compare_lines(lines(), lines())
    assert result.changes == []
    assert result.unchanged == len(lines())
    assert result.totals()[0]["delta"] == Decimal("0.00")


def test_a_plan_rate_change_names_the_rule_and_field():
    proposed = copy.deepcopy(PLAN)
    proposed["rates"][0]["rate"] = 0.08  # new-business: 0.06 -> 0.08
    result = compare_lines(
        lines(),
        lines(proposed),
        plan_diff=diff_documents(PLAN, proposed),
        versions=("ae-plan/1", "ae-plan/2"),
        labels=("ae-plan/1", "ae-plan/2"),
    )
    c = change_on(result, "commission", "D-101")
    assert (c.before, c.after, c.delta) == (Decimal("3600.00"), Decimal("4800.00"), Decimal(1200))
    assert c.causes[0].kind == "plan"
    assert c.causes[0].field == "rates.new-business.rate"
    assert (c.causes[0].before, c.causes[0].after) == ("0.06", "0.08")
    assert "rate rule new-business rate was 0.06, now 0.08" in c.causes[0].text
    assert c.summary == (
        "Commission on deal D-101 (credit rule owner): 3,600.00 USD payable in ae-plan/1, "
        "4,800.00 USD payable in ae-plan/2; your pay +1,200.00 USD."
    )
    # The release of a line held last period: its amount moved with that line's rate.
    assert change_on(result, "release", "D-100").cause == "release"


def test_a_deal_amount_change_names_the_deal_and_both_amounts():
    raw = copy.deepcopy(DEMO)
    raw["deals"][1]["amount"] = "140000"  # D-101
    result = compare_lines(lines(), lines(raw=raw))
    c = change_on(result, "commission", "D-101")
    assert c.delta == Decimal("600.00")
    assert c.causes[0].kind == "deal" and c.causes[0].field == "amount"
    assert c.causes[0].text == "Deal D-101's amount was 120,000, now 140,000."
    # A later line of the period moves up the tiers: the attainment.
    assert change_on(result, "commission", "D-107").cause == "attainment"


def test_an_fx_rate_change_names_the_pair_and_both_rates():
    raw = copy.deepcopy(DEMO)
    raw["deals"][1].update(currency="EUR", amount="100000")
    moved = copy.deepcopy(raw)
    moved["fx"]["EUR/USD"] = "1.20"
    result = compare_lines(lines(raw=raw), lines(raw=moved))
    c = change_on(result, "commission", "D-101")
    assert (c.before, c.after) == (Decimal("3240.00"), Decimal("3600.00"))
    assert c.causes[0].kind == "fx"
    assert (c.causes[0].field, c.causes[0].before, c.causes[0].after) == (
        "EUR/USD",
        "1.08",
        "1.20",
    )
    assert "was EUR/USD 1.08, now EUR/USD 1.20" in c.causes[0].text


def test_an_exception_withdrawn_is_named():
    raw = copy.deepcopy(DEMO)
    raw["exceptions"] = []  # EX-1 waived a gate on D-103, EX-2 adjusted raj by 250.00
    result = compare_lines(lines(who="raj"), lines(raw=raw, who="raj"))
    adjustment = change_on(result, "adjustment", rule="EX-2")
    assert adjustment.change == "removed" and adjustment.delta == Decimal("-250.00")
    assert adjustment.causes[0].kind == "exception"
    assert adjustment.causes[0].text.startswith("Exception EX-2 withdrawn")
    waived = change_on(result, "commission", "D-103")
    assert waived.causes[0].kind == "exception"
    assert "EX-1 no longer waives gate deep-discount" in waived.causes[0].text
    applied = compare_lines(lines(raw=raw, who="raj"), lines(who="raj"))
    assert (
        change_on(applied, "adjustment", rule="EX-2")
        .causes[0]
        .text.startswith("Exception EX-2 applied: 250.00")
    )


def test_no_cause_found_falls_back_to_both_traces():
    before = [{"kind": "commission", "deal": "D-1", "rule": "r", "amount": "10.00"}]
    after = [{"kind": "commission", "deal": "D-1", "rule": "r", "amount": "12.00"}]
    (c,) = compare_lines(before, after).changes
    assert c.cause == "amount" and c.traces == ([], [])
    assert c.as_dict()["trace_before"] == []


def test_a_line_in_another_currency_is_another_line():
    before = [{"kind": "draw", "rule": "d", "amount": "-0.01", "currency": "USD"}]
    after = [{"kind": "draw", "rule": "d", "amount": "0.00", "currency": "EUR"}]
    result = compare_lines(before, after)
    assert sorted(c.change for c in result.changes) == ["added", "removed"]
    assert {t["currency"]: t["delta"] for t in result.totals()} == {
        "EUR": Decimal("0.00"),
        "USD": Decimal("0.01"),
    }


def test_another_period_says_which_deals_are_new():
    result = compare_lines(
        lines(period="2026-Q2"), lines(), labels=("2026-Q2", "2026-Q3"), same_period=False
    )
    added = [c for c in result.changes if c.change == "added" and c.kind == "commission"]
    assert added and all(c.cause == "period" for c in added)
    assert "pays in 2026-Q3; 2026-Q2 had no such line on it" in added[0].causes[0].text


# --------------------------------------------------------------------------- invariant

KINDS = ("commission", "spif", "release", "clawback", "adjustment", "draw")
STATUSES = ("payable", "held", "blocked", "ineligible")
amounts = st.decimals(min_value=-100000, max_value=100000, places=2, allow_nan=False)
line = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "deal": st.sampled_from(("D-1", "D-2", "D-3", None)),
        "rule": st.sampled_from(("owner", "overlay", "EX-1")),
        "status": st.sampled_from(STATUSES),
        "amount": amounts,
        "currency": st.sampled_from(("USD", "EUR")),
    }
)
edit = st.tuples(
    st.sampled_from(("keep", "amount", "status", "drop")), amounts, st.sampled_from(STATUSES)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(line, max_size=12), st.lists(edit, max_size=12), st.lists(line, max_size=4))
def test_total_delta_is_the_sum_of_line_deltas(before, edits, added):
    after = []
    padded = edits + [("keep", Decimal(0), "")] * len(before)
    for ln, (what, amount, status) in zip(before, padded[: len(before)], strict=True):
        if what == "amount":
            after.append({**ln, "amount": amount})
        elif what == "status":
            after.append({**ln, "status": status})
        elif what == "keep":
            after.append(dict(ln))
    after += added
    result = compare_lines(before, after)
    for total in result.totals():
        deltas = [c.delta for c in result.changes if c.currency == total["currency"]]
        assert isinstance(total["delta"], Decimal)
        assert total["delta"] == sum(deltas, Decimal("0.00"))
        assert total["before"] == sum(
            (pay(ln) for ln in before if ln["currency"] == total["currency"]), Decimal(0)
        )
    for cause in result.by_cause():
        assert cause["delta"] == sum(
            (
                c.delta
                for c in result.changes
                if (c.currency, c.cause) == (cause["currency"], cause["cause"])
            ),
            Decimal(0),
        )
    assert all(c.causes for c in result.changes)
