"""Issue 11, scenario 3: the effective date is voted on with the plan (both backends).

A change request carries its date from submission; the hash a vote names covers it; the
deciding vote approves (and activates, where the approval rules say so); a request that
does not move says why, in one sentence.
"""

from __future__ import annotations

from datetime import date

import pytest

from governance.committee import approval_rules
from governance.errors import Conflict, DocumentRejected
from governance.plans import lifecycle
from governance.plans import lookup as plans
from governance.plans.change_requests import request_hash
from governance.plans.progress import next_step
from governance.plans.tally import change_request_of, voted_hash
from governance.plans.votes import cast_plan_vote
from tests.integration.committee import committee, plan_text, submitted, vote
from tests.support.cli import run

DAY = date(2027, 1, 1)


@pytest.fixture
def people(make_user):
    return committee(make_user)  # author, finance, sales, hr, both


def test_issue_11_scenario_3_the_date_is_voted_on_and_the_deciding_vote_approves(db, people):
    version = submitted(db, people, plan_text(), effective=DAY)
    request = change_request_of(db, version)
    assert (request.effective_from, version.effective_from) == (DAY, DAY)
    assert request.content_hash == request_hash(version.content_hash, DAY, False)
    assert voted_hash(db, version) == request.content_hash != version.content_hash
    # A vote on the plan's content alone is not a vote on the request (the date is in it).
    with pytest.raises(Conflict, match="is not a vote on it"):
        cast_plan_vote(
            db,
            people["finance"],
            "ae-plan",
            1,
            decision="approve",
            content_hash=version.content_hash,
        )
    steps = [next_step(db, version)]
    for who in ("finance", "sales", "hr"):
        vote(db, people[who], version)
        steps.append(next_step(db, version))
    db.commit()
    assert steps == [
        "Waiting for votes from finance, sales and 1 more member (0 of 3 approvals).",
        "Waiting for votes from sales and 1 more member (1 of 3 approvals).",
        "Waiting for 1 more approval (2 of 3 approvals).",
        "Approved; waiting for a comp admin (plans.activate) to put it in force from 2027-01-01.",
    ]
    # Approved by the deciding vote, with the date voted on: not "3 of 3" and submitted.
    assert (version.state, version.effective_from) == ("approved", DAY)
    lifecycle.activate(db, people["author"], "ae-plan", 1)
    assert next_step(db, version) == (
        "Approved and active; governs from 2027-01-01 (the version before it until then)."
    )


def test_the_request_hash_changes_with_the_date_and_the_flag():
    plan_hash = "sha256:" + "0" * 64
    hashes = {
        request_hash(plan_hash, DAY, False),
        request_hash(plan_hash, date(2027, 1, 2), False),
        request_hash(plan_hash, DAY, True),
        request_hash("sha256:" + "1" * 64, DAY, False),
    }
    assert len(hashes) == 4


def test_a_submission_without_a_date_is_refused_and_another_date_at_approval_too(db, people):
    draft = lifecycle.create_draft(db, people["author"], plan_text())
    with pytest.raises(DocumentRejected) as refused:
        lifecycle.submit(db, people["author"], "ae-plan", draft.number)
    assert [(p.path, p.message.split(":")[0]) for p in refused.value.problems] == [
        ("effective_from", "required")
    ]
    version = lifecycle.submit(db, people["author"], "ae-plan", draft.number, effective_from=DAY)
    with pytest.raises(DocumentRejected, match="voted on") as other:
        lifecycle.approve(db, None, "ae-plan", 1, effective_from=date(2027, 4, 1))
    assert "the committee voted on 2027-01-01, not 2027-04-01" in other.value.problems[0].message
    lifecycle.approve(db, None, "ae-plan", 1, effective_from=DAY)  # the voted date: fine
    assert version.state == "approved"


def _rules_activating_on_approval(db) -> None:
    rules = approval_rules.document_of_default()
    rules["plan_change"]["activate_on_approval"] = True
    proposal = approval_rules.propose(db, None, rules)
    approval_rules.decide(db, None, proposal, "active", "test setup")


def test_rules_that_activate_on_approval_put_it_in_force_with_the_deciding_vote(db, people):
    _rules_activating_on_approval(db)
    version = submitted(db, people, plan_text(), effective=DAY)
    for who in ("finance", "sales", "hr"):  # committee members: none holds plans.activate
        vote(db, people[who], version)
    db.commit()
    assert (version.state, version.effective_from) == ("active", DAY)
    assert plans.get_plan(db, "ae-plan").active_number == version.number
    notes = [(t.to_state, t.note) for t in version.transitions]
    assert notes[-1] == ("active", "activated on approval (approval-rules/2: activate_on_approval)")
    assert notes[-2][0] == "approved"


def test_activate_on_approval_must_be_true_or_false():
    rules = approval_rules.document_of_default()
    rules["plan_change"]["activate_on_approval"] = "yes"
    problems = approval_rules.validate_rules(rules)
    assert [(p.path, p.message) for p in problems] == [
        ("$.plan_change.activate_on_approval", "expected true or false")
    ]
    rules["approval_rules"]["activate_on_approval"] = True  # only plan changes take it
    assert "$.approval_rules.activate_on_approval" in [
        p.path for p in approval_rules.validate_rules(rules)
    ]


def test_a_request_approved_by_its_votes_but_locked_out_says_why(db, people, monkeypatch):
    version = submitted(db, people, plan_text(), effective=DAY)
    for who in ("finance", "sales"):
        vote(db, people[who], version)
    # A run locked the date's period since the submission: the deciding vote counts but
    # cannot approve (tests/integration/test_effective_dates.py with a real run).
    monkeypatch.setattr("governance.plans.gates.is_period_locked", lambda session, day: day == DAY)
    _vote, tally = vote(db, people["hr"], version)
    assert (tally.outcome, version.state) == ("approved", "submitted")
    assert next_step(db, version) == (
        "Approved by the votes, but 2027-01-01 now falls in a locked payout period: withdraw"
        " the request and submit it again with a later date, or as retroactive."
    )


def test_the_api_shows_the_date_the_hash_and_the_next_step(client, db, people, token_for):
    author, finance = token_for(people["author"]), token_for(people["finance"])
    lifecycle.create_draft(db, people["author"], plan_text())
    db.commit()
    base = "/api/v1/plans/ae-plan/versions/1"
    submitted_ = client.post(
        f"{base}/submit", json={"effective_from": "2027-01-01"}, headers=author
    )
    assert submitted_.status_code == 200, submitted_.get_json()
    assert submitted_.get_json()["next_step"] == (
        "Waiting for votes from finance, sales and 1 more member (0 of 3 approvals)."
    )
    box = client.get(f"{base}/votes", headers=finance).get_json()
    impact = client.get(f"{base}/impact", headers=finance).get_json()
    for body in (box, impact):
        assert body["effective_from"] == "2027-01-01"
        assert body["content_hash"] == request_hash(body["plan_content_hash"], DAY, False)
        assert body["next_step"] == submitted_.get_json()["next_step"]
    cast = client.post(
        f"{base}/votes",
        json={"decision": "approve", "content_hash": box["content_hash"]},
        headers=finance,
    )
    assert cast.status_code == 201, cast.get_json()
    assert cast.get_json()["next_step"] == (
        "Waiting for votes from sales and 1 more member (1 of 3 approvals)."
    )
    stale = client.post(
        f"{base}/votes",
        json={"decision": "approve", "content_hash": box["plan_content_hash"]},
        headers=token_for(people["sales"]),
    )
    assert stale.status_code == 409


def test_the_cli_submits_with_the_date(cli_env, tmp_path):
    path = tmp_path / "ae-plan.yaml"
    path.write_text(plan_text(), encoding="utf-8")
    assert run("plans", "import", path).exit_code == 0
    undated = run("plans", "submit", "ae-plan", 1)
    assert undated.exit_code == 2 and "--effective-from" in undated.output
    done = run("plans", "submit", "ae-plan", 1, "--effective-from", "2027-01-01")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("submitted ae-plan/1 effective 2027-01-01 sha256:")
