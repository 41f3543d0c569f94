"""Discarding a draft and runs of periods not begun over HTTP, on both databases: the
envelope for refusals (issue 11, "Periods")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditRecord
from tests.integration.payout_support import activate_plan, load
from tests.support.payout_close import make_run


@pytest.fixture
def people(make_user, token_for):
    users = {"admin": make_user("comp_admin"), "rep": make_user("rep")}
    return {name: (user, token_for(user)) for name, user in users.items()}


def test_discard_a_draft_over_http(client, db, people):
    draft = make_run(db, people["admin"][0], "2026-Q1")
    locked = make_run(db, people["admin"][0], "2026-Q2", state="locked")
    db.commit()
    url = f"/api/v1/payout-runs/{draft.id}/discard"
    rep = client.post(url, json={"reason": "x"}, headers=people["rep"][1])
    assert rep.status_code == 403 and rep.get_json()["code"]
    missing = client.post(url, json={}, headers=people["admin"][1])
    assert missing.status_code == 422
    assert [e["path"] for e in missing.get_json()["errors"]] == ["json.reason"]
    done = client.post(url, json={"reason": "built too early"}, headers=people["admin"][1])
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "discarded"
    again = client.post(url, json={"reason": "twice"}, headers=people["admin"][1])
    assert again.status_code == 409
    closed = client.post(
        f"/api/v1/payout-runs/{locked.id}/discard",
        json={"reason": "no"},
        headers=people["admin"][1],
    )
    assert closed.status_code == 409 and "cannot become discarded" in closed.get_json()["message"]


def test_a_period_not_begun_is_refused_unless_early(client, db, people):
    activate_plan(db)
    load(db)
    db.commit()
    headers = people["admin"][1]
    for body in ({"period": "2099-Q1"}, {"period": "2099-Q1", "wait": True}):
        refused = client.post("/api/v1/payout-runs", json=body, headers=headers)
        assert refused.status_code == 422, refused.get_json()
        envelope = refused.get_json()
        assert "2099-Q1 has not begun" in envelope["message"]
        [problem] = envelope["errors"]
        assert (problem["path"], problem["message"]) == ("period", "2099-Q1 starts on 2099-01-01")
    queued = client.post(
        "/api/v1/payout-runs", json={"period": "2099-Q1", "early": True}, headers=headers
    )
    assert queued.status_code == 202, queued.get_json()  # a job (run by the eager task)
    job = client.get(queued.headers["Location"], headers=headers).get_json()
    assert job["state"] == "done", job
    early = client.get(job["run_url"], headers=headers)
    assert early.get_json()["state"] == "draft"
    actions = db.scalars(select(AuditRecord.action)).all()
    assert "payout_run.started_early" in actions
