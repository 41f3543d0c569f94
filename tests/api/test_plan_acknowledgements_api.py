"""`/api/v1/me/plan-acknowledgements`: a participant acknowledges a version of their plan
(201, then 200 with the same record), lists theirs; refusals write nothing. Both
databases."""

from __future__ import annotations

from datetime import date

import pytest

from governance.plans import lifecycle
from governance.plans.lookup import get_version
from models import AuditRecord, PlanAcknowledgement
from tests.integration.committee import import_history, plan_text
from tests.support.database import count_rows

URL = "/api/v1/me/plan-acknowledgements"


@pytest.fixture
def content_hash(db, make_user) -> str:
    import_history(db)
    author = make_user("comp_admin")
    lifecycle.create_draft(db, author, plan_text("0.06"))
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2025, 1, 1))
    lifecycle.approve(db, None, "ae-plan", 1)
    lifecycle.activate(db, author, "ae-plan", 1)
    db.commit()
    return get_version(db, "ae-plan", 1).content_hash


def test_acknowledging_is_idempotent_and_audited_once(
    client, db, make_user, token_for, content_hash
):
    headers = token_for(make_user("rep", participant_id="ana"))
    body = {"plan": "ae-plan", "version": 1, "content_hash": content_hash}
    first = client.post(URL, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    record = first.get_json()
    assert (record["plan"], record["version"], record["participant"]) == ("ae-plan", 1, "ana")
    assert record["content_hash"] == content_hash and record["acknowledged_at"]
    again = client.post(URL, json=body, headers=headers)
    assert again.status_code == 200 and again.get_json() == record
    assert client.get(URL, headers=headers).get_json() == [record]
    assert count_rows(db, PlanAcknowledgement) == 1
    assert count_rows(db, AuditRecord, action="plan_version.acknowledged") == 1


def test_refusals_name_why_and_write_nothing(client, db, make_user, token_for, content_hash):
    rep = token_for(make_user("rep", participant_id="bo"))
    stale = client.post(
        URL, json={"plan": "ae-plan", "version": 1, "content_hash": "sha256:0"}, headers=rep
    )
    assert stale.status_code == 409 and "read it again" in stale.get_json()["message"]
    missing = client.post(
        URL, json={"plan": "ae-plan", "version": 9, "content_hash": content_hash}, headers=rep
    )
    assert missing.status_code == 404
    unassigned = token_for(make_user("rep"))
    body = {"plan": "ae-plan", "version": 1, "content_hash": content_hash}
    assert client.post(URL, json=body, headers=unassigned).status_code == 403
    assert client.post(URL, json={"plan": "ae-plan"}, headers=rep).status_code == 422
    assert count_rows(db, PlanAcknowledgement) == 0
    assert client.get(URL, headers=unassigned).get_json() == []
