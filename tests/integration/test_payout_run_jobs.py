"""Payout run jobs for real: the API's worker thread, progress seen from other sessions
while the run's transaction is open, and the database's guards on the job table.

Each test gets a fresh, migrated database of its backend and real commits (no test
transaction around them): the worker thread and the observers use connections of their
own, as in production.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app import jobs
from config import TestConfig
from models import PayoutRun, PayoutRunJob
from models.engine import make_engine
from tests.conftest import PASSWORD
from tests.integration.payout_support import seed


@pytest.fixture
def real(backend, migrated_database):
    with migrated_database(backend) as url:
        engine = make_engine(url)
        seed(engine)
        yield url, engine
        engine.dispose()


def _admin_with_token(session):
    """A comp admin and the secret of an API token of theirs."""
    from governance.accounts import create_user, issue_token

    user = create_user(
        session, email="admin@example.test", name="Admin", password=PASSWORD,
        roles=["comp_admin"],
    )  # fmt: skip
    _token, secret = issue_token(session, user, "test")
    return user, secret


def test_the_worker_thread_builds_the_run_while_clients_poll_the_job(real):
    from app import create_app
    from app.database import database

    url, engine = real
    with Session(engine) as session:
        _user, secret = _admin_with_token(session)
        session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    app = create_app(TestConfig, {"DATABASE_URL": url, "PAYOUT_JOBS_INLINE": False})
    try:
        client = app.test_client()
        response = client.post("/api/v1/payout-runs", json={"period": "2026-Q3"}, headers=headers)
        assert response.status_code == 202, response.json
        job = response.json
        assert job["state"] in ("queued", "building", "done")
        # The future of the worker thread (None if it has already finished).
        assert jobs.wait_for(job["id"], timeout=120) in ("done", None)
        polled = client.get(response.headers["Location"], headers=headers).json
        assert polled["state"] == "done", polled
        run = client.get(polled["run_url"], headers=headers).json
        assert polled["counts"]["statement_count"] == run["statement_count"] == 4
        assert polled["counts"]["line_count"] == run["line_count"] > 0
        assert polled["progress_done"] == polled["progress_total"] == 4
        with Session(engine) as check:
            assert check.get(PayoutRunJob, job["id"]).run_id == run["id"]
    finally:
        with app.app_context():
            database().engine.dispose()


def test_clients_poll_with_a_token_while_a_build_holds_the_write_lock(real, backend):
    """SQLite: the build holds the only write lock for its whole transaction; reading a
    job with a bearer token (which records the token's last use) must still answer."""
    from app import create_app
    from app.database import database

    url, engine = real
    with Session(engine) as session:
        user, secret = _admin_with_token(session)
        job = jobs.create_job(session, user, "2026-Q3")
        job.state, job_id = "building", job.id
        session.commit()
    jobs.registry.update(job_id, 2, 4)  # as the build reports it
    headers = {"Authorization": f"Bearer {secret}"}
    app = create_app(TestConfig, {"DATABASE_URL": url, "PAYOUT_JOBS_INLINE": False})
    try:
        with Session(engine) as build:
            build.execute(text("UPDATE payout_runs SET id = id WHERE 0 = 1"))  # the lock
            client = app.test_client()
            polled = client.get(f"/api/v1/payout-runs/jobs/{job_id}", headers=headers)
            assert polled.status_code == 200, polled.json
            assert (polled.json["state"], polled.json["progress_done"]) == ("building", 2)
            if backend == "sqlite":  # another period cannot be queued until it commits
                refused = client.post(
                    "/api/v1/payout-runs", json={"period": "2026-Q4"}, headers=headers
                )
                assert refused.status_code == 409 and "being built" in refused.json["message"]
            build.rollback()
    finally:
        jobs.forget(job_id)
        with app.app_context():
            database().engine.dispose()


def test_progress_is_seen_from_another_session_while_the_run_is_not(real, backend):
    _url, engine = real
    with Session(engine) as session:
        job_id = jobs.create_job(session, None, "2026-Q3").id
        session.commit()
    seen, early = [], []

    def observe(done: int, total: int) -> None:
        # Called in the worker, between two batches: the run's transaction is open.
        with Session(engine) as other:
            row = other.get(PayoutRunJob, job_id)
            merged = jobs.status(other, row)
            runs = other.scalar(select(func.count()).select_from(PayoutRun))
            seen.append(
                (done, total, row.state, (row.progress_done, row.progress_total), runs, merged)
            )
            early.append(row)  # kept, detached, as read while building

    with ThreadPoolExecutor(max_workers=1) as pool:
        state = pool.submit(
            jobs.execute_job, sessionmaker(engine), job_id, on_progress=observe
        ).result(timeout=120)
    assert state == "done"
    (done, total, row_state, row_progress, runs, merged) = seen[-1]
    assert (done, total, row_state, runs) == (4, 4, "building", 0)  # nothing partial visible
    assert (merged["progress_done"], merged["progress_total"]) == (4, 4)
    # PostgreSQL: on the row, from a transaction apart from the run's. SQLite: the run
    # holds the only write lock, so the row is untouched and progress is in the process.
    assert row_progress == ((4, 4) if backend == "postgresql" else (0, 0))
    with Session(engine) as check:
        job = check.get(PayoutRunJob, job_id)
        run = check.get(PayoutRun, job.run_id)
        assert (job.state, job.progress_done, run.statement_count) == ("done", 4, 4)
        assert jobs.registry.get(job_id) == (False, None)  # the worker let go
    # A reader that loaded the job as building just before the worker finished does not
    # take it for stale (the worker let go of it only after committing it done).
    assert early[-1].state == "building" and not jobs.is_stale(early[-1])


def test_the_database_holds_one_queued_or_building_job_per_period(real):
    _url, engine = real
    with Session(engine) as session:
        session.add(PayoutRunJob(period="2026-Q3", state="failed", problems=[]))
        session.add(PayoutRunJob(period="2026-Q3", state="queued", problems=[]))
        session.commit()
        session.add(PayoutRunJob(period="2026-Q3", state="building", problems=[]))
        with pytest.raises(IntegrityError, match="uq_payout_run_jobs_one_active|UNIQUE"):
            session.commit()
        session.rollback()
        session.add(PayoutRunJob(period="2026-Q4", state="running", problems=[]))
        with pytest.raises(IntegrityError, match="state_known"):
            session.commit()
        session.rollback()
        session.add(PayoutRunJob(period="2026-Q4", state="done", problems=[]))
        with pytest.raises(IntegrityError, match="done_has_run"):
            session.commit()


def test_only_a_queued_job_is_built(real):
    _url, engine = real
    with Session(engine) as session:
        job = jobs.create_job(session, None, "2026-Q3")
        job.state = "failed"  # given up (say, found stale) before its worker got to it
        job_id = job.id
        session.commit()
    assert jobs.execute_job(sessionmaker(engine), job_id) == "failed"
    assert jobs.execute_job(sessionmaker(engine), job_id + 1000) == "missing"
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(PayoutRun)) == 0
        assert check.get(PayoutRunJob, job_id).started_at is None
    assert jobs.registry.get(job_id) == (False, None)
