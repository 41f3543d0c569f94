"""Dispute pages through Flask's test client, on both databases: what the queue shows, the
forms' refusals (no reason, a stale page, someone else's line) and that they write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from governance.disputes import workflow as disputes
from governance.exceptions.workflow import cast_exception_vote
from models import DisputeEvent
from tests.integration.exception_setup import accepted_dispute
from tests.support.disputes import participants, run_with_lines
from tests.support.sessions import csrf_token, sign_in


@pytest.fixture
def world(db, make_user):
    mia, ana, bob = participants(db)
    lines = run_with_lines(db, ana, bob)
    db.commit()
    return {
        "lines": lines,
        "ana": make_user("rep", participant_id=ana),
        "mia": make_user("manager", participant_id=mia),
        "reviewer": make_user("comp_admin"),
    }


def _client(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client, csrf_token(client)


def test_queue_highlights_overdue_and_forms_refuse_bad_input(app, db, world):
    late = disputes.file(
        db, world["ana"], world["lines"].ana.id, reason="late", today=date(2020, 1, 6)
    )
    on_time = disputes.file(db, world["ana"], world["lines"].ana2.id, reason="fine")
    db.commit()

    client, token = _client(app, world["reviewer"])
    page = client.get("/disputes").get_data(as_text=True)
    assert page.count('data-testid="dispute-row"') == 2
    assert page.count('data-testid="overdue"') == 1
    # Highlighted by the stylesheet: the CSP (style-src 'self') refuses a style= attribute.
    assert page.count('class="overdue"') == 1 and "style=" not in page
    assert page.index(f"Dispute {late.id}") < page.index(f"Dispute {on_time.id}")  # due first

    events = db.scalar(select(func.count()).select_from(DisputeEvent))
    no_reason = client.post(
        f"/disputes/{late.id}/reject",
        data={"csrf_token": token, "resolution": "  ", "expected_version": late.version},
    )
    assert no_reason.status_code == 422
    assert "resolution: required" in no_reason.get_data(as_text=True)
    stale = client.post(
        f"/disputes/{late.id}/reject",
        data={"csrf_token": token, "resolution": "no", "expected_version": late.version + 5},
    )
    assert stale.status_code == 409
    assert db.scalar(select(func.count()).select_from(DisputeEvent)) == events

    rep, rep_token = _client(app, world["ana"])
    assert rep.get(f"/disputes/lines/{world['lines'].bob.id}/new").status_code == 404
    again = rep.post(
        f"/disputes/lines/{world['lines'].ana.id}/new",
        data={"csrf_token": rep_token, "reason": "once more"},
    )
    assert again.status_code == 409  # already disputed: the form comes back with the reason
    assert "already has an unresolved dispute" in again.get_data(as_text=True)
    manager, _ = _client(app, world["mia"])
    team = manager.get("/disputes").get_data(as_text=True)
    assert team.count('data-testid="dispute-row"') == 2
    assert 'data-testid="reject-form"' not in manager.get(f"/disputes/{late.id}").get_data(
        as_text=True
    )


def test_the_reps_list_and_the_detail_show_the_adjustments_state(app, db, make_user):
    """Issue 11, scenario 4 on the pages: an accepted dispute whose adjustment was
    rejected reads "rejected" with the reason, in the rep's list and on its page."""
    dispute, exc, people = accepted_dispute(db, make_user)
    listing = _client(app, people["ana"])[0].get("/disputes").get_data(as_text=True)
    pending = f"Accepted: adjustment {exc.label} of 250.00 USD is pending approval."
    assert f'data-testid="outcome">{pending}<' in listing
    cast_exception_vote(
        db,
        people["finance"],
        exc.id,
        decision="reject",
        content_hash=exc.content_hash,
        comment="Paid correctly.",
    )
    db.commit()
    client = _client(app, people["ana"])[0]
    listing = client.get("/disputes").get_data(as_text=True)
    rejected = f"Accepted: adjustment {exc.label} of 250.00 USD was rejected: rejected by vote:"
    assert rejected in listing and "Paid correctly." in listing
    assert "accepted, rejected" in listing  # the badge: not a bare "resolved accepted"
    page = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert 'data-testid="outcome">' + rejected in page
    assert f"exception {exc.label}: rejected: rejected by vote: Paid correctly." in page
