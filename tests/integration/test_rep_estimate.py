"""The estimator agrees with `accord evaluate` run on the same data with and without the
hypothetical deal, over amounts and dates that stay in a band, reach a boundary, cross
one, or close before the rep's other deals (moving their bands); its refusals are
located. Both databases."""

from __future__ import annotations

from datetime import date

import pytest

from governance import periods
from governance.errors import Invalid, NotAllowed
from governance.reps.estimate import DEAL_ID, estimate, hypothetical_deal
from tests.support.estimates import TODAY, ae_plan_active, cli_payable


@pytest.fixture
def rep(db, make_user, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    ae_plan_active(db, make_user("comp_admin"))
    return make_user("rep", participant_id="ana")


CASES = [
    # (amount, close date, gross margin): ana's Q3 quota is 300,000, 330,000 credited
    ("10000", "2026-09-15", "0.5"),  # stays in the accelerator band
    ("120000", "2026-09-30", "0.5"),  # reaches 1.5 (stretch) exactly: a boundary
    ("250000", "2026-08-20", "0.5"),  # crosses into stretch
    ("400000", "2026-07-01", "0.5"),  # closes first: every later deal moves up
    ("50000", "2026-07-20", "0.1"),  # blocked by the margin floor
    ("80000", "2026-05-10", None),  # 2026-Q2 (published period), no margin given
]


@pytest.mark.parametrize(("amount", "day", "margin"), CASES)
def test_estimate_is_the_difference_of_two_evaluations(db, rep, tmp_path, amount, day, margin):
    deal = hypothetical_deal({"amount": amount, "close_date": day, "gross_margin": margin})
    result = estimate(db, rep, deal)
    with_it = cli_payable(db, tmp_path, "ana", deal, with_deal=True)
    without = cli_payable(db, tmp_path, "ana", deal, with_deal=False)
    assert result["payable"] == with_it - without
    (plan,) = result["plans"]
    assert plan["version"] == "ae-plan/1" and plan["period"] == f"2026-Q{(int(day[5:7]) + 2) // 3}"
    assert plan["payable"] == result["payable"] and result["currency"] == "USD"
    own = [ln for ln in plan["lines"] if ln["deal"] == DEAL_ID and ln["kind"] == "commission"]
    assert [ln["change"] for ln in own] == ["new"]
    if margin == "0.1":  # blocked, but its credit still counts: later deals move up
        assert (own[0]["status"], own[0]["amount"]) == ("blocked", 0)


def test_crossing_a_band_names_the_bands(db, rep):
    result = estimate(db, rep, hypothetical_deal({"amount": "250000", "close_date": "2026-08-20"}))
    (plan,) = result["plans"]
    assert (plan["tier_before"], plan["tier_after"]) == ("accelerator", "stretch")
    (line,) = [ln for ln in plan["lines"] if ln["deal"] == DEAL_ID and ln["kind"] == "commission"]
    # credited before 08-20 is in the base band: the deal spans three bands
    assert line["tiers"] == ["base", "accelerator", "stretch"]
    assert "Tier stretch" in " ".join(line["steps"])


def test_an_earlier_deal_moves_later_deals_up(db, rep):
    result = estimate(db, rep, hypothetical_deal({"amount": "400000", "close_date": "2026-07-01"}))
    changed = [ln for ln in result["plans"][0]["lines"] if ln["change"] == "changed"]
    assert changed and all(ln["before"] is not None for ln in changed)


def test_refusals_are_located(db, rep, make_user):
    with pytest.raises(Invalid) as bad:
        hypothetical_deal({"amount": "12,x", "close_date": "2026-02-30", "term_months": "0"})
    assert {p.path for p in bad.value.problems} == {"$.amount", "$.close_date", "$.term_months"}
    with pytest.raises(Invalid) as early:
        estimate(db, rep, hypothetical_deal({"amount": "1000", "close_date": "2025-06-01"}))
    assert early.value.problems[0].path == "$.close_date"
    with pytest.raises(Invalid) as late:
        estimate(db, rep, hypothetical_deal({"amount": "1000", "close_date": "2031-01-01"}))
    assert late.value.problems[0].path == "$.close_date"
    with pytest.raises(Invalid) as fx:
        deal = hypothetical_deal({"amount": "1000", "close_date": "2026-09-01", "currency": "XYZ"})
        estimate(db, rep, deal)
    assert [p.path for p in fx.value.problems] == ["$.currency"]
    with pytest.raises(NotAllowed):
        estimate(
            db,
            make_user("auditor"),
            hypothetical_deal({"amount": "1", "close_date": date(2026, 9, 1)}),
        )
