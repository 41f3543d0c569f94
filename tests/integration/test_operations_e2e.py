"""Operations with real processes, on both databases: `accord serve` (gunicorn, 2
workers, JSON logs, a metrics token), a real Redis and `accord worker`. /healthz counts
the worker's heartbeats and answers 503 when Redis is stopped; /metrics adds up request
latencies across gunicorn workers (PROMETHEUS_MULTIPROC_DIR); every log line is JSON."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.services import TempRedis, WebServer, Worker, environment

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def stack(backend, migrated_database, tmp_path):
    redis = TempRedis().start()
    with migrated_database(backend) as url:
        env = environment(
            url, redis.url, tmp_path / "instance",
            ACCORD_LOG_FORMAT="json", ACCORD_METRICS_TOKEN=TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        )  # fmt: skip
        web = WebServer(env, tmp_path / "web.log", workers=2)
        try:
            yield env, web, redis, tmp_path
        finally:
            web.stop()
            redis.close()


def _health(web: WebServer) -> tuple[int, dict]:
    status, body, _ = web.request("GET", "/healthz")
    return status, body


def _until(check, deadline: float = 60.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not reached in time")


def _metrics(web: WebServer, token: str | None = TOKEN) -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{web.port}/metrics")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_health_metrics_and_logs_of_a_running_deployment(stack):
    env, web, redis, tmp = stack
    status, body = _health(web)
    assert (status, body["status"]) == (200, "degraded")
    assert body["workers"] == {"status": "none", "alive": 0}

    worker = Worker(env, tmp / "worker.log")
    try:
        body = _until(lambda: (b := _health(web)[1])["workers"]["alive"] == 1 and b)
        assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")
    finally:
        worker.stop()
    # A worker stopped cleanly withdraws its heartbeat at once.
    assert _health(web)[1]["workers"] == {"status": "none", "alive": 0}, worker.output()

    for _ in range(20):
        assert web.request("GET", "/api/v1/me")[0] == 401
    assert _metrics(web, token=None)[0] == 401
    status, text = _metrics(web)
    assert status == 200
    me = {"endpoint": "/api/v1/me", "method": "GET", "status": "401"}
    counts = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "accord_http_request_duration_seconds_count" and s.labels == me
    ]
    assert counts == [20]  # both gunicorn workers' requests, added up
    assert "accord_job_queue_depth 0.0" in text

    redis.stop()
    status, body = _health(web)
    assert (status, body["status"], body["broker"]) == (503, "down", "unreachable")

    lines = [x for x in (tmp / "web.log").read_text().splitlines() if x.strip()]
    parsed = [json.loads(x) for x in lines]  # every line is one JSON object
    access = [x for x in parsed if x["logger"] == "accord.access" and x["path"] == "/api/v1/me"]
    assert len(access) == 20
    assert all(x["status"] == 401 and len(x["request_id"]) == 32 for x in access)
    assert any(x["logger"] == "gunicorn.error" for x in parsed)  # gunicorn's own, as JSON
