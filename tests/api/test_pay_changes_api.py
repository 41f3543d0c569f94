"""Why did my pay change? `GET /api/v1/statements/<id>/changes`, its page, and the
committee's why page, on both databases.

The demo runs (2026-Q2 and 2026-Q3 of the example plans) give the previous-period
comparison; a plan change request (the rate of new business 0.06 -> 0.08) gives the
committee's explanation. The cause detection itself, kind by kind, is in
tests/unit/test_pay_changes.py over the engine's output.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from governance.imports.service import import_data
from governance.payouts.runs import start_run
from governance.plans import lifecycle
from governance.statements import read as statements
from models import Statement
from models.payout_builds import PayoutBuild, PayoutBuildChange
from tests.integration.committee import committee, import_history, plan_text, submitted
from tests.integration.payout_support import close_people, organisation
from tests.support.payout_close import advance_run
from tests.support.sessions import sign_in
from tests.support.statements import demo_runs


@pytest.fixture
def runs(db):
    """The demo runs: 2026-Q2 published, 2026-Q3 a draft."""
    return demo_runs(db)


@pytest.fixture
def published(db):
    """The demo runs, both published."""
    both = demo_runs(db)
    advance_run(db, both["2026-Q3"], "published")
    return both


def _statement(db, participant, period="2026-Q3", plan="ae-plan"):
    (found,) = [
        s
        for s in statements.list_statements(db, None, period=period)
        if s["participant"] == participant and s["plan"] == plan
    ]
    return found["id"]


def test_a_rep_reads_what_changed_since_the_previous_period(
    client, db, published, make_user, token_for
):
    ana = token_for(make_user("rep", participant_id="ana"))
    st = _statement(db, "ana")
    got = client.get(f"/api/v1/statements/{st}/changes", headers=ana)
    assert got.status_code == 200, got.json
    body = got.json
    assert body["against"] == "previous-period" and body["line_level"] is True
    assert body["compared_with"]["period"] == "2026-Q2"
    assert body["compared_with"]["statement_id"] == _statement(db, "ana", "2026-Q2")
    (total,) = body["totals"]
    assert total["after"] == "2690.00"
    deltas = sum(Decimal(c["delta"]) for c in body["changes"])
    assert Decimal(total["delta"]) == deltas == Decimal(total["after"]) - Decimal(total["before"])
    assert sum(Decimal(c["delta"]) for c in body["by_cause"]) == deltas
    new = next(c for c in body["changes"] if c["deal"] == "D-101" and c["kind"] == "commission")
    assert new["change"] == "added" and new["causes"][0]["kind"] == "period"
    assert new["causes"][0]["text"] == "Deal D-101 pays in 2026-Q3; 2026-Q2 had no such line on it."
    assert all(c["causes"] for c in body["changes"])


def test_the_previous_build_without_one_says_so(client, db, published, make_user, token_for):
    ana = token_for(make_user("rep", participant_id="ana"))
    st = _statement(db, "ana")
    got = client.get(
        f"/api/v1/statements/{st}/changes", query_string={"against": "previous-build"}, headers=ana
    )
    assert got.status_code == 200
    assert got.json["line_level"] is False and got.json["changes"] == []
    assert "built once" in got.json["note"]


def test_the_previous_build_reads_what_the_run_stored(client, db, published, make_user, token_for):
    run = published["2026-Q3"]
    for number in (1, 2):
        db.add(
            PayoutBuild(
                run_id=run.id,
                number=number,
                run_version=number,
                audit_record_id=0,
                input_data_hash=run.input_data_hash,
                exceptions_hash=run.exceptions_hash,
                changes=[]
                if number == 1
                else [
                    {
                        "kind": "plan_versions",
                        "plan": "ae-plan",
                        "before": ["ae-plan/1"],
                        "after": ["ae-plan/2"],
                        "text": "ae-plan: was ae-plan/1, now ae-plan/2",
                    },
                    {"kind": "input_data", "participants": ["raj"], "text": "input data changed"},
                ],
            )
        )
    db.flush()
    build = db.scalars(select(PayoutBuild).where(PayoutBuild.number == 2)).one()
    db.add(
        PayoutBuildChange(
            build_id=build.id,
            participant_id="ana",
            currency="USD",
            before=Decimal("2500.00"),
            after=Decimal("2690.00"),
        )
    )
    db.flush()
    admin = token_for(make_user("comp_admin"))
    got = client.get(
        f"/api/v1/statements/{_statement(db, 'ana')}/changes?against=previous-build", headers=admin
    ).json
    assert got["compared_with"]["build"] == 1
    assert got["totals"] == [
        {"currency": "USD", "before": "2500.00", "after": "2690.00", "delta": "190.00"}
    ]
    # raj's input data is not ana's: only the plan is named.
    assert [c["kind"] for c in got["causes"]] == ["plan"]
    assert got["causes"][0]["before"] == "ae-plan/1" and got["causes"][0]["after"] == "ae-plan/2"


def test_a_re_run_is_compared_line_by_line_over_the_api_and_on_the_page(
    client, db, make_user, token_for
):
    people = close_people(db, make_user)
    start_run(db, people["admin"], "2026-Q3")
    deal = next(d for d in organisation()["deals"] if d["id"] == "D-3")  # ana's, Q3
    import_data(db, {"deals": [dict(deal, amount="99999.00")]}, source="fix.json")
    run = start_run(db, people["admin"], "2026-Q3")
    db.commit()
    st = db.scalars(
        select(Statement).where(Statement.run_id == run.id, Statement.participant_id == "ana")
    ).one()
    admin = token_for(people["admin"])
    got = client.get(f"/api/v1/statements/{st.id}/changes?against=previous-build", headers=admin)
    assert got.status_code == 200, got.json
    body = got.json
    assert body["line_level"] is True and body["compared_with"]["label"] == "build 1"
    assert {c["deal"] for c in body["changes"]} == {"D-3"}
    assert body["changes"][0]["causes"][0]["kind"] == "deal"
    (total,) = body["totals"]
    assert Decimal(total["after"]) == st.payable
    assert Decimal(total["delta"]) == sum(Decimal(c["delta"]) for c in body["changes"]) > 0
    sign_in(client, people["admin"].email)
    page = client.get(f"/statements/{st.id}/changes?against=previous-build")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Line by line" in text and text.count('data-testid="pay-change"') == len(body["changes"])
    assert "Commission on deal D-3" in text


def test_a_rep_cannot_read_another_reps_changes_nor_a_draft(client, db, runs, make_user, token_for):
    ana = token_for(make_user("rep", participant_id="ana"))
    raj_q2 = _statement(db, "raj", "2026-Q2")
    ana_q3 = _statement(db, "ana")  # 2026-Q3 is a draft: a rep does not see it
    for path in (f"/api/v1/statements/{raj_q2}/changes", f"/api/v1/statements/{ana_q3}/changes"):
        got = client.get(path, headers=ana)
        assert got.status_code == 404, path
        assert set(got.json) == {"code", "status", "message", "errors"}
    own = client.get(f"/api/v1/statements/{_statement(db, 'ana', '2026-Q2')}/changes", headers=ana)
    assert own.status_code == 200
    assert own.json["compared_with"] is None  # no 2026-Q1 statement: every line is new
    bad = client.get(f"/api/v1/statements/{raj_q2}/changes?against=yesterday", headers=ana)
    assert bad.status_code == 422


def test_the_page_is_linked_from_the_statement_and_draws_the_causes(
    client, db, published, make_user
):
    user = make_user("rep", participant_id="ana")
    sign_in(client, user.email)
    st = _statement(db, "ana")
    page = client.get(f"/statements/{st}").get_data(as_text=True)
    assert f'href="/statements/{st}/changes?against=previous-period"' in page
    changes = client.get(f"/statements/{st}/changes?against=previous-period")
    assert changes.status_code == 200
    text = changes.get_data(as_text=True)
    assert "Deal D-101 pays in 2026-Q3; 2026-Q2 had no such line on it." in text
    assert 'data-chart="by-cause"' in text
    csv = client.get(f"/statements/{st}/changes?against=previous-period&csv=by-cause")
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).startswith("label,Change")
    other = _statement(db, "raj")
    assert client.get(f"/statements/{other}/changes").status_code == 404


def test_the_committee_sees_why_a_plan_change_moves_a_participant(client, db, make_user):
    people = committee(make_user)
    import_history(db)
    active = submitted(db, people, plan_text("0.06"))
    lifecycle.approve(db, None, "ae-plan", active.number)
    lifecycle.activate(db, people["author"], "ae-plan", active.number)
    proposed = submitted(db, people, plan_text("0.08"))
    sign_in(client, people["finance"].email)
    url = f"/committee/changes/ae-plan/{proposed.number}/why/ana"
    got = client.get(url)
    assert got.status_code == 200
    text = got.get_data(as_text=True)
    assert "rate rule new-business rate was 0.06, now 0.08" in text
    assert "+2,000.00" in text  # a deal of 100000 at 0.08 instead of 0.06
    assert client.get(f"/committee/changes/ae-plan/{proposed.number}/why/nobody").status_code == 404
    sign_in(client, people["rep"].email)
    assert client.get(url).status_code == 403
