"""Releases, clawbacks and forfeits (spec section 4, "Also in P")."""

from __future__ import annotations

from datetime import date

import pytest

from rules.evaluation.clawbacks import add_months, whole_months
from tests.unit.test_eval_helpers import (
    D,
    amounts,
    data,
    deal,
    lines,
    person,
    plan,
    run,
    statement,
)

PRORATED = {
    "id": "early-churn",
    "triggers": ["cancellation", "churn"],
    "within_days": 180,
    "recover": "prorated",
}
FULL = {"id": "full-back", "triggers": ["cancellation"], "within_days": 90, "recover": "full"}
CASH = {"id": "pay-on-cash", "effect": {"hold_until": "deal.cash_collected_date"}}


def _event(day, kind="cancellation", amount=None, deal_id="D1"):
    return {"deal": deal_id, "kind": kind, "date": day, "amount": amount}


def test_prorated_within_days_in_the_same_period():
    the_data = data([deal("D1", 10000, "2026-07-01")], events=[_event("2026-08-30")])
    st = statement(run(plan(clawbacks=[PRORATED]), the_data))
    # paid 1,000; 60 days: (180 - 60) / 180 = 2/3 -> 666.666... -> -666.67
    assert amounts(st) == ["1000.00", "-666.67"]
    assert st["payable"] == "333.33"
    assert st["credited"] == "10000.00"  # clawbacks do not change attainment


def test_full_recovery_of_an_earlier_period_payment():
    the_data = data([deal("D1", 10000, "2026-06-15")], events=[_event("2026-07-15")])
    st = statement(run(plan(clawbacks=[FULL]), the_data))
    assert [(ln["kind"], ln["amount"], ln["rule"]) for ln in lines(st)] == [
        ("clawback", "-1000.00", "full-back")
    ]


def test_event_outside_the_window_or_before_close_recovers_nothing():
    the_data = data(
        [deal("D1", 10000, "2026-07-01")], events=[_event("2026-09-30"), _event("2026-06-30")]
    )  # 91 days; before
    assert lines(statement(run(plan(clawbacks=[FULL]), the_data)), "clawback") == []


def test_partial_amount_then_a_later_event_recovers_what_is_left():
    the_data = data(
        [deal("D1", 10000, "2026-07-01")],
        events=[_event("2026-07-10", amount="2500"), _event("2026-08-01")],
    )
    st = statement(run(plan(clawbacks=[FULL]), the_data))
    # first: 1,000 x 2,500/10,000 = 250; second: full of what is left, 1,000 - 250 = 750
    assert amounts(st, "clawback") == ["-250.00", "-750.00"]
    assert st["payable"] == "0.00"


def test_first_rule_naming_the_kind_applies():
    the_plan = plan(clawbacks=[FULL, PRORATED])
    the_data = data([deal("D1", 10000, "2026-07-01")], events=[_event("2026-08-30")])
    (claw,) = lines(statement(run(the_plan, the_data)), "clawback")
    assert (claw["rule"], claw["amount"]) == ("full-back", "-1000.00")
    churn = data([deal("D1", 10000, "2026-07-01")], events=[_event("2026-08-30", "churn")])
    (claw,) = lines(statement(run(the_plan, churn)), "clawback")
    assert (claw["rule"], claw["amount"]) == ("early-churn", "-666.67")


def test_waive_clawback_recovers_nothing_and_does_not_fall_through():
    the_data = data(
        [deal("D1", 10000, "2026-07-01")],
        events=[_event("2026-08-30")],
        exceptions=[
            {"id": "EX-7", "kind": "waive_clawback", "deal": "D1", "clawback": "full-back"}
        ],
    )
    st = statement(run(plan(clawbacks=[FULL, PRORATED]), the_data))
    (claw,) = lines(st, "clawback")
    assert (claw["amount"], claw["trace"][0]["exception"]) == ("0.00", "EX-7")
    assert st["payable"] == "1000.00"


def test_held_line_is_forfeited_not_clawed_back_and_never_released():
    the_plan = plan(clawbacks=[PRORATED], gates=[CASH])
    the_data = data(
        [deal("D1", 10000, "2026-07-01", cash_collected_date="2026-10-20")],
        events=[_event("2026-10-10")],
    )
    q3 = statement(run(the_plan, the_data))
    assert (q3["held"], q3["payable"]) == ("1000.00", "0.00")
    q4 = statement(run(the_plan, the_data, "2026-Q4"))
    assert [(ln["kind"], ln["amount"], ln["status"]) for ln in lines(q4)] == [
        ("forfeit", "0.00", "payable")
    ]


def test_forfeit_in_the_period_the_line_was_created_empties_held():
    the_plan = plan(clawbacks=[PRORATED], gates=[CASH])
    the_data = data([deal("D1", 10000, "2026-07-01")], events=[_event("2026-07-20")])
    st = statement(run(the_plan, the_data))
    assert [ln["kind"] for ln in lines(st)] == ["commission", "forfeit"]
    assert (st["held"], st["payable"]) == ("0.00", "0.00")


def test_release_on_the_event_date_counts_as_paid_by_then():
    the_plan = plan(clawbacks=[PRORATED], gates=[CASH])
    the_data = data(
        [deal("D1", 10000, "2026-07-01", cash_collected_date="2026-10-05")],
        events=[_event("2026-10-05")],
    )
    st = statement(run(the_plan, the_data, "2026-Q4"))
    # released 1,000 on 10-05; 96 days: (180 - 96) / 180 = 7/15 -> 466.666... -> -466.67
    assert [(ln["kind"], ln["amount"]) for ln in lines(st)] == [
        ("release", "1000.00"),
        ("clawback", "-466.67"),
    ]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("2026-02-27", "-300.00"),  # m = 0: the first month recovers all
        ("2026-02-28", "-200.00"),  # Jan 31 + 1 month = Feb 28: m = 1 -> 2/3
        ("2026-04-29", "-100.00"),  # m = 2: month 3 recovers one third
        ("2026-04-30", "0.00"),  # window end (inclusive): m = 3 -> 0
        ("2026-05-01", None),  # outside the window
    ],
)
def test_within_months_counts_whole_months_with_the_month_end_rule(event, expected):
    the_plan = plan(
        period="month",
        clawbacks=[{"id": "m3", "triggers": ["churn"], "within_months": 3, "recover": "prorated"}],
    )
    the_data = data([deal("D1", 3000, "2026-01-31")], events=[_event(event, "churn")])
    st = statement(run(the_plan, the_data, event[:7]))
    assert amounts(st, "clawback") == ([expected] if expected else [])


def test_add_months_month_end_rule():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    # Changed for issue 17 (item 2): spec section 4 moves a month-end close only into
    # *shorter* months ("counts whole months to the last day of shorter months"); March is
    # longer, so Feb 28 + 1 month = Mar 28 (it was Mar 31).
    assert add_months(date(2026, 2, 28), 1) == date(2026, 3, 28)
    assert add_months(date(2026, 1, 30), 1) == date(2026, 2, 28)
    assert whole_months(date(2026, 1, 15), date(2026, 4, 14)) == 2


@pytest.mark.parametrize(
    ("recover", "event", "expected"),
    [
        ("full", "2026-08-30", ["-100.00"]),  # Jun 30 + 2 months = Aug 30: the last day in
        ("full", "2026-08-31", []),  # Aug 31 is outside (it was clawed back: -100.00)
        ("prorated", "2026-07-29", ["-100.00"]),  # m = 0: (2 - 0) / 2 = all
        ("prorated", "2026-07-30", ["-50.00"]),  # Jun 30 + 1 = Jul 30: m = 1 -> 1/2 (was all)
        ("prorated", "2026-08-30", ["0.00"]),  # m = 2 at the window end: 0/2
    ],
)
def test_month_end_close_moves_only_into_shorter_months(recover, event, expected):
    """Issue 17 item 2. Spec section 4: "a month-end close counts whole months to the last
    day of shorter months": July and August are longer than June, so a June 30 close
    counts to the 30th. Commission 1,000 x 0.10 = 100.00, paid at the close."""
    the_plan = plan(
        clawbacks=[{"id": "m2", "triggers": ["churn"], "within_months": 2, "recover": recover}]
    )
    the_data = data([deal("D1", 1000, "2026-06-30")], events=[_event(event, "churn")])
    assert amounts(statement(run(the_plan, the_data)), "clawback") == expected


def test_clawback_of_spif_and_commission_is_one_line_per_event():
    the_plan = plan(clawbacks=[FULL], spifs=[{"id": "bonus", "amount": 250}])
    the_data = data([deal("D1", 10000, "2026-07-01")], events=[_event("2026-07-02")])
    # paid 1,000 commission + 250 spif: one clawback line of -1,250
    assert amounts(statement(run(the_plan, the_data)), "clawback") == ["-1250.00"]


def test_clawback_schedule_example():
    # Illustrative, after published SaaS clawback schedules ("100% in the first 90 days,
    # prorated to 0 over 180 days"): a 12,000 commission churned on day 45 of 180 returns
    # (180 - 45) / 180 = 75% = 9,000.
    the_plan = plan(rates=[{"id": "r", "rate": D("0.12")}], clawbacks=[PRORATED])
    the_data = data([deal("D1", 100000, "2026-07-01")], events=[_event("2026-08-15", "churn")])
    assert amounts(statement(run(the_plan, the_data)), "clawback") == ["-9000.00"]


def _unpaid_bo_plan():
    # bo's split earns rate 0: a payable 0.00 line, so bo is on the deal but was paid nothing.
    return plan(
        credit=[{"id": "split", "to": "splits"}],
        rates=[
            {"id": "none-for-bo", "when": 'participant.id == "bo"', "rate": 0},
            {"id": "flat", "rate": D("0.1")},
        ],
        clawbacks=[PRORATED],
    )


def _unpaid_bo_data(exceptions=()):
    return data(
        [
            deal(
                "D1",
                10000,
                "2026-07-10",
                splits=[
                    {"participant": "ana", "share": "0.5"},
                    {"participant": "bo", "share": "0.5"},
                ],
            )
        ],
        participants=[person("ana"), person("bo", end="2026-08-31")],
        events=[_event("2026-10-08")],
        exceptions=exceptions,
    )


def test_no_statement_for_someone_paid_nothing_on_a_clawed_back_deal():
    """Issue 17 item 3. Spec section 4: "Every participant with an assignment to the plan
    overlapping P has a statement"; bo's ended on Aug 31 and bo has no line in Q4, so
    bo has no Q4 statement (an all-zero one without lines was produced). ana was paid
    5,000 x 0.10 = 500.00; 90 days after the close: (180 - 90) / 180 = 1/2 -> -250.00."""
    out = run(_unpaid_bo_plan(), _unpaid_bo_data(), "2026-Q4")
    assert [s["participant"] for s in out["statements"]] == ["ana"]
    assert amounts(statement(out), "clawback") == ["-250.00"]
    q3 = run(_unpaid_bo_plan(), _unpaid_bo_data())
    assert amounts(statement(q3, "bo")) == ["0.00"]  # bo's Q3 line: 5,000 x 0 = 0.00


def test_a_waiver_records_a_line_only_for_someone_who_would_be_clawed_back():
    waiver = {"id": "EX-9", "kind": "waive_clawback", "deal": "D1", "clawback": "early-churn"}
    out = run(_unpaid_bo_plan(), _unpaid_bo_data([waiver]), "2026-Q4")
    assert [s["participant"] for s in out["statements"]] == ["ana"]
    (line,) = lines(statement(out), "clawback")
    assert (line["amount"], line["trace"][0]["exception"]) == ("0.00", "EX-9")


def test_two_events_on_one_deal_on_one_day_apply_in_kind_order():
    """Issue 17 item 9, decided in docs/plan-language.md: events on one deal and day are
    applied by kind (alphabetically), an event without `amount` before one with, then by
    amount. 1,000.00 paid on D1 (Jul 1). On Aug 30 (60 days) a `churn` (prorated over
    180 days: 2/3) and a `cancellation` (full): `cancellation` comes first and recovers
    all 1,000.00 with rule cancel-full; the churn finds nothing left: no line."""
    the_plan = plan(
        clawbacks=[
            {
                "id": "churn-prorated",
                "triggers": ["churn"],
                "within_days": 180,
                "recover": "prorated",
            },
            {
                "id": "cancel-full",
                "triggers": ["cancellation"],
                "within_days": 90,
                "recover": "full",
            },
        ]
    )
    events = [_event("2026-08-30", "churn"), _event("2026-08-30", "cancellation")]
    for listed in (events, events[::-1]):  # the input order never matters
        st = statement(run(the_plan, data([deal("D1", 10000, "2026-07-01")], events=listed)))
        assert [(ln["rule"], ln["amount"]) for ln in lines(st, "clawback")] == [
            ("cancel-full", "-1000.00")
        ]


def test_same_kind_same_day_without_amount_first_then_by_amount():
    """Two churns on Aug 30 (prorated 180 days: 2/3), one for 3,000 of the 10,000 deal and
    one without amount: the one without comes first: 1,000 x 2/3 = 666.67; the partial
    one then takes 3/10 of what is left, 333.33 x 2/3 x 0.3 = 66.67."""
    events = [_event("2026-08-30", "churn", "3000"), _event("2026-08-30", "churn")]
    st = statement(
        run(plan(clawbacks=[PRORATED]), data([deal("D1", 10000, "2026-07-01")], events=events))
    )
    assert amounts(st, "clawback") == ["-666.67", "-66.67"]
