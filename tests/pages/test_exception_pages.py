"""Deal-desk exception pages through Flask's test client, on both databases.

The browser flow is in tests/e2e/test_exception_pages.py; here: the list and its filter,
the form's refusals (every problem, nothing written), vote buttons only for those who may
vote, a vote and a withdrawal through the forms.
"""

from __future__ import annotations

import pytest

from governance.exceptions import workflow as exceptions
from tests.integration.exception_setup import (
    people,
    setup_held_discount,
    setup_plan_and_data,
    waive_gate,
)
from tests.support.sessions import csrf_token, sign_in


@pytest.fixture
def crew(db):
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    db.commit()
    return crew


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def test_filing_through_the_form_and_voting_on_the_detail_page(app, db, crew):
    desk = _as(app, crew["desk"])
    form = {
        "kind": "waive_gate",
        "plan": "ae-plan",
        "deal": "D-2",
        "rule": "margin-floor",
        "participant": "ignored for this kind",
        "justification": "strategic logo",
        "csrf_token": csrf_token(desk),
    }
    filed = desk.post("/exceptions/new", data=form)
    assert filed.status_code == 303
    detail_url = filed.headers["Location"]
    own = desk.get(detail_url).get_data(as_text=True)
    assert "3000.00" in own and 'data-testid="vote-form"' not in own  # not on one's own
    assert 'data-testid="withdraw-form"' in own

    lead = _as(app, crew["lead"])
    page = lead.get(detail_url).get_data(as_text=True)
    assert 'data-testid="vote-form"' in page
    (exc,) = exceptions.list_exceptions(db)
    voted = lead.post(
        detail_url + "/vote",
        data={
            "decision": "approve",
            "content_hash": exc.content_hash,
            "csrf_token": csrf_token(lead),
        },
    )
    assert voted.status_code == 303
    after = lead.get(detail_url).get_data(as_text=True)
    assert "1 of 2 approvals" in after and 'data-testid="vote-form"' not in after

    auditor = _as(app, crew["auditor"])
    listed = auditor.get("/exceptions?state=submitted").get_data(as_text=True)
    assert exc.label in listed and 'data-testid="file-link"' not in listed
    assert exc.label not in auditor.get("/exceptions?state=approved").get_data(as_text=True)
    assert 'data-testid="vote-form"' not in auditor.get(detail_url).get_data(as_text=True)
    assert _as(app, crew["rep"]).get("/exceptions").status_code == 403


def test_a_refused_form_lists_every_problem_and_writes_nothing(app, db, crew):
    desk = _as(app, crew["desk"])
    form = {"kind": "adjustment", "plan": "ae-plan", "amount": "1.234", "csrf_token": ""}
    form["csrf_token"] = csrf_token(desk)
    refused = desk.post("/exceptions/new", data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    for path in ("$.participant", "$.period", "$.justification", "$.amount"):
        assert path in page
    assert 'value="1.234"' in page  # the form keeps what was typed
    assert exceptions.list_exceptions(db) == []


def test_withdrawing_through_the_page(app, db, crew):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    db.commit()
    desk = _as(app, crew["desk"])
    url = f"/exceptions/{exc.id}/withdraw"
    stale = desk.post(url, data={"version": "5", "csrf_token": csrf_token(desk)})
    assert stale.status_code == 409
    done = desk.post(url, data={"version": "1", "note": "dup", "csrf_token": csrf_token(desk)})
    assert done.status_code == 303
    db.refresh(exc)
    assert exc.state == "withdrawn"


def test_the_detail_shows_the_impact_now_and_later(app, db):
    """Issue 11, scenario 5 on the page: a waiver that releases held pay in a later
    period shows both figures, and the later one is not 0.00."""
    crew = people(db)
    setup_held_discount(db, crew["author"])
    fields = {
        "kind": "waive_gate",
        "plan": "held-plan",
        "deal": "D-9",
        "rule": "deep-discount",
        "justification": "competitive displacement",
    }
    exc = exceptions.file_exception(db, crew["desk"], fields)
    db.commit()
    page = _as(app, crew["lead"]).get(f"/exceptions/{exc.id}").get_data(as_text=True)
    assert 'data-testid="impact-now">0.00 net, 0.00 moved USD<' in page
    assert 'data-testid="impact-later">6237.30 net, 6237.30 moved USD<' in page
    assert 'data-testid="impact-moved">6237.30 USD<' in page
    later = page.split('data-testid="impact-later-participants"')[1].split("</table>")[0]
    assert "<td>2026-Q4</td><td>ana</td>" in later and "6237.30" in later
