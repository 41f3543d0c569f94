"""`POST /api/v1/payout-runs` without `wait`: a job (202), built by the worker, polled.

Under TESTING the worker runs the job inline in the request (PAYOUT_JOBS_INLINE), after
the job was committed, through sessions of its own: deterministic, and the app's sessions
are bound to the test's connection, which threads must not share. The worker thread
itself is exercised in tests/integration/test_payout_run_jobs.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from sqlalchemy import select

from app import jobs
from models import PayoutRun, PayoutRunJob
from tests.integration.payout_support import activate_plan, load, setup_org

RUNS = "/api/v1/payout-runs"
JOBS = f"{RUNS}/jobs"


def _org(db):
    setup_org(db)
    db.commit()


@pytest.fixture
def admin(make_user, token_for):
    return token_for(make_user("comp_admin"))


@pytest.fixture
def registered():
    """Job ids put in this process's registry by a test; forgotten afterwards (ids are
    reused once the test's transaction is rolled back)."""
    ids: list[int] = []
    yield ids
    for job_id in ids:
        jobs.forget(job_id)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid names no process now
    return child.pid


def test_a_start_answers_202_with_a_job_that_ends_done_with_the_run(client, db, admin):
    _org(db)
    response = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin)
    assert response.status_code == 202, response.json
    job = response.json
    assert response.headers["Location"].endswith(f"{JOBS}/{job['id']}")
    assert (job["period"], job["state"]) == ("2026-Q3", "done")  # inline under TESTING
    polled = client.get(response.headers["Location"], headers=admin).json
    run = client.get(polled["run_url"], headers=admin).json
    assert polled["run_id"] == run["id"] and run["state"] == "draft"
    assert polled["counts"] == {
        name: run[name]
        for name in (
            "participant_count",
            "deal_count",
            "statement_count",
            "line_count",
            "recomputed_count",
        )
    }
    assert polled["counts"]["statement_count"] == 4 and polled["counts"]["deal_count"] == 12
    assert polled["progress_done"] == polled["progress_total"] == 4
    assert polled["problems"] == [] and polled["message"] is None
    assert polled["worker"] == jobs.this_worker()
    assert polled["started_at"] <= polled["finished_at"]
    # A second start re-runs the draft: a new job, the same run.
    again = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin).json
    assert again["state"] == "done" and again["run_id"] == run["id"]
    assert again["counts"]["recomputed_count"] == 0
    listed = client.get(f"{JOBS}?period=2026-Q3&per_page=1", headers=admin).json
    assert listed["total"] == 2 and [j["id"] for j in listed["items"]] == [again["id"]]
    assert client.get(f"{JOBS}?period=2026-Q4", headers=admin).json["total"] == 0


def test_a_bad_period_is_refused_at_once_and_nothing_is_queued(client, db, admin):
    _org(db)
    bad = client.post(RUNS, json={"period": "2026-Q9"}, headers=admin)
    assert bad.status_code == 422 and bad.json["errors"][0]["path"] == "period"
    assert client.post(RUNS, json={"wait": False}, headers=admin).status_code == 422
    assert db.scalars(select(PayoutRunJob)).all() == []


def test_a_run_that_cannot_be_built_leaves_a_failed_job_and_writes_nothing(client, db, admin):
    load(db)  # deals, but no plan version in force
    db.commit()
    response = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin)
    assert response.status_code == 202
    job = client.get(response.headers["Location"], headers=admin).json
    assert job["state"] == "failed" and "No plan version governs" in job["message"]
    assert [(p["path"], p["message"]) for p in job["problems"]] == [
        ("period", "no active plan version governs 2026-Q3")
    ]
    assert job["run_id"] is None and job["counts"] is None
    assert db.scalars(select(PayoutRun)).all() == []
    # The failure frees the period: once a plan is in force, it runs.
    activate_plan(db)
    db.commit()
    done = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin).json
    assert done["state"] == "done" and done["counts"]["statement_count"] > 0


def test_a_second_start_while_a_job_is_queued_or_building_is_refused(
    client, db, admin, make_user, registered
):
    _org(db)
    waiting = jobs.create_job(db, make_user("comp_admin"), "2026-Q3")
    registered.append(waiting.id)
    db.commit()
    refused = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin)
    assert refused.status_code == 409 and "queued" in refused.json["message"]
    waiting.state = "building"
    db.commit()
    refused = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin)
    assert refused.status_code == 409 and "building" in refused.json["message"]
    # Another period is not held by it.
    assert client.post(RUNS, json={"period": "2026-Q4"}, headers=admin).status_code == 202
    assert db.scalars(select(PayoutRun.period)).all() == ["2026-Q4"]


def test_progress_of_a_building_job_is_read_from_the_building_process(
    client, db, admin, registered
):
    _org(db)
    job = jobs.create_job(db, None, "2026-Q3")
    registered.append(job.id)
    job.state = "building"
    db.commit()
    jobs.registry.update(job.id, 250, 1000)  # what the run's callback reports
    polled = client.get(f"{JOBS}/{job.id}", headers=admin).json
    assert (polled["state"], polled["progress_done"], polled["progress_total"]) == (
        "building",
        250,
        1000,
    )


def test_a_job_whose_process_is_gone_reads_failed_and_frees_the_period(client, db, admin):
    _org(db)
    gone = PayoutRunJob(
        period="2026-Q3", state="building", worker=f"{socket.gethostname()}:{_dead_pid()}"
    )
    # This very process, but no thread of it is working on the job.
    orphan = PayoutRunJob(period="2026-Q4", state="queued", worker=jobs.this_worker())
    # Another host's job cannot be judged from here: it stays as it is.
    elsewhere = PayoutRunJob(period="2026-Q2", state="building", worker="elsewhere.test:1")
    db.add_all([gone, orphan, elsewhere])
    db.commit()
    polled = client.get(f"{JOBS}/{gone.id}", headers=admin).json
    assert polled["state"] == "failed" and polled["message"] == jobs.STOPPED
    states = {j["id"]: j["state"] for j in client.get(JOBS, headers=admin).json["items"]}
    assert states == {gone.id: "failed", orphan.id: "failed", elsewhere.id: "building"}
    db.expire_all()
    assert db.get(PayoutRunJob, orphan.id).state == "failed"  # marked, not only shown
    rerun = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin)
    assert rerun.status_code == 202 and rerun.json["state"] == "done"
    assert client.post(RUNS, json={"period": "2026-Q2"}, headers=admin).status_code == 409


def test_starting_needs_payouts_run_and_reading_jobs_the_read_permission(
    client, db, admin, make_user, token_for
):
    _org(db)
    job_id = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin).json["id"]
    rep = token_for(make_user("rep"))
    assert client.post(RUNS, json={"period": "2026-Q3"}, headers=rep).status_code == 403
    assert client.get(JOBS, headers=rep).status_code == 403
    assert client.get(f"{JOBS}/{job_id}", headers=rep).status_code == 403
    auditor = token_for(make_user("auditor"))
    assert client.get(f"{JOBS}/{job_id}", headers=auditor).json["state"] == "done"
    assert client.post(RUNS, json={"period": "2026-Q3"}, headers=auditor).status_code == 403
    assert client.get(f"{JOBS}/999999", headers=auditor).status_code == 404
    assert len(db.scalars(select(PayoutRunJob)).all()) == 1
