"""Worker heartbeats: each worker process says "alive" every few seconds; `/healthz`
counts the recent ones. Chosen over Celery's `inspect ping`, which broadcasts and then
waits out its whole timeout on every call (a slow, flaky health check).

    start(celery, hostname)   # worker_ready: a daemon thread beats every BEAT seconds
    alive(broker_url)         # the health check: names of workers seen within STALE

Where the beats go: on Redis, a sorted set `accord:workers` (member = worker name, score
= time), so workers on any machine are seen; on other brokers (the embedded SQLite file,
one machine by design) a file per worker under `instance/workers/`, its mtime the beat.
A beat says the worker process is up and reaches its broker, not that it is idle: a
long task's progress is the job row's.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import redis
from celery.signals import worker_ready, worker_shutdown

from config import INSTANCE_DIR

log = logging.getLogger(__name__)

KEY = "accord:workers"
BEAT = 10.0  # seconds between beats
STALE = 30.0  # a worker not heard from for this long is not counted
REDIS_SCHEMES = ("redis", "rediss")
_stop = threading.Event()


def redis_client(url: str) -> redis.Redis:
    """A client with short timeouts: a dead broker must not hang a beat or a check."""
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def uses_redis(url: str) -> bool:
    return url.split("://", 1)[0] in REDIS_SCHEMES


def _files() -> Path:
    return INSTANCE_DIR / "workers"


def beat(url: str, hostname: str, now: float | None = None) -> None:
    """Record one beat of `hostname` (and forget workers gone for long)."""
    now = time.time() if now is None else now
    if uses_redis(url):
        with redis_client(url) as client, client.pipeline() as pipe:
            pipe.zadd(KEY, {hostname: now})
            pipe.zremrangebyscore(KEY, "-inf", now - 10 * STALE)
            pipe.execute()
        return
    folder = _files()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hostname).touch()


def forget(url: str, hostname: str) -> None:
    """A worker shutting down cleanly leaves the count at once."""
    if uses_redis(url):
        with redis_client(url) as client:
            client.zrem(KEY, hostname)
    else:
        (_files() / hostname).unlink(missing_ok=True)


def alive(url: str, now: float | None = None) -> list[str]:
    """Workers heard from within STALE seconds (OSError/redis errors: the caller's)."""
    now = time.time() if now is None else now
    if uses_redis(url):
        with redis_client(url) as client:
            names = client.zrangebyscore(KEY, now - STALE, "+inf")
        return sorted(n.decode() for n in names)
    folder = _files()
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if now - p.stat().st_mtime <= STALE)


def _loop(url: str, hostname: str) -> None:
    while not _stop.is_set():
        try:
            beat(url, hostname)
        except (OSError, redis.RedisError) as exc:  # the broker is away: beat again later
            log.warning("worker heartbeat not recorded: %s", exc)
        _stop.wait(BEAT)


@worker_ready.connect
def _on_ready(sender=None, **_kwargs) -> None:
    url, hostname = sender.app.conf.broker_url, sender.hostname
    _stop.clear()
    threading.Thread(target=_loop, args=(url, hostname), name="heartbeat", daemon=True).start()


@worker_shutdown.connect
def _on_shutdown(sender=None, **_kwargs) -> None:
    _stop.set()
    try:
        forget(sender.app.conf.broker_url, sender.hostname)
    except (OSError, redis.RedisError) as exc:
        log.warning("worker heartbeat not withdrawn: %s", exc)
