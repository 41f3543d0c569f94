"""`GET /metrics`: Prometheus text format (prometheus-client).

    accord_http_request_duration_seconds{endpoint, method, status}  histogram, per request
    accord_payout_run_jobs{state}                jobs by state (database, at scrape time)
    accord_job_queue_depth                       queued jobs (database, at scrape time)
    accord_payout_run_job_duration_seconds{outcome}  finished jobs (database, at scrape)
    accord_payout_runs{state}                    runs by state (database, at scrape time)
    accord_background_jobs{kind, state}          imports and exports queued as jobs
                                                 (app/background/; database, at scrape)

Request latency is counted in each web process; under gunicorn, PROMETHEUS_MULTIPROC_DIR
(gunicorn.conf.py sets one up) makes every worker write it to shared files that a
scrape adds up, whichever worker answers. Job and run figures are read from the database
when scraped: the same from every process, across restarts, and whichever worker ran the
job. Who may read it (ACCORD_METRICS_TOKEN): docs/security.md, "Metrics".
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound, Unauthorized

from app.database import database
from models import Job, PayoutRun, PayoutRunJob
from models.jobs import JOB_STATES as BACKGROUND_STATES
from models.payout_jobs import JOB_STATES
from models.payouts import STORED_STATES

bp = Blueprint("metrics", __name__)

# The process's own metrics; in multiprocess mode their values go to shared files.
REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "accord_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the route's rule), method and status.",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
)
# Job durations: seconds from claimed by a worker to done or failed.
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)
    app.register_blueprint(bp)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        # The rule, not the path: one series per route, not per id (bounded cardinality).
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        REQUEST_SECONDS.labels(rule, request.method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


@bp.get("/metrics")
def metrics() -> Response:
    _authorize()
    parts = [generate_latest(_process_registry()), generate_latest(_database_registry())]
    return Response(b"".join(parts), mimetype=CONTENT_TYPE_LATEST.split(";")[0])


def _authorize() -> None:
    """A configured token is required; without one, /metrics is off in production."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        if current_app.config["ENV_NAME"] == "production":
            raise NotFound()
        return
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("/metrics needs the metrics token (Authorization: Bearer ...).")


def _process_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    return merged


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return registry


class DatabaseCollector:
    """Jobs, queue depth, job durations and runs by state, read at scrape time."""

    def collect(self):
        with database().sessionmaker() as session:
            jobs = dict.fromkeys(JOB_STATES, 0)
            jobs.update(
                session.execute(
                    select(PayoutRunJob.state, func.count()).group_by(PayoutRunJob.state)
                ).all()
            )
            runs = dict.fromkeys(STORED_STATES, 0)
            runs.update(
                session.execute(
                    select(PayoutRun.state, func.count()).group_by(PayoutRun.state)
                ).all()
            )
            background = session.execute(
                select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
            ).all()
            finished = session.execute(
                select(PayoutRunJob.state, PayoutRunJob.started_at, PayoutRunJob.finished_at)
                .where(PayoutRunJob.state.in_(("done", "failed")))
                .where(PayoutRunJob.started_at.is_not(None), PayoutRunJob.finished_at.is_not(None))
            ).all()
        by_state = GaugeMetricFamily(
            "accord_payout_run_jobs", "Payout run jobs by state.", labels=["state"]
        )
        for state, count in jobs.items():
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily(
            "accord_job_queue_depth",
            "Jobs queued and not yet claimed by a worker.",
            value=jobs["queued"],
        )
        yield _durations(finished)
        by_run = GaugeMetricFamily("accord_payout_runs", "Payout runs by state.", labels=["state"])
        for state, count in runs.items():
            by_run.add_metric([state], count)
        yield by_run
        yield _background(background)


def _background(rows) -> GaugeMetricFamily:
    """Background jobs by kind and state (every state of a kind seen, 0 when none)."""
    family = GaugeMetricFamily(
        "accord_background_jobs",
        "Background jobs (large imports, statement exports) by kind and state.",
        labels=["kind", "state"],
    )
    counts = {(kind, state): n for kind, state, n in rows}
    for kind in sorted({kind for kind, _state in counts}):
        for state in BACKGROUND_STATES:
            family.add_metric([kind, state], counts.get((kind, state), 0))
    return family


def _durations(rows) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "accord_payout_run_job_duration_seconds",
        "Finished payout run jobs: seconds from claimed to done or failed, by outcome.",
        labels=["outcome"],
    )
    for outcome in ("done", "failed"):
        seconds = [
            max((end - start).total_seconds(), 0.0)
            for state, start, end in rows
            if state == outcome
        ]
        buckets = [(str(float(b)), sum(s <= b for s in seconds)) for b in JOB_BUCKETS]
        buckets.append(("+Inf", len(seconds)))
        family.add_metric([outcome], buckets, sum(seconds))
    return family
