"""`/api/v1/payout-runs` with `"wait": true` (the request waits for the queued job): start
a run, read it and its lines; refusals in the envelope with the status of their kind. The
default, a job to poll, is tested in test_payout_run_jobs_api.py."""

from __future__ import annotations

from sqlalchemy import select

from models import PayoutRun, PayoutRunJob
from tests.integration.payout_support import setup_org

RUNS = "/api/v1/payout-runs"


def _org(db):
    setup_org(db)
    db.commit()


def test_start_read_and_page_through_lines(client, db, make_user, token_for):
    _org(db)
    admin = token_for(make_user("comp_admin"))
    response = client.post(RUNS, json={"period": "2026-Q3", "wait": True}, headers=admin)
    assert response.status_code == 201, response.json
    run = response.json
    assert (run["period"], run["state"], run["version"]) == ("2026-Q3", "draft", 1)
    assert run["statement_count"] == 4 and run["deal_count"] == 12
    assert run["progress_done"] == run["progress_total"] == 4
    assert run["input_data_hash"].startswith("sha256:")
    auditor = token_for(make_user("auditor"))
    listed = client.get(RUNS, headers=auditor).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == run["id"]
    detail = client.get(f"{RUNS}/{run['id']}", headers=auditor).json
    assert detail["result_hash"] == run["result_hash"]
    first = client.get(f"{RUNS}/{run['id']}/lines?per_page=5", headers=auditor).json
    assert first["total"] == run["line_count"] and len(first["items"]) == 5
    rest = client.get(f"{RUNS}/{run['id']}/lines?per_page=500&page=1", headers=auditor).json
    keys = [ln["line_key"] for ln in rest["items"]]
    assert len(set(keys)) == run["line_count"]
    assert [ln["line_key"] for ln in first["items"]] == keys[:5]
    line = rest["items"][0]
    assert line["trace"] and line["amount"].count(".") == 1
    ana = client.get(f"{RUNS}/{run['id']}/lines?participant=ana", headers=auditor).json
    assert ana["total"] > 0 and {ln["participant"] for ln in ana["items"]} == {"ana"}
    # Running again re-runs the draft in place.
    again = client.post(RUNS, json={"period": "2026-Q3", "wait": True}, headers=admin).json
    assert (again["id"], again["version"], again["recomputed_count"]) == (run["id"], 1, 0)


def test_refusals_use_the_error_envelope_and_write_nothing(client, db, make_user, token_for):
    _org(db)
    admin = token_for(make_user("comp_admin"))
    bad = client.post(RUNS, json={"period": "2026-Q9"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json["errors"][0]["path"] == "period"
    missing = client.post(RUNS, json={}, headers=admin)
    assert missing.status_code == 422
    assert (
        client.post(
            RUNS, json={"period": "2026-Q3"}, headers=token_for(make_user("rep"))
        ).status_code
        == 403
    )
    assert db.scalars(select(PayoutRun)).all() == []
    run_id = client.post(RUNS, json={"period": "2026-Q3", "wait": True}, headers=admin).json["id"]
    run = db.get(PayoutRun, run_id)
    run.state = "approved"
    db.commit()
    closed = client.post(RUNS, json={"period": "2026-Q3", "wait": True}, headers=admin)
    assert closed.status_code == 409 and "approved" in closed.json["message"]
    assert client.get(f"{RUNS}/999999", headers=admin).status_code == 404


def test_waiting_answers_a_refused_build_with_its_kind_and_a_slow_one_with_the_job(
    app, client, db, make_user, token_for
):
    _org(db)
    admin = token_for(make_user("comp_admin"))
    run_id = client.post(RUNS, json={"period": "2026-Q3", "wait": True}, headers=admin).json["id"]
    db.get(PayoutRun, run_id).state = "approved"
    db.commit()
    refused = client.post(RUNS, json={"period": "2026-Q3", "wait": True}, headers=admin)
    assert refused.status_code == 409, refused.json  # the worker's Conflict, as raised
    failed = db.scalars(select(PayoutRunJob).order_by(PayoutRunJob.id.desc())).first()
    assert (failed.state, failed.refusal) == ("failed", "Conflict")
    assert refused.json["message"] == failed.message

    celery = app.extensions["accord.celery"]
    celery.conf.task_always_eager = False
    celery.conf.broker_url = "memory://"  # accepted, never worked on here
    app.config["RUN_WAIT_SECONDS"] = 0.3
    try:
        slow = client.post(RUNS, json={"period": "2026-Q4", "wait": True}, headers=admin)
    finally:
        celery.conf.task_always_eager = True
    assert slow.status_code == 202, slow.json  # still queued: poll the job
    assert slow.json["state"] == "queued" and slow.json["period"] == "2026-Q4"
    assert slow.headers["Location"].endswith(f"/jobs/{slow.json['id']}")
