"""Gates, rounding, caps and SPIFs (spec section 4, steps 5-7)."""

from __future__ import annotations

from tests.unit.test_eval_helpers import D, amounts, data, deal, lines, person, plan, run, statement


def _gated(*gates, **more):
    return plan(gates=list(gates), **more)


BLOCK = {"id": "margin-floor", "when": "deal.gross_margin < 0.25", "effect": "block"}
HALF = {"id": "discount", "when": "deal.discount > 0.2", "effect": {"reduce": D("0.5")}}
EIGHTY = {"id": "late", "when": 'deal.type == "late"', "effect": {"reduce": D("0.8")}}
CASH = {"id": "pay-on-cash", "effect": {"hold_until": "deal.cash_collected_date"}}
SIGN = {"id": "signed", "effect": {"hold_until": "deal.attributes.signed_on"}}


def test_block_sets_amount_zero_and_status_blocked():
    out = run(_gated(BLOCK), data([deal("D1", 1000, "2026-07-01", gross_margin="0.2")]))
    (line,) = lines(statement(out))
    assert (line["amount"], line["status"]) == ("0.00", "blocked")
    assert any(t["step"] == "gate" and t["rule"] == "margin-floor" for t in line["trace"])


def test_reduces_multiply():
    the_data = data([deal("D1", 1000, "2026-07-01", discount="0.3", type="late")])
    # 1,000 x 0.10 = 100 x 0.5 x 0.8 = 40.00
    assert amounts(statement(run(_gated(HALF, EIGHTY), the_data))) == ["40.00"]


def test_hold_until_a_later_period_then_release():
    the_data = data([deal("D1", 1000, "2026-09-20", cash_collected_date="2026-10-05")])
    the_plan = _gated(CASH)
    q3 = statement(run(the_plan, the_data))
    assert (amounts(q3), lines(q3)[0]["status"], q3["held"], q3["payable"]) == (
        ["100.00"],
        "held",
        "100.00",
        "0.00",
    )
    q4 = statement(run(the_plan, the_data, "2026-Q4"))
    (release,) = lines(q4, "release")
    assert (release["amount"], release["status"], release["deal"]) == ("100.00", "payable", "D1")
    assert q4["payable"] == "100.00"


def test_hold_on_or_before_end_of_period_is_no_hold():
    the_data = data([deal("D1", 1000, "2026-09-01", cash_collected_date="2026-09-30")])
    st = statement(run(_gated(CASH), the_data))
    assert (lines(st)[0]["status"], st["payable"], st["held"]) == ("payable", "100.00", "0.00")


def test_latest_hold_date_counts_and_null_holds_until_supplied():
    later = data(
        [
            deal(
                "D1",
                1000,
                "2026-09-01",
                cash_collected_date="2026-10-01",
                attributes={"signed_on": "2027-01-15"},
            )
        ]
    )
    the_plan = _gated(CASH, SIGN)
    # held until 2027-01-15 (the later date): not released in Q4, released in 2027-Q1
    assert lines(statement(run(the_plan, later, "2026-Q4")), "release") == []
    assert amounts(statement(run(the_plan, later, "2027-Q1")), "release") == ["100.00"]
    unknown = data([deal("D1", 1000, "2026-09-01")])  # no cash date yet
    for period in ("2026-Q3", "2027-Q4"):
        st = statement(run(_gated(CASH), unknown, period))
        assert lines(st, "release") == []
    assert statement(run(_gated(CASH), unknown))["held"] == "100.00"


def test_hold_attribute_date_is_read_strictly_like_conditions():
    """Python 3.11's `date.fromisoformat` also reads `20270115` and `2027-W03-5`; a
    condition reads only `YYYY-MM-DD` (docs/conditions.md), and a hold now does too: such
    text is "no date yet" (held, with a warning), not a release on 2027-01-15."""
    for text in ("20270115", "2027-W03-5", "２０２７-01-15"):
        the_data = data([deal("D1", 1000, "2026-09-01", attributes={"signed_on": text})])
        assert lines(statement(run(_gated(SIGN), the_data, "2027-Q1")), "release") == []
        q3 = run(_gated(SIGN), the_data)
        assert statement(q3)["held"] == "100.00"
        assert "deal.attributes.signed_on is not a date" in q3["warnings"][0]


def test_waive_gate_exception_skips_the_gate_and_is_named():
    the_data = data(
        [deal("D1", 1000, "2026-07-01", gross_margin="0.1")],
        exceptions=[{"id": "EX-1", "kind": "waive_gate", "deal": "D1", "gate": "margin-floor"}],
    )
    (line,) = lines(statement(run(_gated(BLOCK), the_data)))
    assert (line["status"], line["amount"]) == ("payable", "100.00")
    assert any(t.get("exception") == "EX-1" for t in line["trace"])


def test_round_half_up_to_cents_before_caps():
    # 0.05 x 0.10 = 0.005 -> 0.01 (half-up, not banker's 0.00)
    out = run(plan(), data([deal("D1", "0.05", "2026-07-01")]))
    assert amounts(statement(out)) == ["0.01"]


def test_per_deal_cap_counts_all_lines_of_the_participant_on_the_deal():
    the_plan = plan(
        credit=[
            {"id": "a", "to": "owner", "share": D("0.5")},
            {"id": "b", "to": "owner", "share": D("0.5")},
        ],
        caps={"per_deal": 700},
    )
    out = run(the_plan, data([deal("D1", 10000, "2026-07-01"), deal("D2", 4000, "2026-07-02")]))
    # D1: 500 + 500 = 1,000 > 700: line a keeps 500, line b is cut to 200
    # D2: 200 + 200 = 400 under the cap
    assert amounts(statement(out)) == ["500.00", "200.00", "200.00", "200.00"]
    assert "per_deal" in [t["rule"] for t in lines(statement(out))[1]["trace"]]


def test_per_period_cap_cuts_the_crossing_line_and_zeroes_later_ones():
    the_plan = _gated(CASH, caps={"per_period": 250})
    the_data = data(
        [
            deal("D1", 1000, "2026-07-01"),  # held (no cash date): counts
            deal("D2", 1000, "2026-07-02", cash_collected_date="2026-07-03"),
            deal("D3", 1000, "2026-07-03", cash_collected_date="2026-07-03"),
        ]
    )
    st = statement(run(the_plan, the_data))
    # 100 (held) + 100 = 200; D3 crosses 250: cut to 50
    assert [(ln["amount"], ln["status"]) for ln in lines(st)] == [
        ("100.00", "held"),
        ("100.00", "payable"),
        ("50.00", "payable"),
    ]
    more = data([deal(f"D{i}", 1000, f"2026-07-0{i}") for i in range(1, 5)])
    st = statement(run(plan(caps={"per_period": 250}), more))
    assert amounts(st) == ["100.00", "100.00", "50.00", "0.00"]
    assert all(any(t["rule"] == "per_period" for t in ln["trace"]) for ln in lines(st)[2:])


def test_spif_amount_times_share_ignores_reduce_tiers_and_caps():
    the_plan = plan(
        credit=[{"id": "split", "to": "splits", "share": 1}],
        gates=[HALF],
        caps={"per_deal": 10, "per_period": 10},
        spifs=[{"id": "multi-year", "when": "deal.term_months >= 24", "amount": 500}],
    )
    the_data = data(
        [
            deal(
                "D1",
                1000,
                "2026-07-01",
                term_months=36,
                discount="0.5",
                splits=[
                    {"participant": "ana", "share": "0.6"},
                    {"participant": "bo", "share": "0.4"},
                ],
            )
        ],
        participants=[
            {"id": "ana", "assignments": [{"plan": "tp", "start": "2026-01-01"}]},
            {"id": "bo", "assignments": [{"plan": "tp", "start": "2026-01-01"}]},
        ],
    )
    out = run(the_plan, the_data)
    # commission: 600 x 0.1 x 0.5 = 30 -> capped at 10; spif 500 x 0.6 = 300 untouched
    assert amounts(statement(out, "ana")) == ["10.00", "300.00"]
    assert amounts(statement(out, "bo"), "spif") == ["200.00"]


def test_spif_is_blocked_and_held_by_gates():
    spif = {"id": "bonus", "amount": 100}
    blocked = run(
        _gated(BLOCK, spifs=[spif]), data([deal("D1", 1000, "2026-07-01", gross_margin="0.1")])
    )
    assert [(ln["kind"], ln["status"]) for ln in lines(statement(blocked))] == [
        ("commission", "blocked"),
        ("spif", "blocked"),
    ]
    held = run(_gated(CASH, spifs=[spif]), data([deal("D1", 1000, "2026-07-01")]))
    assert statement(held)["held"] == "200.00"  # 100 commission + 100 spif


def test_spif_only_for_eligible_lines():
    the_plan = plan(
        eligibility=[{"id": "emea", "when": 'participant.region == "EMEA"'}],
        spifs=[{"id": "bonus", "amount": 100}],
    )
    st = statement(run(the_plan, data([deal("D1", 1000, "2026-07-01")])))
    assert [ln["kind"] for ln in lines(st)] == ["commission"]


def test_an_exact_half_cent_reached_through_a_third_still_rounds_up():
    # team of three: 1/3 x 0.45 = 0.15 credit x 0.10 = 0.015 exactly -> 0.02 (half-up);
    # the third is held to 40 places, and the guard rounding restores the half cent
    the_plan = plan(credit=[{"id": "se", "to": {"team": "SE"}, "share": 1}])
    team = [{"participant": p, "role": "SE"} for p in ("ana", "bo", "cy")]
    the_data = data(
        [deal("D1", "0.45", "2026-07-01", team=team)],
        participants=[person("ana"), person("bo"), person("cy")],
    )
    out = run(the_plan, the_data)
    assert [statement(out, p)["payable"] for p in ("ana", "bo", "cy")] == ["0.02"] * 3
