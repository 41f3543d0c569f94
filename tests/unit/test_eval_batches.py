"""The credit step matches many deals' lines at once (rules/evaluation/lines.py) and still
writes what it would deal by deal: the same statements, lines and traces, and the same
warnings and problems in the same order, whatever the batch size, on both engines."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate, to_json
from rules.evaluation import lines, matching
from rules.problems import EvaluationError

ROOT = Path(__file__).resolve().parents[2]

# No default rate: renewals by others than EMEA reps get "no rate rule holds" warnings.
COMBINED = """
policy: batch-combined
title: Matched on each deal's first line
currency: USD
period: quarter
eligibility:
  - {id: ramped, when: participant.tenure_days >= 30}
credit:
  - {id: owner, to: splits, share: 1}
rates:
  - {id: new-business, when: deal.type == "new", rate: 0.06}
  - {id: emea, when: participant.region == "EMEA", rate: 0.04}
gates:
  - {id: margin-floor, when: deal.gross_margin < 0.2, effect: block}
spifs:
  - {id: multi-year, when: deal.term_months >= 24 and credit.share >= 0.5, amount: 300}
"""

# Credit rules with conditions: the deal is matched first to choose them. The SE rule
# credits nobody (the generated deals have no team: a warning each); OVER_ONE makes the
# shares of other deals sum past 1 (a problem each).
CONDITIONAL = """
policy: batch-conditional
title: Matched deal first, then lines
currency: USD
period: quarter
credit:
  - {id: renewals, when: deal.type == "renewal", to: owner, share: 1}
  - {id: others, when: deal.type != "renewal", to: splits, share: 0.9}
  - {id: se, when: deal.type != "renewal", to: {team: SE}, share: 0.1}
rates:
  - {id: long, when: deal.term_months >= 24 and participant.region != "APAC", rate: 0.05}
  - {id: default, rate: 0.02}
"""
OVER_ONE = CONDITIONAL.replace("share: 0.9", "share: 1")


def _data(plan: str, n: int = 700, foreign: bool = False) -> dict:
    """bench/evaluate.py's generated deals, with people whose assignment ends mid-year
    (deals after it: "no assignment" warnings) or who hold two (overlap warnings)."""
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = bench.make_data(n)
    for i, person in enumerate(data["participants"]):
        person["assignments"] = [{"plan": plan, "start": "2026-01-01", "end": None}]
        if i % 7 == 1:
            person["assignments"][0]["end"] = "2026-08-15"
        elif i % 11 == 2:
            person["assignments"].append({"plan": plan, "start": "2026-07-01", "end": None})
    for quota in data["quotas"]:
        quota["plan"] = plan
    if foreign:  # no EUR rate: a problem for each of these deals, in deal order
        for deal in data["deals"][::37]:
            deal["currency"] = "EUR"
    return data


def _outcome(plan_text: str, data: dict, engine: str) -> str:
    plan = load_plan(plan_text)
    try:
        return to_json(
            evaluate([plan], load_data(json.dumps(data).encode()), "2026-Q3", engine=engine)
        )
    except EvaluationError as error:
        return "\n".join(str(p) for p in error.problems)


@pytest.mark.parametrize("engine", ["durable", "python"])
@pytest.mark.parametrize(
    ("plan", "foreign"),
    [
        (COMBINED, False),
        (CONDITIONAL, False),
        (OVER_ONE, True),
        (COMBINED, True),
    ],
    ids=["combined", "conditional", "shares-over-one", "no-fx-rate"],
)
def test_any_batch_size_writes_what_deal_by_deal_writes(monkeypatch, plan, foreign, engine):
    policy = load_plan(plan).policy
    data = _data(policy, foreign=foreign)
    batched = _outcome(plan, data, engine)  # MATCH_DEALS deals per batch
    monkeypatch.setattr(lines, "MATCH_DEALS", 1)
    alone = _outcome(plan, data, engine)
    monkeypatch.setattr(lines, "MATCH_DEALS", 7)
    assert _outcome(plan, data, engine) == alone
    assert batched == alone
    if engine == "durable":  # the engine decided: nothing was handed to the oracle
        compiled = matching.PlanMatcher(load_plan(plan))  # the same, cached, matchers
        for matcher in (compiled._deal, compiled._line, compiled._all):
            assert matcher is None or not matcher.fallback
    if batched.startswith("{"):
        warnings = json.loads(batched)["warnings"]
        expected = ["no assignment", "assignments to the plan active"]
        expected.append("no rate rule holds" if plan == COMBINED else "credits nobody")
        assert all(any(kind in w for w in warnings) for kind in expected), warnings
        assert json.loads(batched)["statements"]
    else:  # the problems of the credit step, in deal order
        assert "no FX rate" in batched
        assert ("over 1" in batched) == (plan == OVER_ONE)
