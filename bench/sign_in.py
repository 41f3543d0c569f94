"""Benchmark: how long the login form takes to refuse a wrong password, per kind of e-mail.

    .venv/bin/python bench/sign_in.py [--rounds 30] [--port 5620]

Serves the app (SQLite under a temporary directory, migrated, limits raised so that the
bench is not throttled) on 127.0.0.1:PORT and times POST /login over HTTP, like a
client would: a wrong password for an existing e-mail, an unknown e-mail, a deactivated
account. Issue 12, item 5: the unknown e-mail used to answer in ~6 ms against ~112 ms.
Then, with the default limits, how many wrong passwords an account gets before 429.

The figures: docs/security.md, "Sign-in".
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 1"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def serve(url: str, port: int, overrides: dict):
    from werkzeug.serving import make_server

    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, {"DATABASE_URL": url, **overrides})
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post_login(base: str, email: str, password: str) -> tuple[int, float]:
    """(status, seconds the POST took), with a fresh cookie jar and CSRF token."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    token = TOKEN.search(opener.open(f"{base}/login").read().decode()).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    started = time.perf_counter()
    try:
        status = opener.open(f"{base}/login", data=body.encode()).status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--port", type=int, default=5620)
    args = parser.parse_args()

    from app.database import unit_of_work
    from governance.accounts import create_user
    from models import schema

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/accord.db"
        schema.upgrade(url)
        raised = {
            "SIGNIN_LIMIT_PER_ACCOUNT": "100000/minute",
            "SIGNIN_LIMIT_PER_ADDRESS": "100000/minute",
        }
        server = serve(url, args.port, raised)
        with server.app.app_context(), unit_of_work() as session:
            for email, active in (("known@example.test", True), ("gone@example.test", False)):
                user = create_user(
                    session, email=email, name=email, password=PASSWORD, roles=["rep"]
                )
                user.is_active = active
        base = f"http://127.0.0.1:{args.port}"
        cases = {
            "existing e-mail, wrong password": "known@example.test",
            "unknown e-mail": "nobody@example.test",
            "deactivated account": "gone@example.test",
        }
        post_login(base, "warm@example.test", "warm up")
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, email in cases.items():  # interleaved: drifts hit every case alike
                status, seconds = post_login(base, email, "wrong password!")
                assert status == 401, status
                times[name].append(seconds * 1000)
        for name, ms in times.items():
            print(
                f"{name:34} median {statistics.median(ms):6.1f} ms  "
                f"p90 {sorted(ms)[int(len(ms) * 0.9) - 1]:6.1f} ms  (n={len(ms)})"
            )
        server.shutdown()

        server = serve(url, args.port + 1, {})
        base = f"http://127.0.0.1:{args.port + 1}"
        statuses = [post_login(base, "known@example.test", "wrong password!")[0] for _ in range(50)]
        right = post_login(base, "known@example.test", PASSWORD)[0]
        print(
            f"default limits, 50 wrong passwords: {statuses.count(401)} x 401, "
            f"{statuses.count(429)} x 429; then the right one: {right}"
        )
        server.shutdown()


if __name__ == "__main__":
    main()
