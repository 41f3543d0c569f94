"""`POST /api/v1/payout-runs` without `wait`: a job (202), built by its task, polled.

API-contract tests: TestConfig runs tasks eagerly (TASKS_EAGER: Celery's
task_always_eager), in the request, after the job was committed and its task
"published", through sessions of their own bound to the test's connection. Real Redis
servers and Celery worker processes build runs in tests/integration/test_worker_e2e.py;
the job's execution (claims, redelivery, locks) is in tests/integration/test_payout_run_jobs.py.
"""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from app import jobs
from app.job_progress import ProgressFiles
from models import AuditRecord, PayoutRun, PayoutRunJob
from tests.integration.payout_support import activate_plan, load, setup_org

RUNS = "/api/v1/payout-runs"
JOBS = f"{RUNS}/jobs"


def _org(db):
    setup_org(db)
    db.commit()


@pytest.fixture
def admin(make_user, token_for):
    return token_for(make_user("comp_admin"))


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
    assert polled["worker"] == socket.gethostname()  # the worker (here: eager, this host)
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


def test_a_second_start_while_a_job_is_queued_or_building_is_refused(client, db, admin, make_user):
    _org(db)
    waiting = jobs.create_job(db, make_user("comp_admin"), "2026-Q3")
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


def test_progress_of_a_building_job_is_what_its_worker_reported(client, db, admin, backend):
    _org(db)
    job = jobs.create_job(db, None, "2026-Q3")
    job.state = "building"
    db.commit()
    # What the run's progress callback writes on the worker: the row (PostgreSQL), the
    # progress file beside the database (SQLite, whose write lock the build holds).
    files = ProgressFiles.of(db)
    if backend == "sqlite":
        files.put(job.id, 250, 1000)
    else:
        assert files is None
        job.progress_done, job.progress_total = 250, 1000
        db.commit()
    try:
        polled = client.get(f"{JOBS}/{job.id}", headers=admin).json
    finally:
        if files is not None:
            files.drop(job.id)
    assert (polled["state"], polled["progress_done"], polled["progress_total"]) == (
        "building",
        250,
        1000,
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_a_start_while_the_broker_is_down_is_503_and_writes_nothing(app, client, db, admin):
    """No broker listening (a Redis URL on a closed port): the job row committed for it is
    withdrawn, the answer is the JSON envelope with 503, the period stays free."""
    _org(db)
    before = db.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
    celery = app.extensions["accord.celery"]
    celery.conf.task_always_eager = False
    celery.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.post(RUNS, json={"period": "2026-Q3"}, headers=admin)
    assert response.status_code == 503, response.json
    assert response.json["code"] == 503 and "nothing was written" in response.json["message"]
    assert response.json["errors"] == []
    db.expire_all()
    assert db.scalars(select(PayoutRunJob)).all() == []
    assert db.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1)) == before
    celery.conf.task_always_eager = True  # the broker is back: the period was left free
    assert client.post(RUNS, json={"period": "2026-Q3"}, headers=admin).json["state"] == "done"


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
