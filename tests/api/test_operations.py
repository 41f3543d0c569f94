"""/metrics, /healthz's broker and workers, JSON logs and request ids, in the test client
on both databases. Real gunicorn workers, Redis and Celery workers:
tests/integration/test_operations_e2e.py."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import TestConfig
from governance.payouts.runs import start_run
from models import PayoutRunJob
from models.base import utcnow
from tests.integration.payout_support import setup_org


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _job(db, period: str, state: str, seconds: float | None = None, run_id=None) -> PayoutRunJob:
    now = utcnow()
    job = PayoutRunJob(period=period, state=state, problems=[], run_id=run_id)
    if seconds is not None:
        job.started_at, job.finished_at = now - timedelta(seconds=seconds), now
        job.message = "boom" if state == "failed" else None
    db.add(job)
    db.flush()
    return job


def test_metrics_count_jobs_runs_and_requests(client, db):
    setup_org(db)
    run = start_run(db, None, "2026-Q3")
    _job(db, "2026-Q3", "done", 40, run_id=run.id)
    _job(db, "2026-Q2", "failed", 3)
    _job(db, "2026-Q1", "queued")
    _job(db, "2025-Q4", "queued")
    db.commit()
    for _ in range(3):
        assert client.get("/api/v1/me").status_code == 401

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    got = samples(response.get_data(as_text=True))
    assert got[("accord_job_queue_depth", ())] == 2
    assert got[("accord_payout_run_jobs", (("state", "failed"),))] == 1
    assert got[("accord_payout_run_jobs", (("state", "building"),))] == 0
    assert got[("accord_payout_runs", (("state", "draft"),))] == 1
    assert got[("accord_payout_runs", (("state", "locked"),))] == 0
    done = (("outcome", "done"),)
    assert got[("accord_payout_run_job_duration_seconds_count", done)] == 1
    assert got[("accord_payout_run_job_duration_seconds_sum", done)] == pytest.approx(40)
    assert got[("accord_payout_run_job_duration_seconds_bucket", (("le", "30.0"), *done))] == 0
    assert got[("accord_payout_run_job_duration_seconds_bucket", (("le", "60.0"), *done))] == 1
    failed = (("le", "5.0"), ("outcome", "failed"))
    assert got[("accord_payout_run_job_duration_seconds_bucket", failed)] == 1
    # Request latency by the route's rule (not the path), method and status; the
    # histogram is the process's (shared by every app in it): at least these three.
    me = (("endpoint", "/api/v1/me"), ("method", "GET"), ("status", "401"))
    assert got[("accord_http_request_duration_seconds_count", me)] >= 3


def test_metrics_need_the_token_when_one_is_configured(app, client):
    app.config["METRICS_TOKEN"] = "s3cret-metrics"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert right.status_code == 200 and b"accord_job_queue_depth" in right.data


def test_metrics_are_off_in_production_without_a_token(app, client):
    app.config["ENV_NAME"] = "production"
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "t"
    assert client.get("/metrics", headers={"Authorization": "Bearer t"}).status_code == 200


def test_healthz_with_an_unreachable_broker_is_503(database_url, connection):
    from app import create_app
    from app.database import database

    # A Redis URL on a port nothing listens on (1 s timeouts: the check stays quick).
    flask_app = create_app(
        TestConfig,
        {
            "DATABASE_URL": database_url,
            "BROKER_URL": "redis://127.0.0.1:9/0",
            "TASKS_EAGER": False,
        },
    )
    with flask_app.app_context():
        database().bind_to(connection)
    response = flask_app.test_client().get("/healthz")
    with flask_app.app_context():
        database().engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["database"], body["broker"]) == ("down", "ok", "unreachable")
    assert body["workers"] == {"status": "unknown"}
    assert body["reason"]


def test_json_logs_carry_the_request_id_and_an_access_line(app, client, capsys):
    from app import logs

    app.config["LOG_FORMAT"] = "json"
    logs.init_app(app)  # as create_app does with ACCORD_LOG_FORMAT=json
    try:
        response = client.get("/api/v1/me", headers={"X-Request-ID": "req-42"})
        assert response.headers["X-Request-ID"] == "req-42"
        generated = client.get("/healthz", headers={"X-Request-ID": "bad id"})
        assert generated.headers["X-Request-ID"] != "bad id"
        assert len(generated.headers["X-Request-ID"]) == 32
    finally:
        logs.configure("INFO", "text")
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    access = [x for x in lines if x["logger"] == "accord.access" and x["path"] == "/api/v1/me"]
    assert access, lines
    line = access[0]
    assert line["request_id"] == "req-42"
    assert (line["method"], line["status"], line["level"]) == ("GET", 401, "INFO")
    assert line["message"] == "GET /api/v1/me 401"
    assert line["time"].endswith("+00:00") and line["duration_ms"] >= 0


def test_text_logs_stay_text(app, capsys):
    from app import logs

    logs.configure("INFO", app.config["LOG_FORMAT"])  # the handler writes to capsys' stderr
    logging.getLogger("accord.test").warning("plain words")
    err = capsys.readouterr().err
    assert "WARNING accord.test: plain words" in err and "{" not in err


def test_healthz_counts_recent_heartbeats_on_a_real_redis(database_url, connection):
    from app import create_app
    from app.database import database
    from app.tasks import heartbeat
    from tests.support.services import TempRedis

    redis = TempRedis().start()
    try:
        flask_app = create_app(
            TestConfig,
            {"DATABASE_URL": database_url, "BROKER_URL": redis.url, "TASKS_EAGER": False},
        )
        with flask_app.app_context():
            database().bind_to(connection)
        client = flask_app.test_client()
        none = client.get("/healthz")
        assert none.status_code == 200
        assert none.get_json()["status"] == "degraded"
        heartbeat.beat(redis.url, "celery@one")
        heartbeat.beat(redis.url, "celery@gone", now=time.time() - heartbeat.STALE - 1)
        body = client.get("/healthz").get_json()
        assert body == {
            "status": "ok",
            "database": "ok",
            "broker": "ok",
            "workers": {"status": "ok", "alive": 1},
        }
        with flask_app.app_context():
            database().engine.dispose()
    finally:
        redis.close()
