"""The approval rules' optional `payout_run` section: default when missing, validated."""

from __future__ import annotations

import json

from governance.committee.approval_rules import (
    DEFAULT_PAYOUT_RUN,
    DEFAULT_RULES,
    canonical,
    payout_run_rule,
    validate_rules,
)
from governance.committee.quorum import QuorumRule
from models.approvals import ApprovalRuleSet


def _rule_set(document: dict) -> ApprovalRuleSet:
    text, content_hash = canonical(document)
    return ApprovalRuleSet(number=2, state="active", document=text, content_hash=content_hash)


def test_a_rule_set_without_the_section_uses_the_default():
    assert "payout_run" not in DEFAULT_RULES  # the seeded version 1 keeps its hash
    rule = payout_run_rule(_rule_set(DEFAULT_RULES))
    assert rule == QuorumRule(2, ("finance", "revops"), (), True)
    assert rule.as_dict() == DEFAULT_PAYOUT_RUN


def test_a_stored_section_is_used():
    section = {
        "min_approvals": 3,
        "required_functions": ["finance"],
        "required_roles": ["auditor"],
        "any_rejection_rejects": False,
    }
    document = dict(json.loads(canonical(DEFAULT_RULES)[0]), payout_run=section)
    assert validate_rules(document) == []
    assert payout_run_rule(_rule_set(document)) == QuorumRule(3, ("finance",), ("auditor",), False)


def test_the_section_is_validated_like_the_others():
    document = dict(
        DEFAULT_RULES,
        payout_run={
            "min_approvals": 0,
            "required_functions": ["finance", "payroll"],
            "any_rejection_rejects": "always",
            "quorum": 2,
        },
    )
    assert [(p.path, p.message) for p in validate_rules(document)] == [
        ("$.payout_run.quorum", "unknown key"),
        ("$.payout_run.min_approvals", "expected a whole number from 1 to 50"),
        (
            "$.payout_run.required_functions[1]",
            "expected one of sales, finance, hr, marketing, customer_success, revops,"
            " got 'payroll'",
        ),
        ("$.payout_run.any_rejection_rejects", "expected true or false"),
    ]
    too_few = dict(DEFAULT_RULES, payout_run=dict(DEFAULT_PAYOUT_RUN, min_approvals=1))
    [problem] = validate_rules(too_few)
    assert problem.path == "$.payout_run.min_approvals"
    assert "one person fills at most one" in problem.message
    assert [p.path for p in validate_rules(dict(DEFAULT_RULES, payout_run=[]))] == ["$.payout_run"]
