"""Credit targets and attribution models (spec section 4, "Credit targets", "Attribution")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.evaluation.credit import credited, share_decimal, touch_weights
from rules.lint import data_warnings
from rules.model import CreditTarget, Deal, TeamMember, Touchpoint
from rules.problems import EvaluationError
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

F = Fraction


def _deal(touches, close=date(2026, 7, 31)) -> Deal:
    return Deal(
        id="D",
        amount=Decimal(1000),
        currency="USD",
        close_date=close,
        owner="ana",
        touchpoints=tuple(Touchpoint(p, at, "web", m) for p, at, m in touches),
    )


def _weights(model, touches, **kw):
    """Weights as fractions: each is correct to 60 digits and they sum to exactly 1."""
    weights = touch_weights(CreditTarget("touchpoints", model=model, **kw), _deal(touches))
    assert sum(map(Fraction, weights)) == 1
    return [Fraction(w).limit_denominator(10**6) for w in weights]


T1, T2, T3, T4 = (date(2026, 7, d) for d in (1, 2, 3, 4))


def test_first_and_last_touch_take_everything():
    touches = [("a", T2, None), ("b", T1, None), ("c", T3, None)]
    # ordered by `at`: b (07-01), a (07-02), c (07-03)
    assert _weights("first_touch", touches) == [1, 0, 0]
    assert _weights("last_touch", touches) == [0, 0, 1]


def test_ties_on_at_keep_input_position():
    touches = [("a", T1, None), ("b", T1, None)]
    target = CreditTarget("touchpoints", model="first_touch")
    assert [c.participant for c in credited(target, _deal(touches), {})] == ["a"]


def test_linear_is_equal_and_exact():
    assert _weights("linear", [("a", T1, None), ("b", T2, None), ("c", T3, None)]) == [F(1, 3)] * 3


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, [F(1)]),
        (2, [F(1, 2), F(1, 2)]),  # 50/50 with two touches
        (3, [F(2, 5), F(1, 5), F(2, 5)]),
        (4, [F(2, 5), F(1, 10), F(1, 10), F(2, 5)]),  # 20% over two middle touches
    ],
)
def test_u_shaped(n, expected):
    # Illustrative, after descriptions of position-based ("U-shaped") attribution in
    # marketing-analytics documentation: 40/20/40, and 50/50 when there are two touches.
    touches = [(f"p{i}", date(2026, 7, i + 1), None) for i in range(n)]
    assert _weights("u_shaped", touches) == expected


def test_w_shaped_all_anchors_and_rest():
    touches = [
        ("a", T1, None),
        ("b", T2, "lead"),
        ("c", T3, None),
        ("d", T4, "opportunity"),
        ("e", date(2026, 7, 5), None),
    ]
    # 30/30/30 on first, lead, opportunity; 10% over c and e: 5% each
    assert _weights("w_shaped", touches) == [F(3, 10), F(3, 10), F(1, 20), F(3, 10), F(1, 20)]


def test_w_shaped_missing_milestone_spreads_over_other_anchors():
    touches = [("a", T1, None), ("b", T2, "lead"), ("c", T3, None)]
    # no opportunity: its 30% over first and lead -> 45% each; 10% to c
    assert _weights("w_shaped", touches) == [F(9, 20), F(9, 20), F(1, 10)]


def test_w_shaped_milestone_on_first_touch_counts_as_missing():
    touches = [("a", T1, "lead"), ("b", T2, "opportunity"), ("c", T3, None)]
    # lead is the first touch: its 30% goes to the other anchors (first, opportunity)
    assert _weights("w_shaped", touches) == [F(9, 20), F(9, 20), F(1, 10)]


def test_w_shaped_no_remaining_touches_spreads_ten_percent_over_anchors():
    touches = [("a", T1, None), ("b", T2, "lead"), ("c", T3, "opportunity")]
    assert _weights("w_shaped", touches) == [F(1, 3)] * 3


def test_w_shaped_earliest_milestone_counts():
    touches = [("a", T1, None), ("b", T3, "lead"), ("c", T2, "lead")]
    # ordered a, c, b (weights follow that order): c is the earliest lead, b is the rest
    assert _weights("w_shaped", touches) == [F(9, 20), F(9, 20), F(1, 10)]


def test_time_decay_halves_per_half_life_and_normalises():
    close = date(2026, 7, 31)
    touches = [("a", date(2026, 7, 17), None), ("b", date(2026, 7, 31), None)]
    target = CreditTarget("touchpoints", model="time_decay", half_life_days=Decimal(14))
    weights = touch_weights(target, _deal(touches, close))
    # a: 14 days -> 2^-1 = 0.5; b: 0 days -> 1; normalised 1/3 and 2/3
    assert [Fraction(w).limit_denominator(100) for w in weights] == [F(1, 3), F(2, 3)]
    assert sum(map(Fraction, weights)) == 1


def test_time_decay_irrational_weights_still_sum_to_one():
    touches = [("a", date(2026, 7, 1), None), ("b", date(2026, 7, 20), None)]
    target = CreditTarget("touchpoints", model="time_decay", half_life_days=Decimal(7))
    weights = touch_weights(target, _deal(touches))
    assert sum(map(Fraction, weights)) == 1
    # 2^(-30/7) / (2^(-30/7) + 2^(-11/7)) = 1 / (1 + 2^(19/7)) ~= 0.13232
    assert abs(float(weights[0]) - 1 / (1 + 2 ** (19 / 7))) < 1e-12


def test_participant_weights_add_up_to_one_line():
    out = run(
        plan(credit=[{"id": "mkt", "to": {"touchpoints": "linear"}, "share": 1}]),
        data(
            [
                deal(
                    "D1",
                    900,
                    "2026-07-10",
                    owner="ana",
                    touchpoints=[
                        {"participant": "mo", "at": "2026-03-01", "channel": "web"},
                        {"participant": "ana", "at": "2026-03-02", "channel": "call"},
                        {"participant": "mo", "at": "2026-03-03", "channel": "event"},
                    ],
                )
            ],
            participants=[person("ana"), person("mo")],
        ),
    )
    # mo: 2/3 of 900 = 600 credit, x 0.1 = 60.00; ana: 1/3 -> 300, 30.00
    (mo,) = lines(statement(out, "mo"), "commission")
    assert (mo["share"], mo["credit"], mo["amount"]) == ("0.666666666667", "600.00", "60.00")
    assert statement(out, "ana")["payable"] == "30.00"


def test_splits_team_manager_and_share():
    the_plan = plan(
        credit=[
            {"id": "split", "to": "splits", "share": D("0.8")},
            {"id": "se", "to": {"team": "SE"}, "share": D("0.1")},
            {"id": "mgr", "to": {"manager_of": "owner"}, "share": D("0.1")},
        ]
    )
    the_data = data(
        [
            deal(
                "D1",
                1000,
                "2026-07-10",
                splits=[
                    {"participant": "ana", "share": "0.75"},
                    {"participant": "bo", "share": "0.25"},
                ],
                team=[{"participant": "sam", "role": "SE"}, {"participant": "sue", "role": "SE"}],
            )
        ],
        participants=[
            person("ana", manager="mia"),
            person("bo"),
            person("sam"),
            person("sue"),
            person("mia"),
        ],
    )
    out = run(the_plan, the_data)
    credits = {
        (st["participant"], ln["rule"]): (ln["share"], ln["credit"])
        for st in out["statements"]
        for ln in st["lines"]
    }
    # 0.8 x 0.75 = 0.6 -> 600; 0.8 x 0.25 = 0.2 -> 200; SE 0.1 / 2 = 0.05 -> 50 each;
    # manager 0.1 -> 100. Total 1000: credit is conserved.
    assert credits == {
        ("ana", "split"): ("0.6", "600.00"),
        ("bo", "split"): ("0.2", "200.00"),
        ("sam", "se"): ("0.05", "50.00"),
        ("sue", "se"): ("0.05", "50.00"),
        ("mia", "mgr"): ("0.1", "100.00"),
    }


def test_splits_absent_credit_owner_at_100_percent():
    out = run(
        plan(credit=[{"id": "s", "to": "splits", "share": 1}]),
        data([deal("D1", 500, "2026-07-01")]),
    )
    assert lines(statement(out), "commission")[0]["credit"] == "500.00"


def test_participant_credited_by_two_rules_gets_two_lines():
    the_plan = plan(
        credit=[
            {"id": "a", "to": "owner", "share": D("0.5")},
            {"id": "b", "to": "owner", "share": D("0.5")},
        ]
    )
    out = run(the_plan, data([deal("D1", 100, "2026-07-01")]))
    assert [ln["rule"] for ln in lines(statement(out))] == ["a", "b"]


def test_matched_conditional_shares_over_one_is_an_error_naming_deal_and_rules():
    the_plan = plan(
        credit=[
            {"id": "base", "to": "owner", "share": D("0.6")},
            {"id": "big", "to": "owner", "share": D("0.6"), "when": "deal.amount > 1000"},
        ]
    )
    with pytest.raises(EvaluationError) as err:
        run(the_plan, data([deal("D9", 5000, "2026-07-01")]))
    message = str(err.value)
    assert "D9" in message and "base" in message and "big" in message


def test_credit_when_decides_per_deal():
    the_plan = plan(credit=[{"id": "nb", "to": "owner", "share": 1, "when": 'deal.type == "new"'}])
    out = run(
        the_plan,
        data(
            [
                deal("D1", 100, "2026-07-01", type="new"),
                deal("D2", 100, "2026-07-02", type="renewal"),
            ]
        ),
    )
    assert [ln["deal"] for ln in lines(statement(out))] == ["D1"]


def test_unassigned_participant_goes_to_warnings_not_lines():
    # sam's assignment ended before the close date
    the_data = data(
        [deal("D1", 100, "2026-07-10", team=[{"participant": "sam", "role": "SE"}])],
        participants=[person("ana"), person("sam", end="2026-06-30")],
    )
    out = run(plan(credit=[{"id": "se", "to": {"team": "SE"}, "share": 1}]), the_data)
    assert all(st["participant"] != "sam" for st in out["statements"])
    assert any("sam" in w and "D1" in w for w in out["warnings"])


def _touches(*names):
    return [
        {"participant": p, "at": f"2026-03-{i + 1:02d}", "channel": "web"}
        for i, p in enumerate(names)
    ]


@pytest.mark.parametrize("engine", ["durable", "python"])
def test_a_participant_share_is_exact_whatever_touch_is_last(engine):
    """Issue 17 item 8. Spec section 1: "Weights are kept exact (decimal, no rounding)
    until the money is rounded on the line". Six linear touches, mo on the 1st, 3rd and
    6th, lea on the 2nd, 4th and 5th: each holds 3/6 = 1/2 exactly and passes
    `credit.share >= 0.5`; 1,200 x 1/2 x 0.10 = 60.00 each. Each 1/6 used to be rounded
    at 40 places with the residue on the last touch: mo got 0.4999...9999 and 0.00."""
    the_plan = plan(
        credit=[{"id": "mkt", "to": {"touchpoints": "linear"}}],
        eligibility=[{"id": "half", "when": "credit.share >= 0.5"}],
    )
    touches = _touches("mo", "lea", "mo", "lea", "lea", "mo")
    the_data = data(
        [deal("D1", 1200, "2026-07-10", touchpoints=touches)],
        participants=[person("ana"), person("mo"), person("lea")],
    )
    out = run(the_plan, the_data, engine=engine)
    for who in ("mo", "lea"):
        (line,) = lines(statement(out, who))
        assert (line["share"], line["status"], line["amount"]) == ("0.5", "payable", "60.00")


def test_equal_fractions_give_equal_shares():
    """Three SEs on a team, and three linear touches: 1/3 each, the same decimal for all
    (rounded at 40 places; no residue moved onto the last one)."""
    deal_ = _deal([("a", T1, None), ("b", T2, None), ("c", T3, None)])
    shares = {c.share for c in credited(CreditTarget("touchpoints", model="linear"), deal_, {})}
    assert shares == {Decimal("0." + "3" * 40)}
    team = Deal(
        id="D",
        amount=Decimal(1),
        currency="USD",
        close_date=T4,
        owner="a",
        team=(TeamMember("a", "SE"), TeamMember("b", "SE"), TeamMember("c", "SE")),
    )
    assert {c.share for c in credited(CreditTarget("team", role="SE"), team, {})} == shares


@given(
    model=st.sampled_from(["first_touch", "last_touch", "linear", "u_shaped", "w_shaped"]),
    names=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=8),
    milestones=st.lists(st.sampled_from([None, "lead", "opportunity"]), min_size=8, max_size=8),
    order=st.randoms(use_true_random=False),
)
@settings(max_examples=200, deadline=None, derandomize=True)
def test_shares_do_not_depend_on_the_order_touches_are_listed_in(model, names, milestones, order):
    """Touches are ordered by `at`: listing them in another order (distinct dates) must
    give every participant the same share, and linear shares depend only on how many
    touches each participant has, never on which one is last."""
    touches = [(p, date(2026, 3, i + 1), milestones[i]) for i, p in enumerate(names)]
    shuffled = list(touches)
    order.shuffle(shuffled)
    target = CreditTarget("touchpoints", model=model)

    def shares(ts):
        return {c.participant: c.share for c in credited(target, _deal(ts), {})}

    assert shares(touches) == shares(shuffled)
    if model == "linear":
        same_day = [(p, T1, None) for p, _, _ in shuffled]  # ties: order by position
        counts = {p: Fraction(names.count(p), len(names)) for p in names}
        assert shares(same_day) == {p: share_decimal(f) for p, f in counts.items()}


def _role_plan():
    return plan(
        rates=[
            {"id": "ae-rate", "when": 'assignment.role == "AE"', "rate": D("0.10")},
            {"id": "se-rate", "when": 'assignment.role == "SE"', "rate": D("0.05")},
        ]
    )


def _two_roles(deals):
    assignments = [
        {"plan": "tp", "role": "AE", "start": "2026-07-01", "end": "2026-08-15"},
        {"plan": "tp", "role": "SE", "start": "2026-08-01", "end": None},
    ]
    return data(deals, participants=[person("ana", assignments=assignments)])


@pytest.mark.parametrize("engine", ["durable", "python"])
def test_overlapping_assignments_the_most_recent_decides(engine):
    """Issue 17 item 5, decided in docs/plan-language.md: of two assignments to one plan
    active on the close date, the one that started last (the role held now) decides.
    AE Jul 1 - Aug 15, SE from Aug 1. 10,000 deals: Jul 20 (AE only) 0.10 -> 1,000.00;
    Aug 10 (both: SE, the most recent) 0.05 -> 500.00 (it was the AE's 1,000.00);
    Aug 20 (SE only) 500.00. The output warns about the Aug 10 deal only."""
    the_data = _two_roles(
        [
            deal("D1", 10000, "2026-07-20"),
            deal("D2", 10000, "2026-08-10"),
            deal("D3", 10000, "2026-08-20"),
        ]
    )
    out = run(_role_plan(), the_data, engine=engine)
    assert amounts(statement(out)) == ["1000.00", "500.00", "500.00"]
    assert out["warnings"] == [
        "tp: deal D2: ana has 2 assignments to the plan active on 2026-08-10 (AE from "
        "2026-07-01 to 2026-08-15; SE from 2026-08-01 open-ended); the most recent decides: "
        "SE from 2026-08-01 open-ended"
    ]


def test_overlapping_assignments_are_a_data_warning():
    """`rules.lint.data_warnings` names the participant, the plan and both assignments."""
    (warning,) = data_warnings(_two_roles([]))
    assert (warning.severity, warning.path) == ("warning", "$.participants[0].assignments[1]")
    assert warning.message == (
        "[overlapping-assignments] participant ana: assignments to plan tp overlap from "
        "2026-08-01 to 2026-08-15: [0] AE from 2026-07-01 to 2026-08-15 and [1] SE from "
        "2026-08-01 open-ended; a deal closing then is credited under [1], the most recent"
    )
    back_to_back = [
        {"plan": "tp", "role": "AE", "start": "2026-07-01", "end": "2026-07-31"},
        {"plan": "tp", "role": "SE", "start": "2026-08-01"},
        {"plan": "other", "role": "SE", "start": "2026-07-01"},
    ]
    assert data_warnings(data(participants=[person("ana", assignments=back_to_back)])) == []


def test_same_start_the_later_end_decides():
    """Tie on start: the later end (open-ended last), so the choice never depends on the
    order of the input list."""
    for order in (1, -1):
        assignments = [
            {"plan": "tp", "role": "AE", "start": "2026-07-01", "end": None},
            {"plan": "tp", "role": "SE", "start": "2026-07-01", "end": "2026-09-30"},
        ][::order]
        the_data = data(
            [deal("D1", 10000, "2026-07-20")],
            participants=[person("ana", assignments=assignments)],
        )
        assert amounts(statement(run(_role_plan(), the_data))) == ["1000.00"]  # AE, open


@pytest.mark.parametrize(("model", "credited_one"), [("first_touch", "mo"), ("last_touch", "lea")])
def test_first_and_last_touch_give_the_others_no_line(model, credited_one):
    """Issue 17 item 9, decided in docs/plan-language.md: a touchpoint participant whose
    weight is 0 gets no line (not a 0-share line) and no warning. Touches mo (Mar 2) and
    lea (Mar 5): first_touch pays mo 1,000 x 0.10 = 100.00, last_touch pays lea 100.00.
    The other keeps a statement (an assignment overlaps P), without lines."""
    touches = [
        {"participant": "mo", "at": "2026-03-02", "channel": "web"},
        {"participant": "lea", "at": "2026-03-05", "channel": "call"},
    ]
    out = run(
        plan(credit=[{"id": "mkt", "to": {"touchpoints": model}}]),
        data(
            [deal("D1", 1000, "2026-07-10", touchpoints=touches)],
            participants=[person("ana"), person("mo"), person("lea")],
        ),
    )
    other = "lea" if credited_one == "mo" else "mo"
    assert amounts(statement(out, credited_one)) == ["100.00"]
    assert statement(out, other)["lines"] == [] and out["warnings"] == []
