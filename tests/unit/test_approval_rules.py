"""The approval rules document: the default equals what migration 0003 seeds; validation."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from governance.committee.approval_rules import DEFAULT_RULES, canonical, validate_rules

MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "migrations"
    / "versions"
    / "0003_approval_rules_change_requests_votes.py"
)


def test_the_default_rules_are_the_ones_migration_0003_seeds():
    spec = importlib.util.spec_from_file_location("migration_0003", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert canonical(module.DEFAULT_RULES) == canonical(DEFAULT_RULES)
    assert validate_rules(DEFAULT_RULES) == []


def test_every_problem_is_listed_with_its_path():
    rules = {
        "plan_change": {
            "min_approvals": 1,
            "required_functions": ["finance", "sales", "finance"],
            "any_rejection_rejects": "yes",
        },
        "approval_rules": dict(DEFAULT_RULES["approval_rules"]),
        "exception": {"committee_above": 10000.5, "below": DEFAULT_RULES["exception"]["below"]},
        "impact": {"periods": 40, "top": 0},
        "extra": {},
    }
    assert [(p.path, p.message) for p in validate_rules(rules)] == [
        ("$.extra", "unknown key"),
        ("$.plan_change.required_functions", "a name appears more than once"),
        ("$.plan_change.any_rejection_rejects", "expected true or false"),
        ("$.exception.committee_above", 'expected an amount as text, e.g. "10000"'),
        ("$.impact.periods", "expected a whole number 1 to 12"),
        ("$.impact.top", "expected a whole number 1 to 100"),
    ]
    assert [p.path for p in validate_rules({"plan_change": {}})] == [
        "$.approval_rules",
        "$.exception",
        "$.impact",
    ]


def test_more_required_functions_than_approvals_is_refused():
    rules = dict(
        DEFAULT_RULES,
        plan_change={
            "min_approvals": 1,
            "required_functions": ["finance", "sales"],
            "any_rejection_rejects": True,
        },
    )
    [problem] = validate_rules(rules)
    assert problem.path == "$.plan_change.min_approvals"
    assert "one person fills at most one" in problem.message
