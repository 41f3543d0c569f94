"""Auditor exports: diffs between consecutive versions and votes with tallies, as CSV and
JSON through the service, the API (read-only, audit.read) and the CLI, on both databases."""

from __future__ import annotations

import csv
import io
import json

import pytest

from governance.auditing import exports as audit_exports
from governance.plans import lifecycle
from governance.plans.tally import voted_hash
from tests.integration.committee import (
    approve_by_committee,
    committee,
    plan_text,
    submitted,
    vote,
)
from tests.support.cli import run


@pytest.fixture
def people(make_user):
    return committee(make_user)


@pytest.fixture
def history(db, people):
    """ae-plan/1 approved and active; ae-plan/2 (rate 0.07, tiers) rejected by vote."""
    v1 = submitted(db, people, plan_text())
    approve_by_committee(db, people, v1)
    lifecycle.activate(db, people["author"], "ae-plan", v1.number)
    v2 = submitted(db, people, plan_text("0.07", tiers=True))
    vote(db, people["finance"], v2)
    vote(db, people["sales"], v2, "reject", "accelerators too rich")
    db.commit()
    return v1, v2


def test_diffs_of_consecutive_versions(db, history):
    v1, v2 = history
    rows = json.loads(audit_exports.export_plan_diffs(db, "json"))
    assert {(r["plan"], r["from_number"], r["to_number"]) for r in rows} == {("ae-plan", 1, 2)}
    assert all((r["from_hash"], r["to_hash"]) == (v1.content_hash, v2.content_hash) for r in rows)
    rate = [r for r in rows if r["section"] == "rates"]
    assert [(r["change"], r["rule"], r["path"], r["before"], r["after"]) for r in rate] == [
        ("changed", "new-business", "rate", "0.06", "0.07")
    ]
    assert len(rows) > 1  # the tiers, added
    table = list(csv.DictReader(io.StringIO(audit_exports.export_plan_diffs(db, "csv"))))
    assert len(table) == len(rows)
    assert tuple(table[0]) == audit_exports.DIFF_FIELDS


def test_approvals_are_every_vote_with_its_subjects_tally(db, people, history):
    _v1, v2 = history
    rows = json.loads(audit_exports.export_approvals(db, "json"))
    assert [(r["subject"], r["decision"]) for r in rows] == [
        ("ae-plan/1", "approve"),
        ("ae-plan/1", "approve"),
        ("ae-plan/1", "approve"),
        ("ae-plan/2", "approve"),
        ("ae-plan/2", "reject"),
    ]
    last = rows[-1]
    assert (last["subject_state"], last["outcome"], last["approvals"], last["rejections"]) == (
        "rejected",
        "rejected",
        1,
        1,
    )
    assert (last["voter_id"], last["comment"]) == (people["sales"].id, "accelerators too rich")
    # A plan vote names the request's hash: the plan's content with its effective date.
    assert (last["functions"], last["content_hash"]) == (["sales"], voted_hash(db, v2))
    assert rows[0]["outcome"] == "approved" and rows[0]["missing"] == []
    table = list(csv.DictReader(io.StringIO(audit_exports.export_approvals(db, "csv"))))
    assert [r["decision"] for r in table] == [r["decision"] for r in rows]
    assert table[-1]["functions"] == '["sales"]'


def test_the_api_exports_for_auditors_only(client, db, people, history, make_user, token_for):
    auditor = token_for(make_user("auditor"))
    for name in ("plan-diffs", "approvals"):
        as_json = client.get(f"/api/v1/audit/{name}", headers=auditor)
        assert as_json.status_code == 200 and as_json.mimetype == "application/json"
        assert as_json.get_json()  # not empty
        as_csv = client.get(f"/api/v1/audit/{name}?format=csv", headers=auditor)
        assert as_csv.mimetype == "text/csv"
        assert f'filename="{name}.csv"' in as_csv.headers["Content-Disposition"]
        refused = client.get(f"/api/v1/audit/{name}", headers=token_for(people["finance"]))
        assert refused.status_code == 403
        assert client.get(f"/api/v1/audit/{name}?format=xml", headers=auditor).status_code == 422


def test_the_cli_exports_diffs_and_approvals(cli_env, tmp_path):
    source = tmp_path / "ae-plan.yaml"
    source.write_text(plan_text(), encoding="utf-8")
    assert run("plans", "import", str(source)).exit_code == 0
    diffs = run("audit", "export", "--what", "plan-diffs", "--format", "csv")
    assert diffs.exit_code == 0, diffs.output
    # One version: nothing to compare it with yet, just the header.
    assert diffs.output.splitlines() == [",".join(audit_exports.DIFF_FIELDS)]
    target = tmp_path / "approvals.json"
    approvals = run("audit", "export", "--what", "approvals", "-o", str(target))
    assert approvals.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == []
