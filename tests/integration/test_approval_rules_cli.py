"""`accord approval-rules show|propose` against a real, migrated database (both backends)."""

from __future__ import annotations

import json

from governance.committee.approval_rules import DEFAULT_RULES, canonical
from tests.support.cli import run


def test_show_and_propose(cli_env, tmp_path):
    shown = run("approval-rules", "show", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == DEFAULT_RULES

    proposal = json.loads(json.dumps(DEFAULT_RULES))
    proposal["impact"]["periods"] = 6
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(proposal), encoding="utf-8")
    proposed = run("approval-rules", "propose", str(path), "--note", "a longer look back")
    assert proposed.exit_code == 0, proposed.output
    assert proposed.output.strip() == (
        f"proposed approval-rules/2 {canonical(proposal)[1]}: decided by vote under version 1"
    )
    listing = run("approval-rules", "show").output.splitlines()
    assert [line.split()[:2] for line in listing[:2]] == [["1", "active"], ["2", "submitted"]]

    path.write_text(json.dumps({"plan_change": {}}), encoding="utf-8")
    refused = run("approval-rules", "propose", str(path))
    assert refused.exit_code == 2
    assert "$.approval_rules" in refused.output
