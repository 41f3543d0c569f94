"""Statement publishing (issue 15): a locked run's statements reach its reps only once
published (`payouts.publish`, audited as `payout_run.published`, announced to the reps);
managers and comp admins see the run before. API, pages, export and dispute filing."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from governance.disputes import workflow as disputes
from governance.errors import NotFound
from governance.notifications import outbox
from models import AuditRecord
from models.notifications import NotificationEvent
from tests.support import disputes as dispute_data
from tests.support.payout_close import advance_run
from tests.support.sessions import csrf_token, sign_in
from tests.support.statements import demo_runs


@pytest.fixture
def runs(db):
    """The demo runs with 2026-Q3 locked but not published."""
    found = demo_runs(db)
    advance_run(db, found["2026-Q3"], "locked")
    return found


def _q3(client, headers) -> list[dict]:
    got = client.get("/api/v1/statements", query_string={"period": "2026-Q3"}, headers=headers)
    assert got.status_code == 200
    return got.json["items"]


def _export_rows(client, headers) -> list[dict]:
    got = client.get("/api/v1/statements/export?period=2026-Q3&format=csv", headers=headers)
    assert got.status_code == 200
    return list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))


def test_a_rep_sees_a_locked_run_once_it_is_published(db, client, runs, make_user, token_for):
    rep_user = make_user("rep", participant_id="ana")
    rep = token_for(rep_user)
    manager = token_for(make_user("manager", participant_id="mia"))
    admin_user = make_user("comp_admin")
    admin = token_for(admin_user)
    run = runs["2026-Q3"]
    (ana,) = [s for s in _q3(client, admin) if s["participant"] == "ana"]

    # Before: the rep sees nothing of Q3 (list, periods, statement, export); others do.
    assert _q3(client, rep) == []
    periods = client.get("/api/v1/statements/periods", headers=rep).json["items"]
    assert [p["period"] for p in periods] == ["2026-Q2"]
    assert client.get(f"/api/v1/statements/{ana['id']}", headers=rep).status_code == 404
    assert _export_rows(client, rep) == []
    managed = _q3(client, manager)
    assert managed and {(s["run_state"], s["run_published"]) for s in managed} == {
        ("locked", False)
    }

    got = client.post(f"/api/v1/payout-runs/{run.id}/publish", json={}, headers=admin)
    assert got.status_code == 200, got.json
    assert got.json["published_by_id"] == admin_user.id and got.json["published_at"]
    assert got.json["state"] == "locked"

    # After: the rep sees their own statements of Q3, and only theirs.
    mine = _q3(client, rep)
    assert {s["participant"] for s in mine} == {"ana"} and mine[0]["run_published"] is True
    assert client.get(f"/api/v1/statements/{ana['id']}", headers=rep).status_code == 200
    rows = _export_rows(client, rep)
    assert rows and {r["participant"] for r in rows} == {"ana"}

    # Audited with the actor, and announced as run_published to the run's reps.
    (entry,) = db.scalars(
        select(AuditRecord).where(AuditRecord.action == "payout_run.published")
    ).all()
    assert (entry.actor_id, entry.object_id) == (admin_user.id, run.label)
    (event,) = db.scalars(
        select(NotificationEvent).where(NotificationEvent.audit_record_id == entry.id)
    ).all()
    assert event.kind == "run_published"
    told = outbox.recipients(db, event, run)
    assert rep_user.id in {u.id for u in told} and admin_user.id not in {u.id for u in told}

    # Twice: a 409 with the envelope, nothing written.
    again = client.post(f"/api/v1/payout-runs/{run.id}/publish", json={}, headers=admin)
    assert again.status_code == 409
    assert set(again.json) == {"code", "status", "message", "errors"}
    assert [e["message"] for e in again.json["errors"]] == ["published already"]


def test_published_missing_and_not_permitted(client, runs, make_user, token_for):
    admin = token_for(make_user("comp_admin"))
    locked = runs["2026-Q3"]
    got = client.post(f"/api/v1/payout-runs/{runs['2026-Q2'].id}/publish", json={}, headers=admin)
    assert got.status_code == 409  # published already (demo Q2)
    missing = client.post("/api/v1/payout-runs/999999999/publish", json={}, headers=admin)
    assert missing.status_code == 404
    rep = token_for(make_user("rep", participant_id="ana"))
    assert (
        client.post(f"/api/v1/payout-runs/{locked.id}/publish", json={}, headers=rep).status_code
        == 403
    )


def test_publishing_a_draft_is_a_409_with_the_envelope(db, client, make_user, token_for):
    found = demo_runs(db)
    admin = token_for(make_user("comp_admin"))
    got = client.post(f"/api/v1/payout-runs/{found['2026-Q3'].id}/publish", json={}, headers=admin)
    assert got.status_code == 409
    assert set(got.json) == {"code", "status", "message", "errors"}
    assert [(e["path"], e["message"]) for e in got.json["errors"]] == [
        ("run", "state draft, needs locked")
    ]


def test_a_rep_cannot_dispute_a_line_of_an_unpublished_run(db, make_user):
    _mia, ana, bob = dispute_data.participants(db, suffix="-pub")
    rep = make_user("rep", participant_id=ana)
    lines = dispute_data.run_with_lines(db, ana, bob, state="locked")
    with pytest.raises(NotFound):
        disputes.file(db, rep, lines.ana.id, reason="not shown to me yet")
    admin = make_user("comp_admin")
    from governance.payouts.close import publish_run

    publish_run(db, admin, lines.run.id)
    assert disputes.file(db, rep, lines.ana.id, reason="now I see it").state == "open"


def test_the_run_page_publishes_for_those_who_may(client, db, runs, make_user):
    run = runs["2026-Q3"]
    admin = make_user("comp_admin")
    assert sign_in(client, admin.email).status_code == 302
    page = client.get(f"/payout-runs/{run.id}").get_data(as_text=True)
    assert 'data-testid="publish-form"' in page and "not yet: reps do not see" in page
    got = client.post(
        f"/payout-runs/{run.id}/publish", data={"note": "Q3 out", "csrf_token": csrf_token(client)}
    )
    assert got.status_code == 303
    page = client.get(f"/payout-runs/{run.id}").get_data(as_text=True)
    assert 'data-testid="publish-form"' not in page and "is published" in page
    again = client.post(f"/payout-runs/{run.id}/publish", data={"csrf_token": csrf_token(client)})
    assert again.status_code == 409
