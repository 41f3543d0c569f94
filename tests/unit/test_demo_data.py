"""The demo data: deterministic, valid section-3 JSON with the cases plans care about."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.demo import DEMO_TODAY
from app.demo.generator import demo_quarters, generate_demo_data
from app.demo.roster import PLANS
from rules.period import Period

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data():
    return generate_demo_data()


def _floats(value) -> list:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def test_same_seed_gives_byte_identical_json(data):
    again = generate_demo_data(seed=2026, deals=2000)
    assert json.dumps(again, sort_keys=True) == json.dumps(data, sort_keys=True)
    # Not even dict order differs.
    assert json.dumps(again) == json.dumps(data)
    other = generate_demo_data(seed=7, deals=2000)
    assert json.dumps(other, sort_keys=True) != json.dumps(data, sort_keys=True)
    # The roster does not depend on the seed; the deals do.
    assert other["participants"] == data["participants"]


def test_same_json_in_another_process_with_another_hash_seed(data):
    script = (
        "import hashlib, json; from app.demo.generator import generate_demo_data; "
        "print(hashlib.sha256(json.dumps(generate_demo_data()).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == hashlib.sha256(json.dumps(data).encode()).hexdigest()


def test_passes_the_engine_validation(data):
    from rules.data import load_data

    loaded = load_data(data)
    assert len(loaded.deals) == 2000
    assert len(loaded.participants) == len(data["participants"])
    # dated rates: the budget rate from the start of the year, a refresh in the open Q4
    assert [(r.pair, r.rate, r.start) for r in loaded.fx if r.pair == "EUR/USD"] == [
        ("EUR/USD", Decimal("1.08"), date(2026, 1, 1)),
        ("EUR/USD", Decimal("1.10"), date(2026, 11, 2)),
    ]


def test_no_floats_and_money_as_text(data):
    assert _floats(data) == []
    deal = data["deals"][0]
    for key in ("amount", "gross_margin", "discount"):
        assert isinstance(deal[key], str)
        Decimal(deal[key])
    assert all(isinstance(q["amount"], str) for q in data["quotas"])


def test_people_plans_and_careers(data):
    people = data["participants"]
    assert len(people) >= 40
    roles = Counter(a["role"] for p in people for a in p["assignments"])
    assert roles["AE"] >= 20 and roles["SE"] >= 5 and roles["CSM"] >= 4
    assert roles["Marketing"] >= 4 and roles["Manager"] >= 5 and roles["VP"] == 1
    assert {a["plan"] for p in people for a in p["assignments"]} == set(PLANS)
    by_id = {p["id"]: p for p in people}
    assert all(p["manager"] in by_id for p in people if p["manager"])
    assert sum(1 for p in people if p["manager"] is None) == 1
    assert len({p["region"] for p in people}) == 3
    teams = {a["team"] for p in people for a in p["assignments"] if a["role"] == "AE"}
    assert len(teams) >= 3
    # A mid-year plan change (SE to AE), a leaver and a recent joiner.
    luis = [(a["plan"], a["start"], a["end"]) for a in by_id["luis-ortega"]["assignments"]]
    assert luis == [
        ("se-overlay", "2026-01-01", "2026-06-30"),
        ("ae-plan", "2026-07-01", None),
    ]
    assert by_id["jamal-harris"]["assignments"][0]["end"] == "2026-08-14"
    assert by_id["maya-patel"]["hire_date"] == "2026-09-14"
    recent = [p for p in people if (DEMO_TODAY - date.fromisoformat(p["hire_date"])).days < 270]
    assert len(recent) >= 4


def test_quotas_cover_every_assigned_quarter(data):
    quarters = [q.name for q in demo_quarters()]
    assert quarters == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    have = {(q["participant"], q["plan"], q["period"]) for q in data["quotas"]}
    for person in data["participants"]:
        for a in person["assignments"]:
            for quarter in demo_quarters():
                end = date.fromisoformat(a["end"]) if a["end"] else quarter.end
                if date.fromisoformat(a["start"]) <= quarter.end and end >= quarter.start:
                    assert (person["id"], a["plan"], quarter.name) in have
    assert all(Decimal(q["amount"]) > 0 for q in data["quotas"])
    assert len(have) == len(data["quotas"])


def test_deals_have_the_interesting_cases(data):
    deals = data["deals"]
    assert len(deals) == 2000
    assert Counter(d["type"] for d in deals).keys() == {"new", "expansion", "renewal"}
    assert {d["currency"] for d in deals} == {"USD", "EUR", "GBP"}
    assert {r["pair"] for r in data["fx"]} == {"EUR/USD", "GBP/USD"}
    assert min(r["from"] for r in data["fx"]) <= min(d["close_date"] for d in deals)
    closes = [date.fromisoformat(d["close_date"]) for d in deals]
    assert min(closes) >= date(2026, 1, 1) and max(closes) <= DEMO_TODAY
    assert {f"{c.year}-Q{(c.month - 1) // 3 + 1}" for c in closes} == {
        q.name for q in demo_quarters()
    }
    amounts = sorted(Decimal(d["amount"]) for d in deals)
    assert amounts[-1] > 20 * amounts[len(amounts) // 2]  # a long right tail
    assert any(Decimal(d["gross_margin"]) < Decimal("0.25") for d in deals)
    assert any(Decimal(d["discount"]) > Decimal("0.20") for d in deals)
    assert any(d["term_months"] >= 24 for d in deals)
    split = [d for d in deals if d["splits"]]
    assert len(split) > 50
    assert all(sum(Decimal(s["share"]) for s in d["splits"]) == 1 for d in split)
    assert any(len(d["splits"]) == 3 for d in split)
    assert any(m["role"] == "SE" for d in deals for m in d["team"])
    milestones = Counter(t.get("milestone") for d in deals for t in d["touchpoints"])
    assert milestones["lead"] > 0 and milestones["opportunity"] > 0
    assert all(t["at"] <= d["close_date"] for d in deals for t in d["touchpoints"])
    assert all(d["attributes"]["csat"] in range(1, 11) for d in deals if d["type"] == "renewal")
    late = [
        d
        for d, close in zip(deals, closes, strict=True)
        if d["cash_collected_date"]
        and date.fromisoformat(d["cash_collected_date"]) > Period.containing(close, "quarter").end
    ]
    assert late
    assert any(d["cash_collected_date"] is None for d in deals)
    assert all(
        d["cash_collected_date"] is None or d["cash_collected_date"] <= DEMO_TODAY.isoformat()
        for d in deals
    )


def test_events_inside_and_outside_the_clawback_window(data):
    deals = {d["id"]: d for d in data["deals"]}
    events = data["events"]
    kinds = Counter(e["kind"] for e in events)
    assert kinds["cancellation"] >= 3 and kinds["churn"] >= 3
    days = []
    for event in events:
        close = date.fromisoformat(deals[event["deal"]]["close_date"])
        day = date.fromisoformat(event["date"])
        assert close <= day <= DEMO_TODAY
        cash = deals[event["deal"]]["cash_collected_date"]
        assert cash is None or date.fromisoformat(cash) < day  # paid, then cancelled
        days.append((day - close).days)
    owners = {deals[e["deal"]]["owner"] for e in events}
    assert {"ana-silva", "sophie-laurent"} <= owners  # the demo reps see a clawback
    unpaid = [e for e in events if deals[e["deal"]]["cash_collected_date"] is None]
    assert unpaid  # held at the event: a forfeit rather than a clawback
    assert sum(1 for d in days if d <= 180) >= 8
    assert any(d > 180 for d in days)
    partial = [e for e in events if e["amount"] is not None]
    assert len(partial) == 1
    assert 0 < Decimal(partial[0]["amount"]) < Decimal(deals[partial[0]["deal"]]["amount"])


def test_fewer_deals_on_request():
    small = generate_demo_data(seed=1, deals=50)
    assert len(small["deals"]) == 50
    from rules.data import load_data

    assert len(load_data(small).deals) == 50
    with pytest.raises(ValueError):
        generate_demo_data(deals=0)


EXAMPLES = ROOT / "examples"


@pytest.mark.slow
def test_the_example_plans_evaluate_the_demo_quarters(data):
    """Every plan, every demo quarter: no evaluation error, and the cases show up."""
    from rules.data import load_data
    from rules.document import load_plan
    from rules.evaluate import evaluate

    plans = [load_plan((EXAMPLES / f"{key}.yaml").read_text(), base_dir=EXAMPLES) for key in PLANS]
    loaded = load_data(data)
    kinds: Counter = Counter()
    statuses: Counter = Counter()
    for quarter in ("2026-Q3", "2026-Q4"):  # Q4 accounts for Q1 to Q3 as well
        out = evaluate(plans, loaded, quarter)
        statements = {(s["participant"], s["plan"]) for s in out["statements"]}
        period = Period.parse(quarter)
        for person in data["participants"]:
            for a in person["assignments"]:
                end = date.fromisoformat(a["end"]) if a["end"] else period.end
                if date.fromisoformat(a["start"]) <= period.end and end >= period.start:
                    assert (person["id"], a["plan"]) in statements
        for statement in out["statements"]:
            for line in statement["lines"]:
                kinds[statement["plan"], line["kind"]] += 1
                statuses[statement["plan"], line["status"]] += 1
    for kind in ("commission", "spif", "release", "clawback", "forfeit", "draw"):
        assert kinds["ae-plan", kind] > 0, kind
    for status in ("payable", "held", "blocked", "ineligible"):
        assert statuses["ae-plan", status] > 0, status
    assert kinds["csm-renewals", "clawback"] + kinds["csm-renewals", "commission"] > 0
    for plan in PLANS:
        assert kinds[plan, "commission"] > 0, plan
