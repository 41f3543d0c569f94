"""Benchmark: a large import in the request versus queued as a background job (issue 13).

    .venv/bin/python bench/background_import.py [--deals 10000]

Generates the demo organisation with N deals (section-3 JSON), starts a throw-away
PostgreSQL server (two databases), a Redis server, gunicorn (`accord serve`) and one
Celery worker (`accord worker`), and POSTs the same body to each database: once with
`?background=false` (imported in the request: the client waits for all of it) and once
queued (`?background=true`: 202, then polled to done). Reports the body's size, how
long the client waited for its answer in each case, and the queued job's time to done
and its own duration on the worker (started to finished). Figures: docs/imports.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _seed(url: str) -> str:
    from sqlalchemy.orm import Session

    from governance.accounts import create_user, issue_token
    from models import schema
    from models.engine import make_engine

    schema.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        user = create_user(
            session, email="admin@example.test", name="Admin", password="x" * 16,
            roles=["comp_admin"],
        )  # fmt: skip
        _token, secret = issue_token(session, user, "bench")
        session.commit()
    engine.dispose()
    return secret


def _timed(web, body: dict, token: str, background: bool) -> tuple[float, int, dict]:
    path = f"/api/v1/imports?background={'true' if background else 'false'}"
    start = time.perf_counter()
    status, answer, _ = web.request("POST", path, body, token=token)
    return time.perf_counter() - start, status, answer


def _until_a_worker_is_alive(web, deadline: float = 120.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if web.request("GET", "/healthz")[1]["workers"]["alive"] >= 1:
            return
        time.sleep(0.5)
    raise RuntimeError("no worker came up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    args = parser.parse_args()
    from app.demo.generator import generate_demo_data
    from tests.support.postgres import TempPostgres
    from tests.support.services import TempRedis, WebServer, Worker, environment

    data = {k: v for k, v in generate_demo_data(deals=args.deals).items() if k != "exceptions"}
    size = len(json.dumps(data).encode())
    with tempfile.TemporaryDirectory(prefix="accord-bgimport-") as tmp:
        tmp_path = Path(tmp)
        server, redis = TempPostgres(), TempRedis().start()
        server.start()
        started = []
        try:
            sync_url, queued_url = (server.create_database(n) for n in ("sync", "queued"))
            figures = {}
            for name, url in (("sync", sync_url), ("queued", queued_url)):
                token = _seed(url)
                env = environment(url, redis.url, tmp_path / f"instance-{name}")
                web = WebServer(env, tmp_path / f"web-{name}.log")
                started.append(web)
                if name == "queued":
                    started.append(Worker(env, tmp_path / "worker.log"))
                    _until_a_worker_is_alive(web)
                # Warm up: the first request of a web process loads what imports use.
                for _ in range(4):
                    web.request("POST", "/api/v1/imports?dry_run=true", {}, token=token)
                waited, status, answer = _timed(web, data, token, background=name == "queued")
                assert status in (201, 202), answer
                figures[name] = waited
                if name == "queued":
                    begin = time.perf_counter() - waited
                    job = web.request("GET", f"/api/v1/jobs/{answer['id']}", token=token)[1]
                    while job["state"] not in ("done", "failed"):
                        time.sleep(0.1)
                        job = web.request("GET", f"/api/v1/jobs/{answer['id']}", token=token)[1]
                    assert job["state"] == "done", job
                    figures["to_done"] = time.perf_counter() - begin
                    started_at, finished_at = (
                        datetime.fromisoformat(job[k]) for k in ("started_at", "finished_at")
                    )
                    figures["on_worker"] = (finished_at - started_at).total_seconds()
        finally:
            for process in reversed(started):
                process.stop()
            server.stop()
            redis.close()
    print(f"deals: {args.deals:,}  body: {size / 1e6:.1f} MB  (PostgreSQL, Redis, gunicorn)")
    print(f"in the request (?background=false): client waited {figures['sync']:.2f} s (201)")
    print(f"queued (?background=true):          client waited {figures['queued']:.2f} s (202)")
    print(f"  queued to done (polled): {figures['to_done']:.2f} s; "
          f"on the worker: {figures['on_worker']:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
