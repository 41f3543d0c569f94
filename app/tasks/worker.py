"""The worker's entry point: `celery -A app.tasks.worker worker` (`accord worker` too).

Builds the Flask app from the environment (DATABASE_URL, ACCORD_BROKER_URL, ...) exactly
as the web process does, and exposes its Celery app as `celery`. Importing
`app.tasks.heartbeat` makes each worker beat (what `/healthz` counts).
"""

from app import create_app
from app.tasks import EXTENSION, heartbeat  # noqa: F401  (connects the heartbeat signals)

flask_app = create_app()
celery = flask_app.extensions[EXTENSION]
