"""Effective dates inside a period whose payout run is locked: refused unless the change
request is explicitly retroactive (set at submission, stored, shown, audited)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from governance.errors import DocumentRejected
from governance.plans import lifecycle
from governance.plans.progress import next_step
from governance.plans.tally import change_request_of
from models import AuditRecord
from tests.integration.committee import approve_by_committee, committee, plan_text, vote
from tests.support.payout_close import make_run

IN_LOCKED = date(2026, 2, 15)  # 2026-Q1, locked below
AFTER = date(2026, 4, 1)


@pytest.fixture
def people(make_user):
    return committee(make_user)


@pytest.fixture
def locked_q1(db, people):
    return make_run(db, people["author"], "2026-Q1", state="locked")


def _draft(db, people, rate="0.06"):
    return lifecycle.create_draft(db, people["author"], plan_text(rate))


def test_submission_into_a_locked_period_is_refused_without_the_flag(db, people, locked_q1):
    version = _draft(db, people)
    with pytest.raises(DocumentRejected) as refused:
        lifecycle.submit(db, people["author"], "ae-plan", version.number, effective_from=IN_LOCKED)
    [problem] = refused.value.problems
    assert problem.path == "effective_from" and "retroactive" in problem.message
    assert version.state == "draft"
    # The day after the locked quarter is fine, and a draft run does not lock anything.
    make_run(db, people["author"], "2026-Q2", state="draft")
    lifecycle.submit(db, people["author"], "ae-plan", version.number, effective_from=AFTER)
    assert version.state == "submitted"
    assert change_request_of(db, version).retroactive is False


def test_a_retroactive_change_is_stored_audited_and_approved(db, people, locked_q1):
    version = _draft(db, people)
    lifecycle.submit(
        db,
        people["author"],
        "ae-plan",
        version.number,
        effective_from=IN_LOCKED,
        retroactive=True,
    )
    db.commit()
    assert change_request_of(db, version).retroactive is True
    submitted = db.scalar(select(AuditRecord).where(AuditRecord.action == "plan_version.submitted"))
    assert submitted.payload["retroactive"] is True
    approve_by_committee(db, people, version)
    assert (version.state, version.effective_from) == ("approved", IN_LOCKED)


def test_a_period_locked_after_submission_blocks_the_approval_not_the_votes(db, people):
    version = _draft(db, people)
    lifecycle.submit(db, people["author"], "ae-plan", version.number, effective_from=IN_LOCKED)
    make_run(db, people["author"], "2026-Q1", state="locked")
    for who in ("finance", "sales"):
        vote(db, people[who], version)
    _vote, result = vote(db, people["hr"], version)
    # The votes suffice, but the date is now in a locked period: it stays submitted, and
    # says why. The date was voted on: approving with another one is refused.
    assert (result.outcome, version.state) == ("approved", "submitted")
    assert "now falls in a locked payout period" in next_step(db, version)
    with pytest.raises(DocumentRejected, match="effective date"):
        lifecycle.approve(db, people["both"], "ae-plan", version.number)
    with pytest.raises(DocumentRejected, match="voted on") as other_date:
        lifecycle.approve(db, people["both"], "ae-plan", version.number, effective_from=AFTER)
    assert other_date.value.problems[0].path == "effective_from"
    assert version.state == "submitted"


def test_the_api_takes_shows_and_refuses_the_flag(client, db, people, token_for, locked_q1):
    author = token_for(people["author"])
    version = _draft(db, people)
    db.commit()
    base = f"/api/v1/plans/ae-plan/versions/{version.number}"
    refused = client.post(f"{base}/submit", json={"effective_from": "2026-02-15"}, headers=author)
    assert refused.status_code == 422
    assert [e["path"] for e in refused.get_json()["errors"]] == ["effective_from"]
    accepted = client.post(
        f"{base}/submit",
        json={"effective_from": "2026-02-15", "retroactive": True},
        headers=author,
    )
    assert accepted.status_code == 200, accepted.get_json()
    impact = client.get(f"{base}/impact", headers=author).get_json()
    assert impact["retroactive"] is True
    wrong = client.post(
        f"{base}/withdraw", json={"retroactive": True}, headers=author
    )  # only on submission
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"][0]["path"] == "json.retroactive"
