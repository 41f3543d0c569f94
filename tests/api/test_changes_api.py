"""Committee endpoints over HTTP on both databases: votes, impact, approval rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import ApprovalRuleSet, AuditRecord, Vote
from tests.integration.committee import plan_text

YAML = {"Content-Type": "application/yaml"}
BASE = "/api/v1/plans/ae-plan/versions/1"


@pytest.fixture
def tokens(make_user, token_for):
    return {
        "author": token_for(make_user("comp_admin")),
        "finance": token_for(make_user("committee", functions=["finance"])),
        "sales": token_for(make_user("committee", functions=["sales"])),
        "hr": token_for(make_user("committee", functions=["hr"])),
        "auditor": token_for(make_user("auditor")),
        "rep": token_for(make_user("rep")),
    }


def _submitted(client, tokens) -> str:
    created = client.post("/api/v1/plans", data=plan_text(), headers={**tokens["author"], **YAML})
    assert created.status_code == 201, created.get_json()
    submitted = client.post(
        f"{BASE}/submit", json={"effective_from": "2026-01-01"}, headers=tokens["author"]
    )
    assert submitted.status_code == 200, submitted.get_json()
    # A vote names the request's hash (the plan with its date), not the plan's own.
    box = client.get(f"{BASE}/votes", headers=tokens["author"]).get_json()
    assert box["plan_content_hash"] == submitted.get_json()["content_hash"]
    assert box["content_hash"] != box["plan_content_hash"]
    return box["content_hash"]


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_the_committee_sees_the_impact_and_votes_the_change_through(client, db, tokens):
    content_hash = _submitted(client, tokens)
    impact = client.get(f"{BASE}/impact", headers=tokens["finance"])
    assert impact.status_code == 200, impact.get_json()
    body = impact.get_json()
    assert (body["content_hash"], body["decided_under"]) == (content_hash, 1)
    assert body["impact"]["replaced"] is None and len(body["impact"]["periods"]) == 4
    assert client.get(f"{BASE}/impact", headers=tokens["rep"]).status_code == 403

    def cast(who, decision="approve", **extra):
        payload = {"decision": decision, "content_hash": content_hash, **extra}
        return client.post(f"{BASE}/votes", json=payload, headers=tokens[who])

    first = cast("finance", comment="numbers checked")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["tally"]["summary"] == "1 of 3 approvals; still needed: function:sales"
    assert first.get_json()["vote"]["functions"] == ["finance"]
    assert cast("sales").get_json()["state"] == "submitted"
    last = cast("hr")
    assert (last.get_json()["state"], last.get_json()["tally"]["outcome"]) == (
        "approved",
        "approved",
    )
    box = client.get(f"{BASE}/votes", headers=tokens["auditor"]).get_json()
    assert [v["decision"] for v in box["votes"]] == ["approve"] * 3
    assert box["tally"]["filled"].keys() == {"function:finance", "function:sales"}
    late = cast("author")
    assert late.status_code == 403  # comp_admin holds no changes.vote


def test_bad_votes_are_refused_with_located_problems_and_nothing_written(client, db, tokens):
    content_hash = _submitted(client, tokens)
    audit_before = _count(db, AuditRecord)
    bad = client.post(
        f"{BASE}/votes", json={"decision": "maybe", "content_hash": "abc"}, headers=tokens["sales"]
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.get_json()["errors"]} == {
        "json.decision",
        "json.content_hash",
    }
    no_reason = client.post(
        f"{BASE}/votes",
        json={"decision": "reject", "content_hash": content_hash},
        headers=tokens["sales"],
    )
    assert no_reason.status_code == 422
    assert [(e["path"], e["message"]) for e in no_reason.get_json()["errors"]] == [
        ("comment", "a rejection needs a written reason")
    ]
    other = "sha256:" + "a" * 64
    wrong_hash = client.post(
        f"{BASE}/votes",
        json={"decision": "approve", "content_hash": other},
        headers=tokens["sales"],
    )
    assert wrong_hash.status_code == 409
    assert wrong_hash.get_json()["errors"][0]["path"] == "content_hash"
    assert (
        client.post(
            f"{BASE}/votes", json={"decision": "approve", "content_hash": content_hash}
        ).status_code
        == 401
    )
    assert (_count(db, Vote), _count(db, AuditRecord)) == (0, audit_before)
    rejected = client.post(
        f"{BASE}/votes",
        json={"decision": "reject", "content_hash": content_hash, "comment": "too rich"},
        headers=tokens["sales"],
    )
    assert rejected.get_json()["state"] == "rejected"
    missing = client.get("/api/v1/plans/ae-plan/versions/9/votes", headers=tokens["auditor"])
    assert missing.status_code == 404


def test_a_draft_has_no_impact_yet(client, tokens):
    client.post("/api/v1/plans", data=plan_text(), headers={**tokens["author"], **YAML})
    assert client.get(f"{BASE}/impact", headers=tokens["auditor"]).status_code == 404


def test_approval_rules_change_by_committee_vote_under_the_current_rules(client, db, tokens):
    current = client.get("/api/v1/approval-rules", headers=tokens["auditor"])
    assert current.status_code == 200
    rules = current.get_json()["active"]["rules"]
    assert rules["plan_change"]["min_approvals"] == 3
    rules["plan_change"] = dict(
        rules["plan_change"], min_approvals=2, required_functions=["finance"]
    )

    invalid = dict(rules, plan_change={"min_approvals": 0, "required_functions": ["legal"]})
    refused = client.post(
        "/api/v1/approval-rules", json={"rules": invalid}, headers=tokens["author"]
    )
    assert refused.status_code == 422
    assert {e["path"] for e in refused.get_json()["errors"]} == {
        "$.plan_change.any_rejection_rejects",
        "$.plan_change.min_approvals",
        "$.plan_change.required_functions[0]",
    }
    assert _count(db, ApprovalRuleSet) == 1
    proposed = client.post(
        "/api/v1/approval-rules",
        json={"rules": rules, "note": "two will do"},
        headers=tokens["author"],
    )
    assert proposed.status_code == 201, proposed.get_json()
    proposal = proposed.get_json()
    assert (proposal["number"], proposal["state"], proposal["decided_under"]) == (2, "submitted", 1)
    assert proposal["tally"]["rule"]["min_approvals"] == 3  # decided under version 1

    def cast(who):
        payload = {"decision": "approve", "content_hash": proposal["content_hash"]}
        return client.post("/api/v1/approval-rules/2/votes", json=payload, headers=tokens[who])

    assert cast("finance").get_json()["state"] == "submitted"
    assert cast("sales").get_json()["state"] == "submitted"  # two are not enough yet
    done = cast("hr")
    assert done.status_code == 201
    assert done.get_json()["state"] == "active"
    after = client.get("/api/v1/approval-rules", headers=tokens["finance"]).get_json()
    assert after["active"]["number"] == 2
    assert [(v["number"], v["state"]) for v in after["versions"]] == [
        (1, "superseded"),
        (2, "active"),
    ]
    assert (
        client.post(
            "/api/v1/approval-rules", json={"rules": rules}, headers=tokens["finance"]
        ).status_code
        == 403
    )  # the committee decides; comp admins propose
