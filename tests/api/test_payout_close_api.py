"""The close over HTTP on both databases: tally, votes, lock; refusals with the envelope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Vote
from tests.support.payout_close import make_run


@pytest.fixture
def people(make_user, token_for):
    users = {
        "admin": make_user("comp_admin"),
        "finance": make_user("committee", functions=["finance"]),
        "revops": make_user("committee", functions=["revops"]),
    }
    return {name: (user, token_for(user)) for name, user in users.items()}


def test_the_committee_approves_a_run_and_a_comp_admin_locks_it(client, db, people):
    run = make_run(db, people["admin"][0])
    db.commit()
    base = f"/api/v1/payout-runs/{run.id}"
    box = client.get(f"{base}/tally", headers=people["finance"][1]).get_json()
    assert (box["state"], box["tally"]["outcome"]) == ("draft", "open")
    assert box["tally"]["missing"] == ["function:finance", "function:revops"]
    content_hash = box["content_hash"]

    bad = client.post(f"{base}/votes", json={"decision": "maybe"}, headers=people["revops"][1])
    assert bad.status_code == 422
    assert {e["path"] for e in bad.get_json()["errors"]} >= {"json.decision", "json.content_hash"}
    own = client.post(
        f"{base}/votes",
        json={"decision": "approve", "content_hash": content_hash},
        headers=people["admin"][1],
    )
    assert own.status_code == 403  # comp admins do not vote; nor does a run's starter

    early = client.post(f"{base}/lock", json={}, headers=people["admin"][1])
    assert early.status_code == 409 and "cannot become locked" in early.get_json()["message"]

    for name, state in (("finance", "draft"), ("revops", "approved")):
        cast = client.post(
            f"{base}/votes",
            json={"decision": "approve", "content_hash": content_hash},
            headers=people[name][1],
        )
        assert cast.status_code == 201, cast.get_json()
        assert cast.get_json()["state"] == state
    again = client.post(
        f"{base}/votes",
        json={"decision": "approve", "content_hash": content_hash},
        headers=people["finance"][1],
    )
    assert again.status_code == 409
    assert db.scalar(select(func.count()).select_from(Vote)) == 2

    locked = client.post(f"{base}/lock", json={"note": "Q1 payroll"}, headers=people["admin"][1])
    assert locked.status_code == 200, locked.get_json()
    body = locked.get_json()
    assert (body["state"], body["locked_by_id"]) == ("locked", people["admin"][0].id)
    assert (
        client.get("/api/v1/payout-runs/999999/tally", headers=people["admin"][1]).status_code
        == 404
    )
