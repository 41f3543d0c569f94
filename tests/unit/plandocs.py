"""Plan and data documents shared by the document, hash, data and lint tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rules.document import plan_from_mapping
from rules.problems import InvalidData, InvalidPlan, Problem
from rules.yamlload import load_yaml

# The example plan of spec section 1.
SPEC_PLAN = """\
policy: ae-plan
title: Account Executive plan FY2026
currency: USD
period: quarter
eligibility:
  - id: ramped
    when: participant.tenure_days >= 90
credit:
  - id: owner
    to: splits            # the deal's own split table, else its owner at 100%
    share: 1
rates:
  - id: new-business
    when: deal.type == "new"
    rate: 0.06
  - id: expansion
    when: deal.type == "expansion"
    rate: 0.04
  - id: default
    rate: 0.02
tiers:
  basis: attainment       # attainment | credited | deal
  mode: marginal          # marginal | retroactive
  bands:
    - {id: below-threshold, from: 0, to: 0.5, multiplier: 0}
    - {id: base, from: 0.5, to: 1.0, multiplier: 1}
    - {id: accelerator, from: 1.0, to: 1.5, multiplier: 1.5}
    - {id: stretch, from: 1.5, multiplier: 2}
gates:
  - id: margin-floor
    when: deal.gross_margin < 0.25
    effect: block
  - id: deep-discount
    when: deal.discount > 0.20
    effect: {reduce: 0.5}
  - id: pay-on-cash
    effect: {hold_until: deal.cash_collected_date}
caps:
  per_deal: 25000
  per_period: 150000
clawbacks:
  - id: early-churn
    triggers: [cancellation, churn]
    within_days: 180
    recover: prorated     # full | prorated
spifs:
  - id: multi-year
    when: deal.term_months >= 24
    amount: 500
draw:
  id: ramp-draw
  amount: 2000            # per period
  recoverable: true
  until: 2026-12-31       # optional: last day of the last period it applies to
"""

# Section-3 data that is valid on its own.
DATA: dict[str, Any] = {
    "participants": [
        {
            "id": "ana",
            "name": "Ana",
            "hire_date": "2025-01-15",
            "region": "EMEA",
            "manager": "mia",
            "attributes": {},
            "assignments": [
                {
                    "plan": "ae-plan",
                    "role": "AE",
                    "team": "emea-1",
                    "start": "2026-01-01",
                    "end": None,
                }
            ],
        },
        {"id": "mia", "name": "Mia"},
        {"id": "sam"},
        {"id": "mo"},
    ],
    "quotas": [{"participant": "ana", "plan": "ae-plan", "period": "2026-Q3", "amount": "300000"}],
    "deals": [
        {
            "id": "D-1",
            "account": "Acme",
            "type": "new",
            "amount": "120000",
            "currency": "USD",
            "close_date": "2026-07-14",
            "gross_margin": "0.42",
            "discount": "0.10",
            "term_months": 12,
            "region": "EMEA",
            "products": ["core"],
            "owner": "ana",
            "splits": None,
            "team": [{"participant": "sam", "role": "SE"}],
            "touchpoints": [{"participant": "mo", "at": "2026-03-02", "channel": "webinar"}],
            "cash_collected_date": "2026-08-01",
            "attributes": {"csat": 9},
        }
    ],
    "events": [{"deal": "D-1", "kind": "cancellation", "date": "2026-10-02", "amount": None}],
    "exceptions": [{"id": "EX-1", "kind": "waive_gate", "deal": "D-1", "gate": "margin-floor"}],
    "fx": {"EUR/USD": "1.08"},
}


def spec_plan() -> dict[str, Any]:
    """A fresh, mutable copy of the spec's example plan."""
    return load_yaml(SPEC_PLAN)


def data() -> dict[str, Any]:
    return copy.deepcopy(DATA)


def plan_problems(doc: Any, **kwargs: Any) -> list[Problem]:
    with pytest.raises(InvalidPlan) as caught:
        plan_from_mapping(doc, **kwargs)
    return list(caught.value.problems)


def data_problems(obj: Any) -> list[Problem]:
    from rules.data import load_data

    with pytest.raises(InvalidData) as caught:
        load_data(obj)
    return list(caught.value.problems)


def find(problems: list[Problem], path: str, text: str = "", rule: str | None = None) -> Problem:
    """The one problem at `path` whose message contains `text` (and has `rule`, if given)."""
    found = [
        p
        for p in problems
        if p.path == path and text in p.message and (rule is None or p.rule == rule)
    ]
    assert found, f"no problem at {path} containing {text!r}; got:\n" + "\n".join(
        str(p) for p in problems
    )
    return found[0]
