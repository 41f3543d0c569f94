"""The worker's entry point: `celery -A app.tasks.worker worker` (`accord worker` too).

Builds the Flask app from the environment (DATABASE_URL, ACCORD_BROKER_URL, ...) exactly
as the web process does, and exposes its Celery app as `celery`. Importing
`app.tasks.heartbeat` makes each worker beat (what `/healthz` counts).
"""

import gc

from app import create_app
from app.tasks import EXTENSION, heartbeat  # noqa: F401  (connects the heartbeat signals)

flask_app = create_app()
celery = flask_app.extensions[EXTENSION]
# What start-up made (modules, the app) lives as long as the worker: frozen out of the
# cyclic collector, whose full collections then walk a task's objects only (prefork
# children inherit it). A 20,000-deal payout run: 0.27-0.38 s of full collections in
# its 3.9 s of CPU before, 0.10 s after (docs/deployment.md, "Workers").
gc.freeze()
