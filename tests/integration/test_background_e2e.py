"""Large imports and statement exports end to end with real parts: gunicorn (`accord
serve`), a Celery worker (`accord worker`) and a real broker (a Redis server of the
test's own, or the embedded default's SQLite transport). Nothing runs eagerly: the import
is queued over HTTP (its body above ACCORD_IMPORT_ASYNC_BYTES), read from the database by
the worker, polled; a run is built from the imported data; the run's export is queued,
polled and downloaded, and equals the synchronous export. With Redis stopped, a large
import is 503 and nothing is written.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.generator import generate_demo_data
from models import Deal, Job, Participant
from models.engine import make_engine
from tests.conftest import BACKENDS
from tests.support.seed import plans_and_admin
from tests.support.services import TempRedis, WebServer, Worker, environment

pytestmark = pytest.mark.slow


def _seed(engine) -> str:
    """The example plans and an admin's token (no data: it is imported over HTTP)."""
    with Session(engine) as session:
        token = plans_and_admin(session)
        session.commit()
    return token


def _poll(web: WebServer, path: str, token: str, deadline: float = 300.0) -> dict:
    """GET `path` until its state is done or failed; its last body."""
    end = time.monotonic() + deadline
    while True:
        status, body, _ = web.request("GET", path, token=token)
        assert status == 200, body
        if body["state"] in ("done", "failed") or time.monotonic() > end:
            return body
        time.sleep(0.2)


CASES = [
    pytest.param(b, k, id=f"{b}-{k}")
    for b, k in (("postgresql", "redis"), ("sqlite", "embedded"))
    if b in BACKENDS
]


@pytest.mark.parametrize(("backend", "broker"), CASES)
def test_a_large_import_and_a_run_export_are_done_by_a_worker(
    migrated_database, tmp_path, backend, broker
):
    redis = TempRedis().start() if broker == "redis" else None
    url = redis.url if redis else f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    with migrated_database(backend) as database_url:
        engine = make_engine(database_url)
        token = _seed(engine)
        env = environment(
            database_url, url, tmp_path / "instance", ACCORD_IMPORT_ASYNC_BYTES="10000"
        )
        worker = Worker(env, tmp_path / "worker.log")
        web = WebServer(env, tmp_path / "web.log")
        try:
            _import_run_and_export(web, worker, engine, token)
            if redis is not None:
                _broker_down(web, engine, token, redis)
        finally:
            web.stop()
            worker.stop()
            engine.dispose()
            if redis is not None:
                redis.close()


def _import_run_and_export(web: WebServer, worker: Worker, engine, token: str) -> None:
    data = {k: v for k, v in generate_demo_data(deals=400).items() if k != "exceptions"}
    assert len(json.dumps(data)) > 10000  # above the threshold: queued
    status, job, headers = web.request("POST", "/api/v1/imports", data, token=token)
    assert status == 202, job
    assert headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    done = _poll(web, f"/api/v1/jobs/{job['id']}", token)
    assert done["state"] == "done", (done, worker.output())
    assert done["worker"].startswith("celery@") and done["attempts"] == 1
    assert done["result"]["counts"]["deals"] == {"created": 400, "updated": 0, "unchanged": 0}
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(Deal)) == 400
        row = check.get(Job, job["id"])
        assert row.input is None and row.published_at is not None

    status, run_job, _ = web.request("POST", "/api/v1/payout-runs", {"period": "2026-Q3"}, token)
    assert status == 202, run_job
    built = web.poll_job(run_job["id"], token)
    assert built["state"] == "done", (built, worker.output())
    run_id = built["run_id"]

    export = {"run": run_id, "format": "json"}
    status, job, _ = web.request("POST", "/api/v1/statements/exports", export, token=token)
    assert status == 202, job
    done = _poll(web, f"/api/v1/jobs/{job['id']}", token)
    assert done["state"] == "done", (done, worker.output())
    status, file, headers = web.request("GET", done["download_url"], token=token)
    assert status == 200
    assert f"statements-run-{run_id}.json" in headers["Content-Disposition"]
    status, sync, _ = web.request(
        "GET", f"/api/v1/statements/export?run={run_id}&format=json", token=token
    )
    assert status == 200 and file == sync
    assert len(file["statements"]) == built["counts"]["statement_count"] > 20


def _broker_down(web: WebServer, engine, token: str, redis: TempRedis) -> None:
    with Session(engine) as check:
        jobs_before = check.scalar(select(func.count()).select_from(Job))
    redis.stop()
    people = {"participants": [{"id": f"new-{n:04d}", "name": "x" * 40} for n in range(300)]}
    status, body, _ = web.request("POST", "/api/v1/imports", people, token=token)
    assert status == 503, body
    assert body["code"] == 503 and "nothing was written" in body["message"]
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(Job)) == jobs_before
        assert check.get(Participant, "new-0000") is None
