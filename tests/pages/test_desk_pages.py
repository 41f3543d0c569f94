"""Deal-desk pages through Flask's test client, on both databases: search deals and
participants by name, a deal's lines with the gate that blocked them, filing a waiver
picked from the governing version's list, names in the impact tables. The browser flow
is in tests/e2e/test_deal_desk.py."""

from __future__ import annotations

import pytest

from governance.exceptions import workflow as exceptions
from tests.support.desk import desk_world
from tests.support.sessions import csrf_token, sign_in


@pytest.fixture
def crew(db):
    return desk_world(db)


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def test_find_a_deal_by_its_owners_name_and_see_its_blocked_line(app, crew):
    desk = _as(app, crew["desk"])
    found = desk.get("/desk", query_string={"q": "lima"}).get_data(as_text=True)
    assert 'data-deal="D-1"' in found and 'data-deal="D-2"' in found
    assert 'data-deal="D-3"' not in found and "Ana Lima" in found
    people_found = desk.get("/desk", query_string={"q": "lima", "what": "participants"})
    assert 'data-participant="ana"' in people_found.get_data(as_text=True)
    page = desk.get("/desk/deals/D-2").get_data(as_text=True)
    assert 'data-status="blocked"' in page and 'data-rule="margin-floor"' in page
    assert '<option value="ae-plan|margin-floor"' in page
    assert '<option value="ae-plan|churn"' in page  # the clawback list
    assert desk.get("/desk/deals/D-404").status_code == 404


def test_filing_a_waiver_from_the_deal_page_routes_it(app, db, crew):
    desk = _as(app, crew["desk"])
    form = {
        "kind": "waive_gate",
        "rule": "ae-plan|margin-floor",
        "justification": "strategic logo",
        "csrf_token": csrf_token(desk),
    }
    filed = desk.post("/desk/deals/D-2/exceptions", data=form)
    assert filed.status_code == 303
    (exc,) = exceptions.list_exceptions(db)
    assert (exc.deal_id, exc.rule_id, exc.plan_key) == ("D-2", "margin-floor", "ae-plan")
    detail = desk.get(filed.headers["Location"]).get_data(as_text=True)
    assert "the deal desk and finance" in detail
    assert "Ana Lima" in detail  # the impact table names the participant


def test_a_refused_filing_re_renders_the_deal_page_with_the_problem(app, db, crew):
    desk = _as(app, crew["desk"])
    form = {"kind": "waive_gate", "rule": "ae-plan|margin-flor", "justification": "x"}
    refused = desk.post("/desk/deals/D-2/exceptions", data=form | {"csrf_token": csrf_token(desk)})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "did you mean &#39;margin-floor&#39;?" in page and 'data-testid="deal-lines"' in page
    assert exceptions.list_exceptions(db) == []


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_roles_without_data_read_get_403(app, make_user, role):
    client = _as(app, make_user(role))
    assert client.get("/desk?q=D").status_code == 403
    assert client.get("/desk/deals/D-1").status_code == 403


def test_an_auditor_reads_but_cannot_file(app, crew):
    auditor = _as(app, crew["auditor"])
    page = auditor.get("/desk/deals/D-2").get_data(as_text=True)
    assert 'data-testid="deal-lines"' in page and 'data-testid="waive_gate-form"' not in page
    form = {"kind": "waive_gate", "rule": "ae-plan|margin-floor", "justification": "x"}
    refused = auditor.post(
        "/desk/deals/D-2/exceptions", data=form | {"csrf_token": csrf_token(auditor)}
    )
    assert refused.status_code == 403
