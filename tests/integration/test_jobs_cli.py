"""`accord jobs list|retry` on both databases, publishing to a real Redis (no worker: the
task is read back from the queue): a retry queues a new job as the API does, audited;
refusals exit 2; a broker that is down exits 1 and writes nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest
import redis as redis_client
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.plans import lifecycle
from models import AuditRecord, ImpactResult, Job, PayoutRunJob, User
from models.base import utcnow
from models.engine import make_engine
from tests.integration.committee import plan_text
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


def _listed(output: str, ref: str) -> list[str]:
    """The words after `ref` on its line of `accord jobs list`."""
    [line] = [line for line in output.splitlines() if line.split()[0] == ref]
    return line.split()[1:]


def test_list_and_retry_a_failed_job(engine, redis):
    failed = _add(engine, "2026-Q3", "failed", "the worker was lost")
    _add(engine, "2026-Q2", "queued")
    listed = run("jobs", "list", "--state", "failed")
    assert listed.exit_code == 0
    assert _listed(listed.output, f"run:{failed}")[:3] == ["2026-Q3", "failed", "attempts"]
    assert "the worker was lost" in listed.output and "2026-Q2" not in listed.output
    assert "2026-Q2 " in run("jobs", "list").output

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
    not_failed = run("jobs", "retry", f"run:{active}")
    assert not_failed.exit_code == 2
    assert f"job run:{active} is queued: only a failed job is retried" in not_failed.output
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


# ------------------------------------------------ background jobs and impact simulations


def _background(engine, kind: str, state: str = "failed", **extra) -> int:
    with Session(engine) as session:
        user = User(email=f"{kind}-{state}@jobs.test", name="Requester", password_hash="x")
        session.add(user)
        session.flush()
        job = Job(
            kind=kind,
            state=state,
            requested_by_id=user.id,
            parameters={"format": "csv"},
            problems=[],
            message="boom" if state == "failed" else None,
            attempts=1,
            **extra,
        )
        session.add(job)
        session.commit()
        return job.id


def _impact(engine, state: str = "failed") -> tuple[int, int]:
    """A change request submitted for the worker (ae-plan at 8%): (impact row, request)."""
    with Session(engine) as session:
        version = lifecycle.create_draft(session, None, plan_text("0.08"))
        lifecycle.submit(
            session,
            None,
            version.plan_key,
            version.number,
            effective_from=date.today(),
            impact_on_worker=True,
        )
        session.flush()
        row = session.scalars(select(ImpactResult)).one()
        row.state, row.message, row.attempts = state, "given up", 3
        session.commit()
        return row.id, row.subject_id


def test_the_list_covers_background_jobs_and_impacts(engine, redis):
    run_id = _add(engine, "2026-Q3", "failed", "the worker was lost")
    job_id = _background(engine, "statement_export")
    done_id = _background(engine, "statement_export", state="done")
    impact_id, request_id = _impact(engine)
    failed = run("jobs", "list", "--state", "failed")
    assert failed.exit_code == 0, failed.output
    assert _listed(failed.output, f"run:{run_id}")[:2] == ["2026-Q3", "failed"]
    assert _listed(failed.output, f"job:{job_id}")[:2] == ["statement_export", "failed"]
    impact = _listed(failed.output, f"impact:{impact_id}")
    assert impact[:4] == [f"change-request/{request_id}", "failed", "attempts", "3"]
    assert "given up" in failed.output and f"job:{done_id} " not in failed.output
    only = run("jobs", "list", "--kind", "job").output
    assert f"job:{done_id} " in only and "run:" not in only and "impact:" not in only
    assert "impact:" not in run("jobs", "list", "--period", "2026-Q3").output


def test_retrying_an_export_queues_it_again_as_its_requester(engine, redis):
    failed = _background(engine, "statement_export")
    done = run("jobs", "retry", f"job:{failed}")
    assert done.exit_code == 0, done.output
    with Session(engine) as session:
        old, new = session.scalars(select(Job).order_by(Job.id)).all()
    assert (new.kind, new.state, new.parameters) == ("statement_export", "queued", old.parameters)
    assert new.requested_by_id == old.requested_by_id and new.published_at is not None
    assert f"job job:{failed} (statement_export) retried as job:{new.id}" in done.output
    assert [(t["task"], t["argsrepr"]) for t in _queued_tasks(redis)] == [
        ("accord.background.run", f"({new.id},)")
    ]
    with Session(engine) as session:
        [record] = session.scalars(select(AuditRecord).where(AuditRecord.action == "job.retried"))
    assert record.payload == {"kind": "statement_export", "failed_job": failed, "job": new.id}


def test_a_failed_import_or_a_job_not_failed_is_not_retried(engine, redis):
    imported = _background(engine, "import")
    refused = run("jobs", "retry", f"job:{imported}")
    assert refused.exit_code == 2 and "send the import again" in refused.output
    queued = _background(engine, "statement_export", state="queued")
    assert run("jobs", "retry", f"job:{queued}").exit_code == 2
    assert run("jobs", "retry", "batch:3").exit_code == 2
    assert _queued_tasks(redis) == []


def test_retrying_an_impact_queues_a_new_computation_of_its_open_request(engine, redis):
    failed, request_id = _impact(engine)
    done = run("jobs", "retry", f"impact:{failed}")
    assert done.exit_code == 0, done.output
    with Session(engine) as session:
        old, new = session.scalars(select(ImpactResult).order_by(ImpactResult.id)).all()
        [record] = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "impact.retried")
        )
    assert (new.subject_id, new.state, new.requested_by_id) == (request_id, "queued", None)
    assert old.state == "failed"
    assert [(t["task"], t["argsrepr"]) for t in _queued_tasks(redis)] == [
        ("accord.impacts.compute", f"({new.id},)")
    ]
    assert record.payload["failed_impact"] == failed and record.payload["impact"] == new.id
    again = run("jobs", "retry", f"impact:{failed}")  # superseded by the new one
    assert again.exit_code == 2 and "superseded" in again.output
