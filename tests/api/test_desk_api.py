"""/api/v1/deals and /api/v1/participants: the deal desk's look-ups (data.read), both
databases. Who may call them is in the permission matrix; here: what they answer."""

from __future__ import annotations

import pytest

from tests.support.desk import desk_world


@pytest.fixture
def crew(db):
    return desk_world(db)


def test_search_deals_and_participants_paged(client, crew, token_for):
    desk = token_for(crew["desk"])
    found = client.get("/api/v1/deals", query_string={"q": "lima", "per_page": 1}, headers=desk)
    assert found.status_code == 200
    body = found.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 1)
    assert body["items"][0] == {
        "id": "D-1",
        "account": None,
        "type": "new",
        "amount": "100000.00",
        "currency": "USD",
        "close_date": "2026-07-14",
        "owner": "ana",
        "owner_name": "Ana Lima",
    }
    second = client.get(
        "/api/v1/deals", query_string={"q": "lima", "per_page": 1, "page": 2}, headers=desk
    )
    assert [d["id"] for d in second.get_json()["items"]] == ["D-2"]
    people_found = client.get("/api/v1/participants", query_string={"q": "AN"}, headers=desk)
    assert [p["id"] for p in people_found.get_json()["items"]] == ["ana"]
    assert client.get("/api/v1/deals", headers=desk).status_code == 422  # q is required


def test_a_deal_with_its_blocked_line_and_the_gates_to_waive(client, crew, token_for):
    shown = client.get("/api/v1/deals/D-2", headers=token_for(crew["auditor"]))
    assert shown.status_code == 200
    body = shown.get_json()
    (line,) = body["lines"]
    assert (line["status"], line["participant_name"], line["amount"]) == (
        "blocked",
        "Ana Lima",
        "0.00",
    )
    assert [(e["rule"], e["effect"]) for e in line["effects"]] == [("margin-floor", "block")]
    (plan,) = body["plans"]
    assert plan["version"] == "ae-plan/1" and plan["gates"][0]["id"] == "margin-floor"
    assert client.get("/api/v1/deals/D-404", headers=token_for(crew["desk"])).status_code == 404
