"""`/api/v1/statements` over the demo runs (2026-Q2 locked, 2026-Q3 draft): a rep's own
statement and line drill-down, another rep's statement answering 404, exports, payroll
and bad input answered with the error envelope."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.payout_close import advance_run
from tests.support.statements import demo_runs


@pytest.fixture
def runs(db):
    return demo_runs(db)


@pytest.fixture
def published(db, runs):
    """The demo runs with 2026-Q3 locked and published too (a rep reads published runs)."""
    advance_run(db, runs["2026-Q3"], "published")
    return runs


@pytest.fixture
def ana(make_user, token_for):
    return token_for(make_user("rep", participant_id="ana"))


def _statement_id(client, headers, participant, period="2026-Q3"):
    got = client.get("/api/v1/statements", query_string={"period": period}, headers=headers)
    assert got.status_code == 200
    (item,) = [s for s in got.json["items"] if s["participant"] == participant]
    return item["id"]


def test_a_rep_reads_their_statement_and_drills_into_a_line(client, published, ana):
    listed = client.get("/api/v1/statements", headers=ana).json["items"]
    assert [(s["period"], s["participant"], s["payable"]) for s in listed] == [
        ("2026-Q3", "ana", "2690.00"),
        ("2026-Q2", "ana", listed[1]["payable"]),
    ]
    periods = client.get("/api/v1/statements/periods", headers=ana).json["items"]
    assert [p["period"] for p in periods] == ["2026-Q3", "2026-Q2"]
    st = client.get(f"/api/v1/statements/{listed[0]['id']}", headers=ana)
    assert st.status_code == 200
    body = st.json
    assert (body["attainment"], body["held"], body["run_state"]) == ("1.1000", "6300.00", "locked")
    blocked = next(ln for ln in body["lines"] if ln["status"] == "blocked")
    assert "trace" not in blocked
    assert (
        "Gate margin-floor blocked this line: gross margin 20% < 25%."
        in (blocked["explanation"]["steps"])
    )
    with_traces = client.get(
        f"/api/v1/statements/{listed[0]['id']}", query_string={"traces": "true"}, headers=ana
    ).json
    assert all(ln["trace"] for ln in with_traces["lines"])
    line = client.get(f"/api/v1/statements/{listed[0]['id']}/lines/{blocked['id']}", headers=ana)
    assert line.status_code == 200
    assert line.json["trace"][4]["rule"] == "margin-floor"
    assert line.json["statement"]["participant"] == "ana"


def test_another_reps_statement_and_line_are_404(client, published, ana, make_user, token_for):
    admin = token_for(make_user("comp_admin"))
    raj = _statement_id(client, admin, "raj")
    raj_line = client.get(f"/api/v1/statements/{raj}", headers=admin).json["lines"][0]["id"]
    mine = _statement_id(client, ana, "ana")
    for path in (
        f"/api/v1/statements/{raj}",
        f"/api/v1/statements/{raj}/lines/{raj_line}",
        f"/api/v1/statements/{mine}/lines/{raj_line}",
        "/api/v1/statements/999999999",
    ):
        got = client.get(path, headers=ana)
        assert got.status_code == 404, path
        assert set(got.json) == {"code", "status", "message", "errors"}
    # Filtering by another participant gives nothing rather than an error.
    got = client.get("/api/v1/statements", query_string={"participant": "raj"}, headers=ana)
    assert got.json["items"] == []


def test_a_manager_sees_the_team(client, runs, make_user, token_for):
    mia = token_for(make_user("manager", participant_id="mia"))
    items = client.get("/api/v1/statements?period=2026-Q3", headers=mia).json["items"]
    assert sorted(s["participant"] for s in items) == ["ana", "mia", "raj", "sam"]


def test_exports(client, published, ana):
    got = client.get("/api/v1/statements/export?period=2026-Q3&format=csv", headers=ana)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert 'filename="statements-2026-Q3.csv"' in got.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert len(rows) == 8 and {r["participant"] for r in rows} == {"ana"}
    as_json = client.get("/api/v1/statements/export?period=2026-Q3", headers=ana)
    assert as_json.mimetype == "application/json"
    assert [s["participant"] for s in as_json.json["statements"]] == ["ana"]


def test_payroll_of_a_locked_run_and_409_for_a_draft(client, runs, make_user, token_for):
    finance = token_for(make_user("committee", functions=["finance"]))
    got = client.get(f"/api/v1/statements/runs/{runs['2026-Q2'].id}/payroll", headers=finance)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    header = got.get_data(as_text=True).splitlines()[0]
    assert header == "participant,name,amount_payable,currency,period"
    draft = client.get(f"/api/v1/statements/runs/{runs['2026-Q3'].id}/payroll", headers=finance)
    assert draft.status_code == 409
    assert [(e["path"], e["message"]) for e in draft.json["errors"]] == [
        ("run", "state draft, needs locked")
    ]
    missing = client.get("/api/v1/statements/runs/999999999/payroll", headers=finance)
    assert missing.status_code == 404


def test_bad_queries_are_422_with_every_problem(client, runs, ana):
    got = client.get(
        "/api/v1/statements/export", query_string={"period": "Q3", "format": "xml"}, headers=ana
    )
    assert got.status_code == 422
    assert sorted(e["path"] for e in got.json["errors"]) == ["query.format", "query.period"]
