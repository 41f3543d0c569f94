"""`accord jobs list|retry` on both databases, publishing to a real Redis (no worker: the
task is read back from the queue): a retry queues a new job as the API does, audited;
refusals exit 2; a broker that is down exits 1 and writes nothing."""

from __future__ import annotations

import json

import pytest
import redis as redis_client
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditRecord, PayoutRunJob
from models.base import utcnow
from models.engine import make_engine
from tests.integration.payout_support import seed
from tests.support.cli import run
from tests.support.services import TempRedis


@pytest.fixture
def redis(monkeypatch):
    server = TempRedis().start()
    monkeypatch.setenv("ACCORD_BROKER_URL", server.url)
    yield server
    server.close()


@pytest.fixture
def engine(cli_env, redis):
    eng = make_engine(cli_env)
    seed(eng)
    yield eng
    eng.dispose()


def _add(engine, period: str, state: str, message: str | None = None) -> int:
    with Session(engine) as session:
        job = PayoutRunJob(period=period, state=state, problems=[], message=message)
        job.started_at = job.finished_at = utcnow() if state == "failed" else None
        session.add(job)
        session.commit()
        return job.id


def _queued_tasks(redis) -> list[dict]:
    """The task messages waiting in Celery's default queue."""
    raw = redis_client.Redis.from_url(redis.url).lrange("celery", 0, -1)
    return [json.loads(m)["headers"] for m in raw]


def _retried(engine) -> list[AuditRecord]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.action == "payout_run_job.retried")
            )
        )


def test_list_and_retry_a_failed_job(engine, redis):
    failed = _add(engine, "2026-Q3", "failed", "the worker was lost")
    _add(engine, "2026-Q2", "queued")
    listed = run("jobs", "list", "--state", "failed")
    assert listed.exit_code == 0
    assert f"{failed:>6}  2026-Q3  failed" in listed.output
    assert "the worker was lost" in listed.output and "2026-Q2" not in listed.output
    assert "2026-Q2  queued" in run("jobs", "list").output

    done = run("jobs", "retry", failed)
    assert done.exit_code == 0, done.output
    with Session(engine) as session:
        new = session.scalars(select(PayoutRunJob).where(PayoutRunJob.id > failed)).all()
    assert len(new) == 2  # the queued 2026-Q2 one, and the retry
    retry = new[-1]
    assert (retry.period, retry.state) == ("2026-Q3", "queued")
    assert retry.published_at is not None
    assert f"job {failed} (2026-Q3) retried as job {retry.id}" in done.output
    tasks = _queued_tasks(redis)
    assert [(t["task"], t["argsrepr"]) for t in tasks] == [
        ("accord.payout_runs.build", f"({retry.id},)")
    ]
    (record,) = _retried(engine)
    assert record.payload == {"period": "2026-Q3", "failed_job": failed, "job": retry.id}
    assert record.object_id == f"payout-run-job/2026-Q3#{failed}"


def test_refusals_exit_2_and_queue_nothing(engine, redis):
    active = _add(engine, "2026-Q3", "queued")
    failed = _add(engine, "2026-Q3", "failed", "boom")  # beside an older active job
    busy = run("jobs", "retry", failed)
    assert busy.exit_code == 2
    assert f"A run of 2026-Q3 is already queued (job {active})" in busy.output
    not_failed = run("jobs", "retry", active)
    assert not_failed.exit_code == 2
    assert f"job {active} is queued: only a failed job is retried" in not_failed.output
    assert run("jobs", "retry", 999).exit_code == 2
    old = _add(engine, "2026-Q1", "failed")
    _add(engine, "2026-Q1", "failed")
    superseded = run("jobs", "retry", old)
    assert superseded.exit_code == 2 and "superseded by job" in superseded.output
    assert _queued_tasks(redis) == [] and _retried(engine) == []
    with Session(engine) as session:
        assert len(session.scalars(select(PayoutRunJob)).all()) == 4


def test_retry_with_the_broker_down_exits_1_and_writes_nothing(engine, redis):
    failed = _add(engine, "2026-Q3", "failed")
    redis.stop()
    down = run("jobs", "retry", failed)
    assert down.exit_code == 1
    assert "task queue is unavailable" in down.output
    with Session(engine) as session:
        states = session.scalars(select(PayoutRunJob.state)).all()
    assert states == ["failed"] and _retried(engine) == []
