"""Draws, exceptions, FX, history, statements and evaluation errors (spec section 4)."""

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

RECOVERABLE = {"id": "ramp", "amount": 3000, "recoverable": True}


def test_recoverable_draw_over_three_months():
    # Illustrative, after recoverable-draw tables in sales compensation guides:
    # a 3,000 monthly draw; commissions 1,000, 2,500, 6,000.
    # Jan: draw 2,000 (balance 2,000); Feb: draw 500 (balance 2,500);
    # Mar: 6,000 > 3,000, recovery min(2,500, 3,000) = 2,500 -> pays 3,500, balance 0.
    the_plan = plan(period="month", draw=RECOVERABLE)
    the_data = data(
        [
            deal("D1", 10000, "2026-01-10"),
            deal("D2", 25000, "2026-02-10"),
            deal("D3", 60000, "2026-03-10"),
        ]
    )
    got = []
    for month in ("2026-01", "2026-02", "2026-03"):
        st = statement(run(the_plan, the_data, month))
        got.append(
            (amounts(st, "draw"), amounts(st, "draw_recovery"), st["payable"], st["draw_balance"])
        )
    assert got == [
        (["2000.00"], [], "3000.00", "2000.00"),
        (["500.00"], [], "3000.00", "2500.00"),
        ([], ["-2500.00"], "3500.00", "0.00"),
    ]


def test_non_recoverable_draw_keeps_no_balance():
    the_plan = plan(period="month", draw={"id": "g", "amount": 3000, "recoverable": False})
    the_data = data([deal("D1", 10000, "2026-01-10"), deal("D3", 60000, "2026-02-10")])
    jan = statement(run(the_plan, the_data, "2026-01"))
    feb = statement(run(the_plan, the_data, "2026-02"))
    assert (amounts(jan, "draw"), jan["draw_balance"]) == (["2000.00"], "0.00")
    assert (lines(feb, "draw_recovery"), feb["payable"]) == ([], "6000.00")


def test_draw_stops_after_until_and_without_an_overlapping_assignment():
    the_plan = plan(period="month", draw={**RECOVERABLE, "until": "2026-01-31"})
    the_data = data([], participants=[person("ana"), person("bo", end="2026-01-31")])
    jan = run(the_plan, the_data, "2026-01")
    assert amounts(statement(jan, "ana"), "draw") == ["3000.00"]
    feb = run(plan(period="month", draw=RECOVERABLE), the_data, "2026-02")
    assert [st["participant"] for st in feb["statements"]] == ["ana"]  # bo's ended
    assert lines(statement(run(the_plan, the_data, "2026-02")), "draw") == []


def test_override_split_replaces_credit_lines_with_the_exception_id():
    the_data = data(
        [deal("D1", 1000, "2026-07-01")],
        participants=[person("ana"), person("bo")],
        exceptions=[
            {
                "id": "EX-2",
                "kind": "override_split",
                "deal": "D1",
                "plan": "tp",
                "credits": [
                    {"participant": "ana", "share": "0.3"},
                    {"participant": "bo", "share": "0.7"},
                ],
            }
        ],
    )
    out = run(plan(), the_data)
    assert [(ln["rule"], ln["share"], ln["amount"]) for ln in lines(statement(out, "bo"))] == [
        ("EX-2", "0.7", "70.00")
    ]
    assert lines(statement(out))[0]["trace"][0]["exception"] == "EX-2"


def test_adjustment_adds_a_payable_line_in_its_period():
    the_data = data(
        [],
        exceptions=[
            {
                "id": "EX-3",
                "kind": "adjustment",
                "participant": "ana",
                "plan": "tp",
                "period": "2026-Q3",
                "amount": "125.50",
                "reason": "missed SPIF",
            }
        ],
    )
    st = statement(run(plan(), the_data))
    assert [(ln["kind"], ln["rule"], ln["amount"]) for ln in lines(st)] == [
        ("adjustment", "EX-3", "125.50")
    ]
    assert statement(run(plan(), the_data, "2026-Q4"))["lines"] == []


def test_fx_direct_and_inverse_pairs():
    the_plan = plan()
    direct = data([deal("D1", 1000, "2026-07-01", currency="EUR")], fx={"EUR/USD": "1.08"})
    # 1,000 EUR x 1.08 = 1,080 USD x 0.10 = 108.00
    assert amounts(statement(run(the_plan, direct))) == ["108.00"]
    inverse = data([deal("D1", 1000, "2026-07-01", currency="GBP")], fx={"USD/GBP": "0.8"})
    # only USD/GBP: 1,000 GBP / 0.8 = 1,250 USD -> 125.00
    st = statement(run(the_plan, inverse))
    assert (amounts(st), st["credited"]) == (["125.00"], "1250.00")


def test_missing_fx_rate_names_the_deal():
    with pytest.raises(EvaluationError) as err:
        run(plan(), data([deal("D-77", 1000, "2026-07-01", currency="JPY")]))
    assert "D-77" in str(err.value) and "JPY" in str(err.value)


def test_an_earlier_period_that_fails_makes_p_fail():
    the_data = data(
        [deal("D-5", 1000, "2026-02-01", currency="JPY"), deal("D-6", 1000, "2026-07-01")]
    )
    with pytest.raises(EvaluationError) as err:
        run(plan(), the_data)
    assert "2026-Q1" in str(err.value) and "D-5" in str(err.value)


def test_plan_period_kind_must_match():
    with pytest.raises(EvaluationError) as err:
        run(plan(period="month"), data([]), "2026-Q3")
    assert "month" in str(err.value)


def test_every_problem_is_reported():
    the_plan = plan(tiers={"basis": "attainment", "bands": [{"id": "a", "from": 0, "rate": 1}]})
    the_data = data(
        [
            deal("D1", 1000, "2026-07-01", currency="JPY"),
            deal("D2", 1000, "2026-07-02", owner="bo"),
        ],
        participants=[person("ana"), person("bo")],
    )
    with pytest.raises(EvaluationError) as err:
        run(the_plan, the_data)
    messages = [p.message for p in err.value.problems]
    assert len(messages) == 2 and "D1" in messages[0] and "bo" in messages[1]


def test_statements_for_every_assigned_participant_sorted():
    the_data = data(
        [deal("D1", 1000, "2026-07-01", owner="zed")],
        participants=[person("zed"), person("ana"), person("old", end="2026-06-30")],
        quotas=[quota("ana", 5000)],
    )
    out = run(plan(), the_data)
    assert [st["participant"] for st in out["statements"]] == ["ana", "zed"]
    ana = statement(out)
    assert (ana["lines"], ana["quota"], ana["attainment"], ana["payable"]) == (
        [],
        "5000.00",
        "0.0000",
        "0.00",
    )
    assert statement(out, "zed")["attainment"] is None


def test_lines_sorted_by_kind_close_date_and_deal():
    the_plan = plan(spifs=[{"id": "s", "amount": 10}])
    the_data = data(
        [
            deal("D2", 100, "2026-07-01"),
            deal("D1", 100, "2026-07-01"),
            deal("D0", 100, "2026-07-09"),
        ]
    )
    st = statement(run(the_plan, the_data))
    assert [(ln["kind"], ln["deal"]) for ln in lines(st)] == [
        ("commission", "D1"),
        ("commission", "D2"),
        ("commission", "D0"),
        ("spif", "D1"),
        ("spif", "D2"),
        ("spif", "D0"),
    ]


def test_output_shape_and_version():
    the_plan = plan(rates=[{"id": "r", "rate": D("0.06")}])
    out = run(the_plan, data([deal("D1", 120000, "2026-07-14")], quotas=[quota("ana", 300000)]))
    assert list(out) == ["period", "plans", "statements", "warnings"]
    assert out["plans"] == [{"policy": "tp", "version": the_plan.version}]
    st = statement(out)
    assert list(st) == [
        "participant",
        "plan",
        "currency",
        "quota",
        "credited",
        "attainment",
        "payable",
        "held",
        "draw_balance",
        "lines",
    ]
    (line,) = st["lines"]
    assert {k: line[k] for k in line if k != "trace"} == {
        "kind": "commission",
        "deal": "D1",
        "rule": "owner",
        "share": "1",
        "credit": "120000.00",
        "rate": "0.06",
        "amount": "7200.00",
        "status": "payable",
    }
    assert st["attainment"] == "0.4000"


def test_override_split_over_one_is_an_error():
    # The data validator refuses such an exception; evaluation still guards Data built
    # in code.
    from dataclasses import replace

    from rules.model import PayoutException, SplitOverride

    override = PayoutException(
        "EX-9",
        "override_split",
        deal="D1",
        plan="tp",
        credits=(SplitOverride("ana", D("0.8")), SplitOverride("bo", D("0.3"))),
    )
    the_data = replace(
        data([deal("D1", 1000, "2026-07-01")], participants=[person("ana"), person("bo")]),
        exceptions=(override,),
    )
    with pytest.raises(EvaluationError) as err:
        run(plan(), the_data)
    assert "D1" in str(err.value) and "EX-9" in str(err.value)


def test_deals_of_other_plans_need_no_fx_and_make_no_warnings():
    # bo is on another plan: his JPY deal is not this plan's business
    the_data = data(
        [
            deal("D1", 1000, "2026-07-01", owner="bo", currency="JPY"),
            deal("D2", 1000, "2026-07-01"),
        ],
        participants=[person("ana"), person("bo", plan_key="other-plan")],
    )
    out = run(plan(), the_data)
    assert (out["warnings"], [s["participant"] for s in out["statements"]]) == ([], ["ana"])


def test_lines_after_the_assignment_ended_still_get_a_statement():
    the_plan = plan(
        clawbacks=[{"id": "c", "triggers": ["churn"], "within_days": 365, "recover": "full"}]
    )
    the_data = data(
        [deal("D1", 1000, "2026-06-01")],
        participants=[person("ana", end="2026-06-30")],
        events=[{"deal": "D1", "kind": "churn", "date": "2026-08-01"}],
    )
    st = statement(run(the_plan, the_data))
    assert amounts(st) == ["-100.00"]


def test_every_line_has_a_trace_and_output_is_byte_identical():
    from rules.evaluate import to_json

    the_plan = plan(
        period="month",
        draw=RECOVERABLE,
        spifs=[{"id": "s", "amount": 5}],
        clawbacks=[{"id": "c", "triggers": ["churn"], "within_days": 90, "recover": "full"}],
    )
    the_data = data(
        [deal("D1", 1000, "2026-01-05"), deal("D2", 500000, "2026-02-05")],
        events=[{"deal": "D1", "kind": "churn", "date": "2026-02-01"}],
        exceptions=[
            {
                "id": "EX-1",
                "kind": "adjustment",
                "participant": "ana",
                "plan": "tp",
                "period": "2026-02",
                "amount": "1",
                "reason": "r",
            }
        ],
    )
    out = run(the_plan, the_data, "2026-02")
    kinds = {ln["kind"] for ln in lines(statement(out))}
    assert kinds == {"commission", "spif", "clawback", "adjustment", "draw_recovery"}
    assert all(ln["trace"] for ln in lines(statement(out)))
    assert to_json(out) == to_json(run(the_plan, the_data, "2026-02"))
