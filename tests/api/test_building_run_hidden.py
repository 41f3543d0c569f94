"""A fanned-out first build writes its statements and lines under a `building` run
(docs/payout-runs.md, "Building runs"): no reader shows it, through any way in. Every
read of runs, statements and lines that names a run, a statement, a line or a period
is tried here against a building run of 2026-Q3 beside a published 2026-Q2, as the
roles that see the most (an admin, who also audits) and as the rep whose lines the
building run holds."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import PayoutLine, PayoutRun, Statement
from tests.support.sessions import sign_in
from tests.support.statements import engine_output, import_demo, persist_run

PERIOD = "2026-Q3"


@pytest.fixture
def building(db):
    """2026-Q2 published; 2026-Q3's rows written by batches, its finalizer not run yet."""
    import_demo(db)
    persist_run(db, engine_output("2026-Q2"), state="published")
    run = persist_run(db, engine_output(PERIOD), state="building")
    statement = db.scalars(select(Statement).where(Statement.run_id == run.id)).first()
    line = db.scalars(
        select(PayoutLine).where(
            PayoutLine.run_id == run.id,
            PayoutLine.participant_id == statement.participant_id,
            PayoutLine.plan_key == statement.plan_key,
        )
    ).first()
    return run, statement, line


def _status(client, path: str, headers: dict) -> int:
    return client.get(path, headers=headers).status_code


def test_no_api_read_shows_a_building_run(client, building, make_user, token_for):
    run, statement, line = building
    admin = token_for(make_user("admin"))
    listed = client.get("/api/v1/payout-runs", headers=admin).json["items"]
    assert run.id not in [r["id"] for r in listed] and listed  # Q2's is listed
    listed = client.get(f"/api/v1/payout-runs?period={PERIOD}", headers=admin).json["items"]
    assert listed == []
    for path in (
        f"/api/v1/payout-runs/{run.id}",
        f"/api/v1/payout-runs/{run.id}/lines",
        f"/api/v1/payout-runs/{run.id}/changes",
        f"/api/v1/payout-runs/{run.id}/tally",
        f"/api/v1/statements/{statement.id}",
        f"/api/v1/statements/{statement.id}/lines/{line.id}",
        f"/api/v1/statements/runs/{run.id}/payroll",
    ):
        assert _status(client, path, admin) == 404, path
    got = client.get("/api/v1/statements", query_string={"period": PERIOD}, headers=admin)
    assert got.status_code == 200 and got.json["items"] == []
    periods = client.get("/api/v1/statements/periods", headers=admin).json["items"]
    assert PERIOD not in [p["period"] for p in periods]
    export = client.get(f"/api/v1/statements/export?period={PERIOD}&format=csv", headers=admin)
    assert export.status_code == 200
    assert list(csv.DictReader(io.StringIO(export.get_data(as_text=True)))) == []


def test_no_action_reaches_a_building_run(client, db, building, make_user, token_for):
    run, _statement, line = building
    admin = token_for(make_user("admin"))
    vote = {"decision": "approve", "content_hash": "sha256:" + "3" * 64}
    for action, body in (
        ("votes", vote),
        ("lock", {}),
        ("discard", {"reason": "set aside"}),
        ("publish", {}),
    ):
        got = client.post(f"/api/v1/payout-runs/{run.id}/{action}", json=body, headers=admin)
        assert got.status_code == 404, (action, got.json)
    rep = token_for(make_user("rep", participant_id=line.participant_id))
    filed = client.post(
        "/api/v1/disputes",
        json={"line_id": line.id, "reason": "a line of a run not built yet"},
        headers=rep,
    )
    assert filed.status_code == 404 and "No statement line" in filed.json["message"]
    # The building run holds its period: a second run of it is refused, as beside a draft.
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            PayoutRun(
                period=PERIOD,
                period_start=run.period_start,
                period_end=run.period_end,
                state="draft",
                input_data_hash="",
            )
        )
        db.flush()


def test_no_page_shows_a_building_run(client, building, make_user):
    run, statement, line = building
    admin = make_user("admin")
    assert sign_in(client, admin.email).status_code == 302
    listing = client.get("/payout-runs").get_data(as_text=True)
    assert f"/payout-runs/{run.id}" not in listing
    assert client.get(f"/payout-runs/{run.id}").status_code == 404
    statements = client.get(f"/statements?period={PERIOD}")
    assert f"/statements/{statement.id}" not in statements.get_data(as_text=True)
    assert client.get(f"/statements/{statement.id}").status_code == 404
    assert client.get(f"/statements/{statement.id}/lines/{line.id}").status_code == 404


def test_metrics_count_building_runs(client, building):
    text = client.get("/metrics").get_data(as_text=True)
    assert 'accord_payout_runs{state="building"} 1.0' in text
