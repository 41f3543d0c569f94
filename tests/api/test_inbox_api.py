"""`GET /api/v1/me/inbox`, the inbox page and its count in the nav, on both databases:
votes someone may cast (by the ballot's own refusal), disputes to review, one's own
requests waiting (and why), newest first and paged; e-mail preferences; webhooks."""

from __future__ import annotations

from datetime import date

import pytest

from governance.committee import approval_rules
from governance.disputes import workflow as disputes
from tests.integration.committee import committee, lenient_rules
from tests.support.disputes import participants, run_with_lines
from tests.support.sessions import csrf_token, sign_in


@pytest.fixture
def people(make_user):
    return {**committee(make_user), "reviewer": make_user("comp_admin")}


def _proposal(db, people):
    proposal = approval_rules.propose(db, people["author"], lenient_rules())
    db.commit()
    return proposal


def _inbox(client, headers, **query):
    response = client.get("/api/v1/me/inbox", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_proposal_waits_for_each_member_who_may_vote_and_its_author_sees_why(
    client, db, people, token_for
):
    proposal = _proposal(db, people)
    finance = _inbox(client, token_for(people["finance"]))
    assert finance["counts"] == {"vote": 1, "review": 0, "waiting": 0, "actionable": 1}
    [item] = finance["items"]
    assert item["kind"] == "vote" and item["subject"] == proposal.label
    assert item["path"] == "/committee/approval-rules"
    assert item["title"] == f"Approval rules {proposal.label}"

    author = _inbox(client, token_for(people["author"]))
    [mine] = author["items"]
    assert mine["kind"] == "waiting"
    assert mine["why"] == "waiting for a finance and a sales vote (0 of 3 approvals)"
    assert _inbox(client, token_for(people["rep"]))["total"] == 0

    approval_rules.cast_rules_vote(
        db,
        people["finance"],
        proposal.number,
        decision="approve",
        content_hash=proposal.content_hash,
    )
    db.commit()
    # Voted: no longer waiting for finance (the ballot's refusal says so).
    assert _inbox(client, token_for(people["finance"]))["total"] == 0
    assert _inbox(client, token_for(people["sales"]))["counts"]["vote"] == 1


def test_disputes_wait_for_reviewers_and_the_rep_sees_theirs_waiting(
    client, db, people, make_user, token_for
):
    _mia, ana, bob = participants(db, "-inbox")
    lines = run_with_lines(db, ana, bob)
    rep = make_user("rep", participant_id=ana)
    old = disputes.file(db, rep, lines.ana.id, reason="late", today=date(2020, 1, 6))
    new = disputes.file(db, rep, lines.ana2.id, reason="fresh")
    db.commit()

    found = _inbox(client, token_for(people["reviewer"]))
    assert [i["subject"] for i in found["items"]] == [f"Dispute {new.id}", f"Dispute {old.id}"]
    assert found["items"][1]["why"].endswith("(overdue)")
    assert {i["kind"] for i in found["items"]} == {"review"}

    theirs = _inbox(client, token_for(rep))
    assert theirs["counts"]["waiting"] == 2 and theirs["counts"]["actionable"] == 0
    assert theirs["items"][0]["why"].startswith("waiting for a reviewer's answer")

    paged = _inbox(client, token_for(people["reviewer"]), page=2, per_page=1)
    assert paged["total"] == 2 and [i["subject"] for i in paged["items"]] == [f"Dispute {old.id}"]


def test_the_inbox_needs_a_sign_in_and_refuses_a_bad_page(client, people, token_for):
    assert client.get("/api/v1/me/inbox").status_code == 401
    response = client.get("/api/v1/me/inbox?page=0", headers=token_for(people["finance"]))
    assert response.status_code == 422


def test_email_preferences_are_kept_per_kind(client, people, token_for):
    headers = token_for(people["finance"])
    got = client.get("/api/v1/me/notification-preferences", headers=headers).get_json()
    assert got["email"]["vote_requested"] is True
    put = client.put(
        "/api/v1/me/notification-preferences",
        json={"email": {"vote_requested": False}},
        headers=headers,
    )
    assert put.status_code == 200 and put.get_json()["email"]["vote_requested"] is False
    assert put.get_json()["email"]["decision_made"] is True
    bad = client.put(
        "/api/v1/me/notification-preferences", json={"email": {"nope": True}}, headers=headers
    )
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["path"] == "$.nope"


def test_only_admins_configure_webhooks_and_the_secret_is_shown_once(
    client, people, make_user, token_for
):
    admin = token_for(make_user("admin"))
    body = {"name": "chat", "url": "https://hooks.example.test/x", "format": "slack"}
    assert (
        client.post("/api/v1/webhooks", json=body, headers=token_for(people["finance"])).status_code
        == 403
    )
    created = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert created.status_code == 201 and len(created.get_json()["secret"]) > 30
    listed = client.get("/api/v1/webhooks", headers=admin).get_json()
    assert [h["name"] for h in listed] == ["chat"] and "secret" not in listed[0]
    bad = client.post("/api/v1/webhooks", json={**body, "url": "ftp://x"}, headers=admin)
    assert bad.status_code == 422
    gone = client.delete(f"/api/v1/webhooks/{created.get_json()['id']}", headers=admin)
    assert gone.status_code == 200 and gone.get_json()["active"] is False
    back = client.post(f"/api/v1/webhooks/{created.get_json()['id']}/enable", headers=admin)
    assert back.status_code == 200 and back.get_json()["active"] is True
    test = client.post(f"/api/v1/webhooks/{created.get_json()['id']}/test", headers=admin)
    assert test.status_code == 202 and test.get_json()["event_id"] > 0
    assert client.post("/api/v1/webhooks/999999/test", headers=admin).status_code == 404


def test_the_page_lists_the_items_and_every_page_counts_them_in_the_nav(app, db, people):
    proposal = _proposal(db, people)
    client = app.test_client()
    assert sign_in(client, people["finance"].email).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="inbox-count">1<' in home
    page = client.get("/inbox").get_data(as_text=True)
    assert page.count('data-testid="inbox-item"') == 1 and proposal.label in page

    token = csrf_token(client)
    saved = client.post("/inbox/preferences", data={"csrf_token": token, "decision_made": "on"})
    assert saved.status_code == 303
    page = client.get("/inbox").get_data(as_text=True)
    assert 'name="decision_made" checked' in page
    assert 'name="vote_requested" checked' not in page
