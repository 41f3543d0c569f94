"""Dated FX rates (spec section 3, v1.1): which rate a deal converts at, and what its trace
says. The map form keeps meaning one rate from the beginning of time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.data import check_data, data_to_json, load_data
from rules.explain import explain_line
from rules.fx import FxTable, fx_to_json, read_fx
from rules.model import FxRate
from rules.problems import EvaluationError
from rules.validation import Checker
from tests.unit.test_eval_helpers import D, data, deal, lines, plan, run, statement

DATED = [
    {"pair": "EUR/USD", "rate": "1.08", "from": "2026-01-01"},
    {"pair": "EUR/USD", "rate": "1.10", "from": "2026-10-01"},
]


def eur_deals():
    return [
        deal("D-JUL", 1000, "2026-07-14", currency="EUR"),
        deal("D-SEP", 1000, "2026-09-30", currency="EUR"),
        deal("D-OCT", 1000, "2026-10-01", currency="EUR"),
    ]


def fx_step(line: dict) -> dict:
    return next(step for step in line["trace"] if step["step"] == "fx")


def test_a_deal_converts_at_the_rate_in_force_on_its_close_date():
    the_data = data(eur_deals(), fx=DATED)
    q3 = lines(statement(run(plan(), the_data, "2026-Q3")), "commission")
    q4 = lines(statement(run(plan(), the_data, "2026-Q4")), "commission")
    assert [(ln["deal"], ln["credit"], ln["amount"]) for ln in q3] == [
        ("D-JUL", "1080.00", "108.00"),
        ("D-SEP", "1080.00", "108.00"),
    ]
    # a rate whose `from` is the close date itself is in force on that day
    assert [(ln["deal"], ln["credit"]) for ln in q4] == [("D-OCT", "1100.00")]


def test_the_trace_names_the_rate_and_its_date():
    out = run(plan(), data(eur_deals(), fx=DATED), "2026-Q4")
    line = lines(statement(out), "commission")[0]
    assert fx_step(line) == {
        "step": "fx",
        "rule": None,
        "detail": "EUR/USD 1.10 (rate in force from 2026-10-01): 1000 x 1.10",
        "pair": "EUR/USD",
        "rate": "1.10",
        "from": "2026-10-01",
        "amount": "1100",
    }
    assert explain_line(line).steps[0] == (
        "Converted the deal amount into the plan currency at EUR/USD 1.10 (rate in force "
        "from 2026-10-01): 1000 x 1.10 = 1100."
    )


def test_the_map_form_is_one_rate_from_the_beginning():
    out = run(plan(), data(eur_deals()[:1], fx={"EUR/USD": "1.08"}), "2026-Q3")
    step = fx_step(lines(statement(out), "commission")[0])
    assert step["from"] is None and step["rate"] == "1.08"
    assert "(rate in force from the beginning)" in step["detail"]


def test_a_list_entry_without_from_is_in_force_from_the_beginning():
    fx = [{"pair": "EUR/USD", "rate": "1.05"}, {"pair": "EUR/USD", "rate": "1.10", "from": None}]
    problems = check_data({"fx": fx})[1]
    assert [p.path for p in problems] == ["$.fx[1]"]
    assert "EUR/USD from the beginning is given twice (also $.fx[0])" in problems[0].message
    out = run(plan(), data(eur_deals()[:1], fx=fx[:1] + DATED[1:]), "2026-Q3")
    assert fx_step(lines(statement(out), "commission")[0])["rate"] == "1.05"


def test_a_deal_that_closes_before_the_first_rate_has_none():
    with pytest.raises(EvaluationError) as err:
        run(plan(), data(eur_deals(), fx=DATED[1:]), "2026-Q3")
    message = str(err.value)
    assert "deal D-JUL: no FX rate from EUR into USD" in message
    assert "closed on 2026-07-14, before the first EUR/USD rate (from 2026-10-01)" in message


def test_the_inverse_pair_is_dated_too():
    fx = [
        {"pair": "USD/EUR", "rate": "0.8", "from": "2026-01-01"},
        {"pair": "USD/EUR", "rate": "0.5", "from": "2026-10-01"},
    ]
    the_data = data(eur_deals(), fx=fx)
    q3 = lines(statement(run(plan(), the_data, "2026-Q3")), "commission")
    q4 = lines(statement(run(plan(), the_data, "2026-Q4")), "commission")
    assert [ln["credit"] for ln in q3] == ["1250.00", "1250.00"]
    assert [ln["credit"] for ln in q4] == ["2000.00"]
    assert fx_step(q4[0])["detail"] == "USD/EUR 0.5 (rate in force from 2026-10-01): 1000 / 0.5"


def test_a_clawback_converts_at_the_deal_rate():
    the_plan = plan(
        clawbacks=[{"id": "churn", "triggers": ["churn"], "within_days": 365, "recover": "full"}]
    )
    fx = [*DATED, {"pair": "EUR/USD", "rate": "2", "from": "2026-11-01"}]
    events = [{"deal": "D-JUL", "kind": "churn", "date": "2026-11-15", "amount": "500"}]
    out = run(the_plan, data(eur_deals()[:1], events=events, fx=fx), "2026-Q4")
    # half the deal churned: half of the 108.00 paid at 1.08, not at the later rate 2
    assert [ln["amount"] for ln in lines(statement(out), "clawback")] == ["-54.00"]


@pytest.mark.parametrize(
    ("fx", "path", "text"),
    [
        ([{"pair": "EUR/USD", "rate": "1.1", "from": "2026-13-01"}], "$.fx[0].from", "a date"),
        ([{"pair": "EURUSD", "rate": "1.1"}], "$.fx[0].pair", "not a currency pair"),
        ([{"pair": "EUR/USD", "rate": "0"}], "$.fx[0].rate", "more than 0"),
        ([{"pair": "EUR/USD", "rate": "1", "since": "2026-01-01"}], "$.fx[0].since", "unknown"),
        ([{"rate": "1"}], "$.fx[0]", "missing required key 'pair'"),
        ([*DATED, DATED[1]], "$.fx[2]", "EUR/USD from 2026-10-01 is given twice"),
    ],
)
def test_dated_rates_are_validated_with_their_paths(fx, path, text):
    problems = check_data({"fx": fx})[1]
    assert any(p.path == path and text in p.message for p in problems), problems


def test_data_to_json_keeps_the_map_form_without_dates_and_round_trips_dated_rates():
    undated = load_data({"fx": {"GBP/USD": "1.27", "EUR/USD": "1.08"}})
    assert data_to_json(undated)["fx"] == {"EUR/USD": "1.08", "GBP/USD": "1.27"}
    dated = load_data({"fx": [DATED[1], {"pair": "EUR/USD", "rate": "1.05"}]})
    assert data_to_json(dated)["fx"] == [
        {"pair": "EUR/USD", "rate": "1.05", "from": None},
        {"pair": "EUR/USD", "rate": "1.10", "from": "2026-10-01"},
    ]
    assert load_data(data_to_json(dated)) == dated


# --------------------------------------------------------------------------- properties

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
RATES = st.decimals(min_value=D("0.01"), max_value=D("9.99"), places=2)
ENTRIES = st.lists(
    st.tuples(st.sampled_from(["EUR/USD", "GBP/USD"]), RATES, st.none() | DAYS),
    max_size=8,
    unique_by=lambda e: (e[0], e[2]),
)


@settings(max_examples=200, deadline=None)
@given(ENTRIES, DAYS)
def test_rate_on_is_the_latest_from_on_or_before_the_day(entries, day):
    rates = [FxRate(pair, rate, start) for pair, rate, start in entries]
    table = FxTable(rates)
    for pair in ("EUR/USD", "GBP/USD"):
        in_force = [r for r in rates if r.pair == pair and (r.start or date.min) <= day]
        expected = max(in_force, key=lambda r: r.start or date.min) if in_force else None
        assert table.rate_on(pair, day) == expected


@settings(max_examples=100, deadline=None)
@given(ENTRIES)
def test_fx_to_json_and_read_fx_round_trip(entries):
    rates = {FxRate(pair, rate, start) for pair, rate, start in entries}
    check = Checker()
    assert set(read_fx(check, fx_to_json(rates))) == rates
    assert not check.problems


@settings(max_examples=60, deadline=None)
@given(
    RATES,
    st.lists(DAYS.filter(lambda d: d.year == 2026), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=400),
)
def test_an_undated_rate_pays_like_the_same_rate_dated_before_every_deal(rate, days, before):
    deals = [deal(f"D{i}", 1000 + i, d.isoformat(), currency="EUR") for i, d in enumerate(days)]
    first = min(days) - timedelta(days=before)
    undated = data(deals, fx={"EUR/USD": str(rate)})
    dated = data(deals, fx=[{"pair": "EUR/USD", "rate": str(rate), "from": first.isoformat()}])
    for period in sorted({f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in days}):
        a, b = statement(run(plan(), undated, period)), statement(run(plan(), dated, period))
        assert [(x["credit"], x["amount"]) for x in a["lines"]] == [
            (x["credit"], x["amount"]) for x in b["lines"]
        ]


@settings(max_examples=60, deadline=None)
@given(RATES, RATES, DAYS.filter(lambda d: d.year == 2026))
def test_a_rate_from_a_later_day_never_changes_earlier_deals(old, new, start):
    deals = [deal(f"D{m}", 1000, f"2026-{m:02d}-15", currency="EUR") for m in range(1, 13)]
    before = [{"pair": "EUR/USD", "rate": str(old), "from": "2026-01-01"}]
    after = [*before, {"pair": "EUR/USD", "rate": str(new), "from": start.isoformat()}]
    if start == date(2026, 1, 1):
        after = after[1:]
    for quarter in range(1, 5):
        period = f"2026-Q{quarter}"
        was = lines(statement(run(plan(), data(deals, fx=before), period)), "commission")
        now = lines(statement(run(plan(), data(deals, fx=after), period)), "commission")
        for a, b in zip(was, now, strict=True):
            close = date.fromisoformat(f"2026-{a['deal'][1:].zfill(2)}-15")
            if close < start:
                assert a == b
            else:
                assert fx_step(b)["rate"] == format(new, "f")
