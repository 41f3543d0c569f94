"""`GET /healthz`: can this web process reach its database and broker, and are workers up?

    {"status": "ok", "database": "ok", "broker": "ok",
     "workers": {"status": "ok", "alive": 2}}

503 (`status: "down"`) when the database or the broker is unreachable: this process
cannot serve or queue work, so a load balancer should send traffic elsewhere. No
worker heard from recently is `status: "degraded"` with 200: pages and the API still
answer and queued jobs wait (the workers' own supervisor restarts them). Each check has a
short timeout (broker: 1 s), and workers are counted from heartbeats they write
(app/tasks/heartbeat.py), never by a broadcast that waits: the check stays fast.
Worker names are not shown (the endpoint needs no authentication).
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, current_app, jsonify
from kombu import Connection
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.database import database
from app.tasks import heartbeat

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
BROKER_TIMEOUT = 1.0  # seconds


@bp.get("/healthz")
def healthz():
    body: dict = {"database": "ok", "broker": "ok"}
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable: %s", exc)
        body["database"] = "unreachable"
        body["reason"] = _reason(exc)
    url = current_app.config["BROKER_URL"]
    try:
        _ping_broker(url)
    except Exception as exc:  # any failure to reach it is "unreachable", never a 500
        log.warning("health check: broker unreachable: %s", exc)
        body["broker"] = "unreachable"
        body.setdefault("reason", type(exc).__name__)
    body["workers"] = _workers(url) if body["broker"] == "ok" else {"status": "unknown"}
    if "reason" in body:
        body["status"] = "down"
        return jsonify(body), 503
    body["status"] = "ok" if body["workers"]["status"] in ("ok", "eager") else "degraded"
    return jsonify(body)


def _reason(exc: SQLAlchemyError) -> str:
    return type(exc.orig if getattr(exc, "orig", None) else exc).__name__


def _ping_broker(url: str) -> None:
    if heartbeat.uses_redis(url):
        with heartbeat.redis_client(url) as client:
            client.ping()
        return
    with Connection(url, connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)


def _workers(url: str) -> dict:
    if current_app.config.get("TASKS_EAGER"):
        return {"status": "eager", "alive": 0}  # tasks run in the request (tests only)
    try:
        count = len(heartbeat.alive(url))
    except (OSError, redis.RedisError) as exc:
        log.warning("health check: worker heartbeats unreadable: %s", exc)
        return {"status": "unknown"}
    return {"status": "ok" if count else "none", "alive": count}
