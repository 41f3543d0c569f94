"""Celery, bound to the Flask app: long work runs on workers, its state in the database.

    init_app(app)                   # create_app does it: app.extensions["accord.celery"]
    publish(name, *args, **kwargs)  # queue a task; BrokerUnavailable when it cannot be
    celery -A app.tasks.worker worker --pool=solo   # a worker (app/tasks/worker.py)

One Celery app per Flask app, configured from its config (`BROKER_URL`, ...). A task
runs inside the Flask app's context, so it reads the same configuration and database as
the web process; it writes its outcome to the database (results are not kept in Celery).
Reliability settings, and why: docs/deployment.md, "Workers".
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app
from kombu.exceptions import KombuError, OperationalError

from app.tasks import embedded_broker

EXTENSION = "accord.celery"
log = logging.getLogger(__name__)

# Transports that give an unacknowledged task back when its worker is lost.
REDELIVERING = ("redis", "rediss", "amqp", "amqps", "pyamqp")


class BrokerUnavailable(Exception):
    """The broker did not accept the task (it is down or unreachable)."""


def init_app(app: Flask) -> Celery:
    celery = make_celery(app)
    app.extensions[EXTENSION] = celery
    return celery


def make_celery(app: Flask) -> Celery:
    """A Celery app whose tasks run in `app`'s context, configured from `app.config`."""
    from app.tasks import background, disputes, impacts, notifications, payout_runs

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    config = app.config
    embedded_broker.register()
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=config["BROKER_URL"],
        # Acknowledge after the task, not before: a worker lost mid-task (killed, out of
        # memory, its machine gone) leaves the task to be delivered again; tasks are
        # idempotent (app/tasks/payout_runs.py).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long task does not hold others it fetched
        broker_transport_options=_transport_options(config),
        task_ignore_result=True,  # outcomes are in the database
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        redis_socket_connect_timeout=3,
        redis_socket_timeout=10,
        task_always_eager=config.get("TASKS_EAGER", False),
        worker_hijack_root_logger=False,
        beat_schedule={
            "republish-stranded-jobs": {"task": "accord.jobs.sweep", "schedule": 60.0},
            "republish-stranded-background-jobs": {
                "task": "accord.background.sweep",
                "schedule": 60.0,
            },
            "republish-stranded-impacts": {"task": "accord.impacts.sweep", "schedule": 60.0},
            "expire-job-files": background.schedule(),
            "expire-import-uploads": background.upload_schedule(),
            "compact-change-journal": background.journal_schedule(),
            "escalate-overdue-disputes": disputes.schedule(config["DISPUTE_ESCALATION_HOUR"]),
            "send-notifications": notifications.schedule(config["NOTIFY_SWEEP_SECONDS"]),
        },
    )
    payout_runs.register(celery)
    background.register(celery)
    disputes.register(celery)
    impacts.register(celery)
    notifications.register(celery)
    return celery


def _transport_options(config) -> dict:
    """Redis: a delivered task not acknowledged within this many seconds is given to
    another worker; it must exceed the longest task. (The SQLite transport passes its
    options to create_engine and has no such timeout.)"""
    if config["BROKER_URL"].split("://", 1)[0] in ("redis", "rediss"):
        return {"visibility_timeout": config["BROKER_VISIBILITY_TIMEOUT"]}
    return {}


def celery_app() -> Celery:
    return current_app.extensions[EXTENSION]


def redelivers(celery: Celery) -> bool:
    """Whether the broker gives a lost worker's task to another (Redis does; the embedded
    SQLite transport does not: its worker re-queues active jobs when it starts)."""
    return celery.conf.broker_url.split("://", 1)[0] in REDELIVERING


def publish(name: str, *args: Any, **kwargs: Any) -> None:
    """Queue task `name`; BrokerUnavailable when the broker does not take it (after two
    quick retries: a request must not hang on a dead broker)."""
    celery = celery_app()
    task = celery.tasks[name]
    try:
        task.apply_async(
            args,
            kwargs,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except (OperationalError, KombuError, OSError) as exc:
        log.warning("task %s not queued: the broker is unavailable (%s)", name, exc)
        raise BrokerUnavailable(str(exc)) from exc
