"""/api/v1/exceptions end to end: file, list, detail, vote, withdraw (both databases)."""

from __future__ import annotations

import pytest

from governance.exceptions import workflow as exceptions
from tests.integration.exception_setup import (
    adjustment,
    people,
    setup_plan_and_data,
    waive_gate,
)

URL = "/api/v1/exceptions"


@pytest.fixture
def crew(db):
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    db.commit()
    return crew


def test_file_then_decide_through_the_api(client, crew, token_for):
    desk = token_for(crew["desk"])
    filed = client.post(URL, json=waive_gate(), headers=desk)
    assert filed.status_code == 201, filed.get_json()
    body = filed.get_json()
    assert (body["state"], body["route"], body["estimated_impact"]) == (
        "submitted",
        "below",
        "3000.00",
    )
    assert body["impact"]["participants"][0]["participant"] == "ana"
    assert body["tally"]["missing"] == ["function:finance", "role:deal_desk"]
    number, content_hash = body["id"], body["content_hash"]

    ballot = {"decision": "approve", "content_hash": content_hash}
    own = client.post(f"{URL}/{number}/votes", json=ballot, headers=desk)
    assert own.status_code == 403
    first = client.post(f"{URL}/{number}/votes", json=ballot, headers=token_for(crew["lead"]))
    assert first.status_code == 201 and first.get_json()["state"] == "submitted"
    second = client.post(f"{URL}/{number}/votes", json=ballot, headers=token_for(crew["finance"]))
    assert second.status_code == 201
    assert second.get_json()["state"] == "approved"
    assert second.get_json()["tally"]["outcome"] == "approved"

    auditor = token_for(crew["auditor"])
    listed = client.get(URL, query_string={"state": "approved"}, headers=auditor).get_json()
    assert [e["label"] for e in listed["exceptions"]] == [f"EX-{number}"]
    assert client.get(URL, query_string={"state": "submitted"}, headers=auditor).get_json() == {
        "exceptions": []
    }
    shown = client.get(f"{URL}/{number}", headers=auditor).get_json()
    assert [v["decision"] for v in shown["votes"]] == ["approve", "approve"]
    assert client.get(f"{URL}/{number}", headers=token_for(crew["rep"])).status_code == 403


def test_bad_input_lists_every_problem_and_writes_nothing(client, db, crew, token_for):
    headers = token_for(crew["desk"])
    body = adjustment(amount=1.5, participant="nobody", colour="red")
    del body["justification"]
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 422
    envelope = response.get_json()
    assert envelope["code"] == 422
    assert sorted(e["path"] for e in envelope["errors"]) == [
        "$.amount",
        "$.colour",
        "$.justification",
        "$.participant",
    ]
    assert exceptions.list_exceptions(db) == []
    bad_kind = client.post(URL, json={"kind": "waive_everything"}, headers=headers)
    assert bad_kind.status_code == 422
    assert bad_kind.get_json()["errors"][0]["path"] == "$.kind"
    assert client.get(URL, query_string={"state": "nope"}, headers=headers).status_code == 422


def test_withdraw_with_a_stale_version_conflicts(client, crew, token_for):
    headers = token_for(crew["desk"])
    number = client.post(URL, json=adjustment(), headers=headers).get_json()["id"]
    stale = client.post(f"{URL}/{number}/withdraw", json={"version": 3}, headers=headers)
    assert stale.status_code == 409
    done = client.post(f"{URL}/{number}/withdraw", json={"note": "dup"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["state"] == "withdrawn"
    again = client.post(f"{URL}/{number}/withdraw", json={}, headers=headers)
    assert again.status_code == 409
    assert client.get(f"{URL}/999999", headers=headers).status_code == 404


def test_a_typo_in_a_gate_or_plan_gets_a_did_you_mean(client, db, crew, token_for):
    desk = token_for(crew["desk"])
    refused = client.post(URL, json=waive_gate(rule="margin-flor"), headers=desk)
    assert refused.status_code == 422
    assert [(e["path"], e["message"]) for e in refused.get_json()["errors"]] == [
        ("$.rule", "ae-plan/1 has no gate 'margin-flor' (did you mean 'margin-floor'?)")
    ]
    refused = client.post(URL, json=waive_gate(plan="ae-plam"), headers=desk)
    assert ("$.plan", "no plan 'ae-plam' (did you mean 'ae-plan'?)") in [
        (e["path"], e["message"]) for e in refused.get_json()["errors"]
    ]
    far = client.post(URL, json=waive_gate(rule="zzz"), headers=desk).get_json()["errors"]
    assert far[0]["message"] == "ae-plan/1 has no gate 'zzz'"
