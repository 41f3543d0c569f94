"""`GET /api/v1/audit/anchor` and `POST /api/v1/audit/verify` on both databases: an auditor
takes an anchor, keeps it, and sends it back later; a rewrite behind dropped triggers is
named, an edited anchor is a located 422, a broken chain gets no anchor (409)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from governance import audit
from tests.support import audit_attacks as attack


@pytest.fixture
def auditor(make_user, token_for):
    return token_for(make_user("auditor"))


def _append(db, n) -> int:
    """Append n records; the id of the last (making the auditor already wrote one)."""
    for i in range(n):
        last = audit.record(db, None, "test.happened", "thing", i, payload={"n": i})
    db.commit()
    return last.id


def _anchor(client, headers):
    response = client.get("/api/v1/audit/anchor", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _verify(client, headers, *documents):
    return client.post("/api/v1/audit/verify", headers=headers, json={"anchors": list(documents)})


def test_an_anchor_taken_earlier_still_holds_as_the_chain_grows(client, db, auditor):
    anchored = _append(db, 2)
    earlier = _anchor(client, auditor)
    assert (earlier["record_count"], earlier["format"]) == (anchored, "accord-audit-anchor/1")
    last = _append(db, 3)
    response = _verify(client, auditor, earlier)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["ok"], body["checked"], body["first_broken_id"]) == (True, last, None)
    assert body["anchors"] == [
        {
            "name": "$.anchors[0]",
            "record_count": anchored,
            "head_digest": earlier["head_digest"],
            "taken_at": earlier["taken_at"],
            "ok": True,
            "reason": None,
        }
    ]


def test_a_consistent_rewrite_is_named_by_the_anchor(client, db, auditor):
    anchored = _append(db, 4)
    earlier = _anchor(client, auditor)
    attack.drop_guards(db)
    attack.rewrite(db, anchored - 2, {"n": 99})
    plain = client.get("/api/v1/audit/verify", headers=auditor).get_json()
    assert plain["ok"] is True  # the chain is consistent in itself
    body = _verify(client, auditor, earlier).get_json()
    assert body["ok"] is False
    assert body["first_broken_id"] is None  # no link broken: only the anchor tells
    (check,) = body["anchors"]
    assert check["ok"] is False
    assert f"record {anchored} now has hash" in check["reason"]
    assert f"one of records 1 to {anchored} was rewritten since" in check["reason"]


def test_an_edited_anchor_is_a_located_422(client, db, auditor):
    _append(db, 1)
    edited = {**_anchor(client, auditor), "head_digest": "e" * 64}
    response = _verify(client, auditor, _anchor(client, auditor), edited)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [e["path"] for e in errors] == ["$.anchors[1].signature"]
    assert "edited after it was signed" in errors[0]["message"]
    missing = _verify(client, auditor, {"format": "accord-audit-anchor/1", "extra": 1})
    paths = {e["path"] for e in missing.get_json()["errors"]}
    assert {"$.anchors[0].record_count", "$.anchors[0].signature", "$.anchors[0].extra"} <= paths
    assert _verify(client, auditor).status_code == 422  # no anchor at all


def test_a_broken_chain_gets_no_anchor(client, db, auditor):
    _append(db, 2)
    attack.drop_guards(db, ("records",))
    db.execute(text("UPDATE audit_records SET object_id = 'x' WHERE id = 2"))
    response = client.get("/api/v1/audit/anchor", headers=auditor)
    assert response.status_code == 409
    assert "broken at record 2" in response.get_json()["message"]
