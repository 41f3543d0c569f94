"""The background worker of API payout runs: one thread per process, jobs in order.

`submit(app, job_id)` hands a committed, queued job to a small module-level
ThreadPoolExecutor (created on first use; one worker thread, so a process builds one
run at a time and later jobs wait queued). The thread uses sessions of its own from the
app's sessionmaker, never the request's session, and needs no app context
(`governance.payout_jobs.execute_job` takes the sessionmaker).

With the config key `PAYOUT_JOBS_INLINE` (default: on when TESTING) the job runs in the
request itself, after the job was committed: deterministic tests, and the only option
when the app's sessions are bound to one test connection that threads must not share.
`wait_for(job_id, timeout)` waits for a submitted job's future (tests, scripts).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask

from app import jobs
from app.database import database

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_futures: dict[int, Future] = {}


def inline(app: Flask) -> bool:
    return bool(app.config.get("PAYOUT_JOBS_INLINE", app.config.get("TESTING", False)))


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-run")
        return _executor


def submit(app: Flask, job_id: int) -> None:
    """Run the (committed, queued) job: now when inline, else on the worker thread."""
    sessions = database().sessionmaker
    if inline(app):
        jobs.execute_job(sessions, job_id)
        return
    future = _pool().submit(jobs.execute_job, sessions, job_id)
    with _lock:
        _futures[job_id] = future
    future.add_done_callback(lambda _f: _drop(job_id))


def _drop(job_id: int) -> None:
    with _lock:
        _futures.pop(job_id, None)


def wait_for(job_id: int, timeout: float = 60.0) -> str | None:
    """Wait until this process's worker has finished the job; its final state, or None
    when the job is not (or no longer) pending here."""
    with _lock:
        future = _futures.get(job_id)
    if future is None:
        return None
    return future.result(timeout=timeout)
