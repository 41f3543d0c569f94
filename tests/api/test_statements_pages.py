"""Statement pages through the test client (the browser walk is in tests/e2e): what a
rep, a manager and a comp admin see, and a rep asking for someone else's statement."""

from __future__ import annotations

import pytest

from governance.statements import read as statements
from tests.support.payout_close import advance_run
from tests.support.sessions import sign_in
from tests.support.statements import demo_runs


@pytest.fixture
def runs(db):
    return demo_runs(db)


def _statement(db, participant, period="2026-Q3"):
    (found,) = [
        s
        for s in statements.list_statements(db, None, period=period)
        if s["participant"] == participant
    ]
    return found


def test_a_rep_sees_my_statements_and_the_explained_lines(client, db, runs, make_user):
    user = make_user("rep", participant_id="ana")
    assert sign_in(client, user.email).status_code == 302
    index = client.get("/statements").get_data(as_text=True)
    assert "2026-Q3" not in index and "2026-Q2 (locked)" in index  # Q3 is not published
    assert client.get(f"/statements/{_statement(db, 'ana')['id']}").status_code == 404
    advance_run(db, runs["2026-Q3"], "published")
    home = client.get("/")
    assert 'href="/statements"' in home.get_data(as_text=True)
    index = client.get("/statements").get_data(as_text=True)
    assert "My statements" in index and "2026-Q3 (locked)" in index and "2026-Q2 (locked)" in index
    assert 'data-participant="ana"' in index and 'data-participant="raj"' not in index
    assert "payroll file" not in index
    st = _statement(db, "ana")
    page = client.get(f"/statements/{st['id']}").get_data(as_text=True)
    assert "Gate margin-floor blocked this line: gross margin 20% &lt; 25%." in page
    assert '<dd data-testid="payable">2690.00</dd>' in page
    blocked = next(
        ln
        for ln in statements.get_statement(db, None, st["id"])["lines"]
        if ln["status"] == "blocked"
    )
    line = client.get(f"/statements/{st['id']}/lines/{blocked['id']}")
    assert line.status_code == 200
    text = line.get_data(as_text=True)
    assert "margin-floor" in text and "deal.gross_margin &lt; 0.25" in text
    assert 'data-testid="dispute-line"' in text  # Q3 is published now: its lines are disputed
    q2 = _statement(db, "ana", "2026-Q2")
    q2_line = statements.get_statement(db, None, q2["id"])["lines"][0]
    locked = client.get(f"/statements/{q2['id']}/lines/{q2_line['id']}").get_data(as_text=True)
    assert f'href="/disputes/lines/{q2_line["id"]}/new" data-testid="dispute-line"' in locked


def test_a_rep_gets_404_for_another_reps_statement(client, db, runs, make_user):
    user = make_user("rep", participant_id="ana")
    sign_in(client, user.email)
    raj = _statement(db, "raj")
    assert client.get(f"/statements/{raj['id']}").status_code == 404
    assert client.get("/statements?participant=raj").status_code == 200
    assert 'data-participant="raj"' not in client.get("/statements?participant=raj").get_data(
        as_text=True
    )


def test_a_manager_sees_the_team_and_an_admin_picks_anyone(client, db, runs, make_user):
    manager = make_user("manager", participant_id="mia")
    sign_in(client, manager.email)
    text = client.get("/statements?period=2026-Q3").get_data(as_text=True)
    assert {
        p for p in ("ana", "raj", "sam", "mia", "cat") if f'data-participant="{p}"' in text
    } == {
        "ana",
        "raj",
        "sam",
        "mia",
    }
    other = client.application.test_client()
    admin = make_user("comp_admin")
    sign_in(other, admin.email)
    picked = other.get("/statements?period=2026-Q2&participant=cat").get_data(as_text=True)
    assert 'data-participant="cat"' in picked and 'data-participant="ana"' not in picked
    assert "payroll file" in picked  # 2026-Q2 is locked


def test_a_bad_period_is_a_400_page_and_no_runs_an_empty_page(client, db, make_user):
    user = make_user("rep", participant_id=None)
    sign_in(client, user.email)
    empty = client.get("/statements")
    assert empty.status_code == 200 and 'data-testid="no-statements"' in empty.get_data(
        as_text=True
    )
    assert client.get("/statements?period=Q9").status_code == 400


def test_a_converted_line_shows_which_rate_from_which_date(client, db, runs, make_user):
    """Dated FX (issue 11): the statement and the line page say the rate and its date; the
    API line carries them too."""
    user = make_user("rep", participant_id="cat")
    advance_run(db, runs["2026-Q3"], "published")
    assert sign_in(client, user.email).status_code == 302
    st = _statement(db, "cat")
    [line] = [
        ln for ln in statements.get_statement(db, None, st["id"])["lines"] if ln["deal"] == "D-106"
    ]
    assert line["fx"] == {
        "pair": "EUR/USD",
        "rate": "1.08",
        "from": None,
        "text": "EUR/USD 1.08 from the beginning",
    }
    page = client.get(f"/statements/{st['id']}").get_data(as_text=True)
    assert "(converted at EUR/USD 1.08 from the beginning)" in page
    text = client.get(f"/statements/{st['id']}/lines/{line['id']}").get_data(as_text=True)
    assert '<dd data-testid="fx-rate">EUR/USD 1.08 from the beginning</dd>' in text
    assert "EUR/USD 1.08 (rate in force from the beginning): 25000 x 1.08" in text
