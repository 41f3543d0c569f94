"""End to end with real parts: the web app under gunicorn (`accord serve`), Celery
workers (`accord worker`) and a real broker: a Redis server of the test's own, or the
embedded default's SQLite transport. No eager tasks here: runs are queued over HTTP,
built by a worker process, polled, and their statements compared with what `accord
evaluate` prints for the same data.

Also the faults: a worker's pool process SIGKILLed during a build (the task is given
back and built again, identically), and the broker stopped (503, nothing written; once
it is back, the same request is queued and built).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from contextlib import ExitStack
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.demo.generator import generate_demo_data
from app.demo.history import EXAMPLES
from app.demo.roster import PLANS
from governance.engine_input import database_json
from governance.imports.service import import_data
from models import PayoutRun, PayoutRunJob
from models.engine import make_engine
from tests.conftest import BACKENDS
from tests.support.seed import plans_and_admin
from tests.support.services import ACCORD, ROOT, TempRedis, WebServer, Worker, environment

pytestmark = pytest.mark.slow
PERIOD, END = "2026-Q3", date(2026, 9, 30)
RUNS = "/api/v1/payout-runs"


def _seed(engine) -> str:
    """The demo organisation (400 deals, the five example plans in force) and a comp
    admin's API token; returns the token."""
    with Session(engine) as session:
        data = generate_demo_data(deals=400)
        import_data(session, {k: v for k, v in data.items() if k != "exceptions"}, source="e2e")
        secret = plans_and_admin(session)
        session.commit()
    return secret


class Deployment:
    def __init__(
        self,
        url: str,
        broker: str,
        tmp: Path,
        pool: str = "solo",
        concurrency: int = 1,
        extra: dict | None = None,
    ) -> None:
        self.url, self.tmp = url, tmp
        self.engine = make_engine(url)
        self.token = _seed(self.engine)
        self.env = environment(url, broker, tmp / "instance", **(extra or {}))
        self.worker = Worker(self.env, tmp / "worker.log", pool=pool, concurrency=concurrency)
        self.web = WebServer(self.env, tmp / "web.log")

    def start_run(self) -> tuple[int, dict, dict]:
        return self.web.request("POST", RUNS, {"period": PERIOD}, token=self.token)

    def logs(self) -> str:
        return self.worker.output() + (self.tmp / "web.log").read_text(errors="replace")

    def close(self) -> None:
        self.web.stop()
        self.worker.stop()
        self.engine.dispose()


@pytest.fixture
def redis():
    server = TempRedis().start()
    yield server
    server.close()


@pytest.fixture
def deploy(redis, migrated_database, tmp_path):
    started: list[Deployment] = []

    with ExitStack() as stack:

        def make(backend: str, broker: str, pool: str = "solo") -> Deployment:
            url = stack.enter_context(migrated_database(backend))
            started.append(Deployment(url, broker, tmp_path, pool))
            return started[-1]

        yield make
        for deployment in started:
            deployment.close()


def _evaluate(engine, tmp: Path) -> dict:
    """`accord evaluate` (the real command) over the database's data for the period."""
    with Session(engine) as session:
        data = database_json(session, up_to=END)
    path = tmp / "data.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    policies = [arg for plan in sorted(PLANS) for arg in ("--policy", EXAMPLES / f"{plan}.yaml")]
    done = subprocess.run(
        [ACCORD, "evaluate", *map(str, policies), "--data", str(path), "--period", PERIOD],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def _statements(deployment: Deployment, run_id: int) -> dict:
    status, body, _ = deployment.web.request(
        "GET", f"/api/v1/statements?run={run_id}", token=deployment.token
    )
    assert status == 200, body
    return {
        (st["participant"], st["plan"]): (Decimal(st["payable"]), Decimal(st["held"]))
        for st in body["items"]
    }


def _check_against_evaluate(deployment: Deployment, run_id: int) -> None:
    expected = _evaluate(deployment.engine, deployment.tmp)
    want = {
        (st["participant"], st["plan"]): (Decimal(st["payable"]), Decimal(st["held"]))
        for st in expected["statements"]
    }
    got = _statements(deployment, run_id)
    assert len(want) > 20 and got == want
    assert sum(p for p, _h in got.values()) > 0


CASES = [
    pytest.param(b, k, id=f"{b}-{k}")
    for b, k in (("postgresql", "redis"), ("sqlite", "redis"), ("sqlite", "embedded"))
    if b in BACKENDS
]


@pytest.mark.parametrize(("backend", "broker"), CASES)
def test_a_run_queued_over_http_is_built_by_a_worker_as_accord_evaluate_computes(
    deploy, redis, tmp_path, backend, broker
):
    url = redis.url if broker == "redis" else f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    deployment = deploy(backend, url)
    status, job, headers = deployment.start_run()
    assert status == 202, job
    assert headers["Location"].endswith(f"/jobs/{job['id']}")
    assert job["state"] in ("queued", "building", "done")
    done = deployment.web.poll_job(job["id"], deployment.token)
    assert done["state"] == "done", (done, deployment.logs())
    assert done["worker"].startswith("celery@")
    assert done["progress_done"] == done["progress_total"] == done["counts"]["participant_count"]
    _check_against_evaluate(deployment, done["run_id"])
    with Session(deployment.engine) as check:
        row = check.get(PayoutRunJob, job["id"])
        assert (row.attempts, row.published_at is not None) == (1, True)


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not selected")
def test_a_worker_killed_mid_run_is_redelivered_and_builds_the_same_run(deploy, redis):
    """The job's lock is held by the test, so the build waits inside its transaction;
    the pool process building it is SIGKILLed there. Celery gives the task back
    (acks_late, reject on worker lost), a new pool process claims the job again and
    builds it: the run equals `accord evaluate` and a clean re-build of it."""
    deployment = deploy("postgresql", redis.url, pool="prefork")
    with deployment.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(8013, 1)"))  # the first job's id
        status, job, _ = deployment.start_run()
        assert (status, job["id"]) == (202, 1), job
        building = deployment.web.poll_job(1, deployment.token, until=("building",))
        assert building["state"] == "building", deployment.logs()
        _until_waiting_on_the_lock(deployment.engine)
        [child] = deployment.worker.pool_children()
        os.kill(child, signal.SIGKILL)
        holder.execute(text("SELECT pg_advisory_unlock(8013, 1)"))
        holder.commit()
    done = deployment.web.poll_job(1, deployment.token)
    assert done["state"] == "done", (done, deployment.logs())
    with Session(deployment.engine) as check:
        assert check.get(PayoutRunJob, 1).attempts == 2
        run = check.get(PayoutRun, done["run_id"])
        first = (run.input_data_hash, run.result_hash, run.line_count, run.version)
    _check_against_evaluate(deployment, done["run_id"])
    # A second run of the same inputs, built without a fault, is the same run.
    status, rerun, _ = deployment.start_run()
    assert status == 202
    rebuilt = deployment.web.poll_job(rerun["id"], deployment.token)
    assert rebuilt["counts"]["recomputed_count"] == 0
    with Session(deployment.engine) as check:
        run = check.get(PayoutRun, done["run_id"])
        assert (run.input_data_hash, run.result_hash, run.line_count) == first[:3]
        assert run.version == first[3]  # nothing changed: the same build


def _until_waiting_on_the_lock(engine) -> None:
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    with engine.connect() as conn:
        for _ in range(3000):
            if conn.execute(waiting).scalar():
                return
            conn.rollback()
            conn.execute(text("SELECT pg_sleep(0.02)"))
    raise AssertionError("the build never waited for the job's lock")


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_with_the_broker_down_a_start_is_503_and_nothing_is_written(deploy, redis, backend):
    deployment = deploy(backend, redis.url)
    redis.stop()
    status, body, _ = deployment.start_run()
    assert status == 503, body
    assert body["code"] == 503 and "nothing was written" in body["message"]
    with Session(deployment.engine) as check:
        assert check.scalars(select(PayoutRunJob)).all() == []
        assert check.scalars(select(PayoutRun)).all() == []
    redis.start()  # back on the same port: the worker reconnects, the period is free
    status, job, _ = deployment.start_run()
    assert status == 202, job
    done = deployment.web.poll_job(job["id"], deployment.token)
    assert done["state"] == "done", (done, deployment.logs())


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="SQLite not selected")
def test_the_embedded_worker_resumes_a_job_lost_with_the_last_one(deploy, tmp_path):
    """The embedded broker (SQLite file) does not give a lost worker's task back: a
    worker starting on it publishes every queued or building job again."""
    deployment = deploy("sqlite", f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}")
    deployment.worker.stop()
    with Session(deployment.engine) as session:
        # As the last worker left it when it was killed mid-build: claimed, no run.
        lost = PayoutRunJob(period=PERIOD, state="building", attempts=1, problems=[])
        session.add(lost)
        session.commit()
        job_id = lost.id
    deployment.worker = Worker(deployment.env, tmp_path / "worker-2.log")
    done = deployment.web.poll_job(job_id, deployment.token)
    assert done["state"] == "done", (done, deployment.logs())
    with Session(deployment.engine) as check:
        assert check.get(PayoutRunJob, job_id).attempts == 2
    _check_against_evaluate(deployment, done["run_id"])


def _until_blocked_on_a_row(engine, count: int) -> None:
    """Until `count` sessions wait on a row lock (the batches staging their result)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    for _ in range(600):
        with engine.connect() as conn:
            if conn.scalar(waiting) >= count:
                return
        time.sleep(0.1)
    raise AssertionError("no batch task came to wait on the job row")


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not selected")
def test_a_run_fans_out_over_two_worker_processes_and_a_killed_batch_is_retried(
    redis, migrated_database, tmp_path
):
    """Batches of 60 deals on a prefork worker of two processes. The test holds the job
    row's lock, so each batch task evaluates its batch and then waits to stage it; one
    of the two pool processes is SIGKILLed there. Its task is given back and evaluated
    again (attempt 2), staged once, and the finished run equals a single-process
    `start_run` of the same data and `accord evaluate`."""
    from governance.payouts.runs import start_run
    from models import PayoutRunJobBatch

    with migrated_database("postgresql") as url:
        deployment = Deployment(url, redis.url, tmp_path, pool="prefork", concurrency=2,
                                extra={"ACCORD_PAYOUT_DEALS_PER_BATCH": "60"})  # fmt: skip
        try:
            with Session(deployment.engine) as single:
                run = start_run(single, None, PERIOD)
                expected = (run.input_data_hash, run.result_hash, run.line_count)
                expected_lines = _line_contents(single, run.id)
                single.rollback()
            with deployment.engine.connect() as holder:
                status, job, _ = deployment.start_run()
                assert status == 202, job
                job_id = job["id"]
                _until_planned(deployment.engine, job_id)
                holder.execute(
                    text("SELECT id FROM payout_run_jobs WHERE id = :id FOR UPDATE"),
                    {"id": job_id},
                )
                _until_blocked_on_a_row(deployment.engine, 2)  # both processes at a stage
                children = deployment.worker.pool_children()
                assert len(children) == 2
                os.kill(children[0], signal.SIGKILL)
                holder.rollback()
            done = deployment.web.poll_job(job_id, deployment.token)
            assert done["state"] == "done", (done, deployment.logs())
            with Session(deployment.engine) as check:
                run = check.get(PayoutRun, done["run_id"])
                assert (run.input_data_hash, run.result_hash, run.line_count) == expected
                assert _line_contents(check, run.id) == expected_lines
                assert check.scalar(select(func.count()).select_from(PayoutRunJobBatch)) == 0
            # The killed process's batch was evaluated again and staged by its 2nd attempt.
            assert re.search(r"batch \d+, attempt 2: (staged|last)", deployment.worker.output())
            _check_against_evaluate(deployment, done["run_id"])
        finally:
            deployment.close()


def _until_planned(engine, job_id: int) -> None:
    for _ in range(600):
        with Session(engine) as session:
            job = session.get(PayoutRunJob, job_id)
            if job.plan is not None:
                assert job.plan["batches"] >= 4, job.plan
                return
        time.sleep(0.1)
    raise AssertionError("the job was not planned")


def _line_contents(session: Session, run_id: int) -> list[tuple]:
    from models import PayoutLine

    rows = session.execute(
        select(
            PayoutLine.participant_id, PayoutLine.plan_key, PayoutLine.position,
            PayoutLine.line_key, PayoutLine.amount, PayoutLine.status, PayoutLine.trace,
        )
        .where(PayoutLine.run_id == run_id)
        .order_by(PayoutLine.participant_id, PayoutLine.plan_key, PayoutLine.position)
    )  # fmt: skip
    return [tuple(r) for r in rows]
