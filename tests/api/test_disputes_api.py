"""`/api/v1/disputes` end to end over HTTP: ownership, history, stale edits, bad input."""

from __future__ import annotations

import pytest

from tests.support.disputes import participants, run_with_lines

URL = "/api/v1/disputes"


@pytest.fixture
def world(db, make_user, token_for):
    mia, ana, bob = participants(db)
    lines = run_with_lines(db, ana, bob)
    db.commit()
    users = {
        "ana": make_user("rep", participant_id=ana),
        "bob": make_user("rep", participant_id=bob),
        "mia": make_user("manager", participant_id=mia),
        "reviewer": make_user("comp_admin"),
        "auditor": make_user("auditor"),
    }
    return {"lines": lines, **{k: token_for(u) for k, u in users.items()}}


def _file(client, world, who="ana", line=None, **body):
    line = line or world["lines"].ana
    payload = {"line_id": line.id, "reason": "Closed in Q3.", **body}
    return client.post(URL, json=payload, headers=world[who])


def test_file_list_read_review_reject(client, world):
    filed = _file(
        client,
        world,
        attachments=[{"name": "crm.txt", "text": "closed-won 2026-09-29"}],
        claimed_amount="120.50",
    )
    assert filed.status_code == 201, filed.get_json()
    body = filed.get_json()
    number = body["id"]
    assert (body["state"], body["claimed_amount"], body["line"]["amount"]) == (
        "open",
        "120.50",
        "1200.000000",
    )
    assert filed.headers["ETag"] == '"1"'
    assert _file(client, world).status_code == 409  # one unresolved dispute per line
    assert _file(client, world, who="bob", line=world["lines"].bob).status_code == 201

    def ids(who, **query):
        reply = client.get(URL, headers=world[who], query_string=query)
        assert reply.status_code == 200, reply.get_json()
        return [d["id"] for d in reply.get_json()]

    assert ids("ana") == [number]
    assert number not in ids("bob")
    assert ids("mia") == [number]
    assert ids("mia", scope="team") == [number]
    assert len(ids("reviewer", scope="all")) == 2
    assert client.get(URL, headers=world["ana"], query_string={"scope": "all"}).status_code == 403
    assert client.get(f"{URL}/{number}", headers=world["bob"]).status_code == 404
    assert client.get(f"{URL}/{number}", headers=world["auditor"]).status_code == 200

    item = f"{URL}/{number}"
    stale = client.post(item + "/review", json={}, headers={**world["reviewer"], "If-Match": '"7"'})
    assert stale.status_code == 412
    review = client.post(item + "/review", json={"comment": "on it"}, headers=world["reviewer"])
    assert review.status_code == 200 and review.get_json()["state"] == "under_review"
    old = client.post(
        item + "/comments", json={"comment": "more", "expected_version": 1}, headers=world["ana"]
    )
    assert old.status_code == 409
    no_reason = client.post(item + "/reject", json={"resolution": " "}, headers=world["reviewer"])
    assert no_reason.status_code == 422
    assert [e["path"] for e in no_reason.get_json()["errors"]] == ["resolution"]
    rejected = client.post(
        item + "/reject",
        json={"resolution": "The CRM says 2026-10-02.", "expected_version": 2},
        headers=world["reviewer"],
    )
    assert rejected.status_code == 200, rejected.get_json()
    assert (
        client.post(item + "/comments", json={"comment": "?"}, headers=world["ana"]).status_code
        == 409
    )

    history = client.get(item, headers=world["mia"]).get_json()
    assert history["state"] == "resolved_rejected"
    assert history["resolution"] == "The CRM says 2026-10-02."
    assert [(e["kind"], e["to_state"]) for e in history["events"]] == [
        ("filed", "open"),
        ("review_started", "under_review"),
        ("rejected", "resolved_rejected"),
    ]
    assert history["attachments"] == [{"name": "crm.txt", "text": "closed-won 2026-09-29"}]


def test_bad_input_lists_every_problem_and_writes_nothing(client, world):
    reply = client.post(
        URL,
        json={"reason": "", "attachments": [{"name": "x"}], "claimed_amount": 1.5},
        headers=world["ana"],
    )
    assert reply.status_code == 422
    paths = sorted(e["path"] for e in reply.get_json()["errors"])
    assert paths == [
        "json.attachments.0.text",
        "json.claimed_amount",
        "json.line_id",
        "json.reason",
    ]
    empty = _file(client, world, reason="   ", claimed_amount="abc")
    assert empty.status_code == 422
    assert sorted(e["path"] for e in empty.get_json()["errors"]) == ["claimed_amount", "reason"]
    assert client.get(URL, headers=world["ana"]).get_json() == []
    # Someone else's line is not one a rep can name; a manager does not file.
    assert _file(client, world, line=world["lines"].bob).status_code == 404
    assert _file(client, world, who="mia").status_code == 403


def test_accept_files_the_adjustment_and_a_stale_page_cannot_undo_it(
    client, db, make_user, token_for
):
    from tests.integration.exception_setup import setup_plan_and_data

    setup_plan_and_data(db, make_user("comp_admin"))
    lines = run_with_lines(db, "ana", "bo", period="2026-Q3", plan_key="ae-plan")
    db.commit()
    rep = token_for(make_user("rep", participant_id="ana"))
    reviewer = token_for(make_user("comp_admin"))
    filed = client.post(
        URL,
        json={"line_id": lines.ana.id, "reason": "D-1 is new business", "claimed_amount": "40"},
        headers=rep,
    ).get_json()
    item = f"{URL}/{filed['id']}"
    float_amount = client.post(item + "/accept", json={"amount": 12.5}, headers=reviewer)
    assert float_amount.status_code == 422  # amounts are text
    accepted = client.post(
        item + "/accept", json={"expected_version": 1}, headers=reviewer
    ).get_json()
    assert (accepted["state"], accepted["version"]) == ("resolved_accepted", 2)
    assert accepted["exception_id"] is not None
    late = client.post(
        item + "/reject", json={"resolution": "no", "expected_version": 1}, headers=reviewer
    )
    assert late.status_code == 409
    from models.exceptions import PayoutException

    exception = db.get(PayoutException, accepted["exception_id"])
    assert (exception.kind, str(exception.amount), exception.dispute_id) == (
        "adjustment",
        "40.000000",
        filed["id"],
    )
