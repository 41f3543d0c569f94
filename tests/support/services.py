"""Real processes for the end-to-end tests: a throw-away Redis server, Celery workers and
the web app under gunicorn, each started as production starts it (`accord worker`,
`accord serve`) on a free loopback port, and stopped (by pid) at the end.

`scripts/install-test-services.sh` installs redis-server (apt-get); as with PostgreSQL
(tests/support/postgres.py), the tests start servers of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACCORD = str(Path(sys.executable).with_name("accord"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, what: str, deadline: float = 60.0) -> None:
    """Poll `check()` until it holds (a process coming up), or fail naming `what`."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {deadline:.0f} s")


def _stop(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class TempRedis:
    """redis-server on a free port, no persistence; `stop()` and `start()` again on the
    same port (the broker going away and coming back)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is not installed: run ./scripts/install-test-services.sh"
            )
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="accord-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> TempRedis:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(self._answers, f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def environment(database_url: str, broker_url: str, instance: Path, **extra: str) -> dict:
    """The environment of a deployment's processes (docs/deployment.md)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        ACCORD_BROKER_URL=broker_url,
        ACCORD_ENV="development",
        ACCORD_INSTANCE_DIR=str(instance),
        LOG_LEVEL="INFO",
        **extra,
    )
    return env


class Worker:
    """`accord worker --pool POOL -c N` with its log in a file (read it on failure)."""

    def __init__(self, env: dict, log: Path, pool: str = "solo", concurrency: int = 1) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [ACCORD, "worker", "--pool", pool, "-c", str(concurrency)],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def pool_children(self) -> list[int]:
        """The prefork pool's processes (the worker's children)."""
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        _stop(self.process)


class WebServer:
    """`accord serve` (gunicorn with gunicorn.conf.py) on a free port."""

    def __init__(self, env: dict, log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [ACCORD, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_for(lambda: self._healthy(), f"gunicorn on port {self.port}")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.log.read_text(errors='replace')}")
        try:
            return self.request("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def request(self, method: str, path: str, body=None, token: str | None = None):
        """(status, JSON body, headers) of one HTTP request to the server."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), error.headers

    def poll_job(self, job_id: int, token: str, *, until=("done", "failed"), deadline=300.0):
        """Read the job until its state is one of `until`; its last status."""
        end = time.monotonic() + deadline
        while True:
            status, job, _ = self.request("GET", f"/api/v1/payout-runs/jobs/{job_id}", token=token)
            assert status == 200, job
            if job["state"] in until or time.monotonic() > end:
                return job
            time.sleep(0.2)

    def stop(self) -> None:
        _stop(self.process)
