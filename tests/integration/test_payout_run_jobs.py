"""Payout run jobs for real: a worker's side of a job (`execute_job`, what the Celery
task runs), progress seen from other sessions while the run's transaction is open, a
task delivered twice or after its worker was lost, and the database's guards.

Each test gets a fresh, migrated database of its backend and real commits (no test
transaction around them): workers and observers use connections of their own, as in
production. Real Celery workers on Redis: tests/integration/test_worker_e2e.py.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app import jobs
from app.job_progress import ProgressFiles
from config import TestConfig
from models import AuditRecord, PayoutRun, PayoutRunJob
from models.base import utcnow
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
        if backend == "postgresql":
            job.progress_done, job.progress_total = 2, 4  # as the build reports it
        session.commit()
    files = ProgressFiles.of(sessionmaker(engine))
    if files is not None:  # SQLite: as the build reports it
        files.put(job_id, 2, 4)
    headers = {"Authorization": f"Bearer {secret}"}
    app = create_app(TestConfig, {"DATABASE_URL": url, "TASKS_EAGER": False})
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
        if files is not None:
            files.drop(job_id)
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
    # holds the only write lock, so the row is untouched and progress is in a file.
    assert row_progress == ((4, 4) if backend == "postgresql" else (0, 0))
    with Session(engine) as check:
        job = check.get(PayoutRunJob, job_id)
        run = check.get(PayoutRun, job.run_id)
        assert (job.state, job.progress_done, run.statement_count) == ("done", 4, 4)
        assert job.attempts == 1
    files = ProgressFiles.of(sessionmaker(engine))
    assert files is None or files.get(job_id) is None  # the worker cleaned up


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


def _built(engine) -> list[str]:
    with Session(engine) as check:
        return list(
            check.scalars(
                select(AuditRecord.action).where(AuditRecord.action == "payout_run.built")
            )
        )


def test_only_a_queued_or_building_job_is_built(real):
    _url, engine = real
    with Session(engine) as session:
        job = jobs.create_job(session, None, "2026-Q3")
        job.state = "failed"  # given up before a worker got to it
        job_id = job.id
        session.commit()
    assert jobs.execute_job(sessionmaker(engine), job_id) == "failed"
    assert jobs.execute_job(sessionmaker(engine), job_id + 1000) == "missing"
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(PayoutRun)) == 0
        assert check.get(PayoutRunJob, job_id).started_at is None


def test_a_task_delivered_again_never_builds_twice(real):
    """A redelivery after the worker was lost (the job reads building) builds it; one
    delivered after the job is done does nothing; attempts are bounded."""
    _url, engine = real
    sessions = sessionmaker(engine)
    with Session(engine) as session:
        job = jobs.create_job(session, None, "2026-Q3")
        job.state, job.attempts = "building", 1  # claimed by a worker that was killed
        job_id = job.id
        session.commit()
    assert jobs.execute_job(sessions, job_id, worker="w2") == "done"
    with Session(engine) as check:
        job = check.get(PayoutRunJob, job_id)
        run = check.get(PayoutRun, job.run_id)
        assert (job.attempts, job.worker, run.version) == (2, "w2", 1)
    assert jobs.execute_job(sessions, job_id, worker="w3") == "done"  # nothing to do
    with Session(engine) as check:
        assert check.get(PayoutRunJob, job_id).attempts == 2
        assert check.get(PayoutRun, run.id).version == 1
    assert _built(engine) == ["payout_run.built"]
    # A job whose workers were lost MAX_ATTEMPTS times is failed, visibly, period free.
    with Session(engine) as session:
        lost = jobs.create_job(session, None, "2026-Q4")
        lost.state, lost.attempts = "building", jobs.MAX_ATTEMPTS
        session.commit()
        lost_id = lost.id
    assert jobs.execute_job(sessions, lost_id) == "failed"
    with Session(engine) as check:
        lost = check.get(PayoutRunJob, lost_id)
        assert lost.message == jobs.LOST.format(n=jobs.MAX_ATTEMPTS)
    # A task whose actor does not match its job's builds nothing.
    with Session(engine) as session:
        odd_id = jobs.create_job(session, None, "2026-Q2").id
        session.commit()
    assert jobs.execute_job(sessions, odd_id, actor_id=424242) == "failed"
    assert _built(engine) == ["payout_run.built"]


def test_two_deliveries_at_once_build_one_run(real, backend):
    """Two workers given the same task at the same moment (a visibility timeout that
    expired, a sweep): one builds; the other waits for the job's lock and finds it done
    (PostgreSQL), or is told to try later by SQLite's busy write lock."""
    _url, engine = real
    sessions = sessionmaker(engine)
    with Session(engine) as session:
        job_id = jobs.create_job(session, None, "2026-Q3").id
        session.commit()
    building, release = threading.Event(), threading.Event()

    def first_progress(done: int, total: int) -> None:
        building.set()
        release.wait(timeout=60)  # hold the run's transaction open

    def second() -> str:
        building.wait(timeout=60)
        try:
            return jobs.execute_job(sessions, job_id, worker="second")
        except jobs.TryLater:
            return "try later"

    with ThreadPoolExecutor(max_workers=2) as pool:
        one = pool.submit(
            jobs.execute_job, sessions, job_id, worker="first", on_progress=first_progress
        )
        other = pool.submit(second)
        if backend == "postgresql":
            _until_someone_waits_on_an_advisory_lock(engine)
        else:
            other.result(timeout=120)  # SQLite's busy timeout, then "try later"
        release.set()
        outcomes = (one.result(timeout=120), other.result(timeout=120))
    assert outcomes[0] == "done"
    assert outcomes[1] == ("done" if backend == "postgresql" else "try later")
    assert _built(engine) == ["payout_run.built"]
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(PayoutRun)) == 1
        assert check.get(PayoutRunJob, job_id).state == "done"


def _until_someone_waits_on_an_advisory_lock(engine) -> None:
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    with engine.connect() as conn:
        for _ in range(6000):
            if conn.execute(waiting).scalar():
                return
            conn.rollback()
            threading.Event().wait(0.01)
    raise AssertionError("the second delivery never waited for the job's lock")


def test_stranded_jobs_are_found_for_the_sweep_and_withdrawn_ones_leave_nothing(real):
    """The sweep's choice: queued, never published, older than a minute; or, for a
    worker starting on a broker that does not redeliver, every queued or building job."""
    _url, engine = real
    sessions = sessionmaker(engine)
    old = utcnow() - timedelta(minutes=5)
    with Session(engine) as session:
        stranded = PayoutRunJob(period="2026-Q1", state="queued", created_at=old, problems=[])
        fresh = PayoutRunJob(period="2026-Q2", state="queued", problems=[])
        published = PayoutRunJob(
            period="2026-Q3", state="queued", created_at=old, published_at=old, problems=[]
        )
        building = PayoutRunJob(period="2026-Q4", state="building", created_at=old, problems=[])
        done = PayoutRunJob(period="2025-Q4", state="failed", created_at=old, problems=[])
        session.add_all([stranded, fresh, published, building, done])
        session.commit()
        ids = [job.id for job in (stranded, fresh, published, building)]
    assert jobs.stranded(sessions) == [ids[0]]
    assert jobs.stranded(sessions, everything_active=True) == ids
    jobs.mark_published(sessions, ids[0])
    assert jobs.stranded(sessions) == []
    jobs.withdraw(sessions, ids[0])  # published: not withdrawn (a worker may have it)
    jobs.withdraw(sessions, ids[1])  # queued, unpublished: gone
    with Session(engine) as check:
        assert check.get(PayoutRunJob, ids[0]) is not None
        assert check.get(PayoutRunJob, ids[1]) is None
