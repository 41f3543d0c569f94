"""gunicorn's settings for `accord serve` (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be overridden from the environment (ACCORD_WEB_*) or on the command
line. Sizing and why: docs/deployment.md, "The web process".
"""

import multiprocessing
import os

_env = os.environ.get

bind = _env("ACCORD_WEB_BIND", "0.0.0.0:8000")
# Sync workers: requests are short (long work is the Celery workers'); 2 per core + 1.
workers = int(_env("ACCORD_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
# A request that runs longer than this is killed and logged (a synchronous `"wait": true`
# payout run of a large period needs more: use the default asynchronous job instead).
timeout = int(_env("ACCORD_WEB_TIMEOUT", "120"))
graceful_timeout = int(_env("ACCORD_WEB_GRACEFUL_TIMEOUT", "30"))  # on SIGTERM / HUP
keepalive = 5
# Recycle workers now and then (bounded memory growth); jitter keeps them apart.
max_requests = int(_env("ACCORD_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = _env("ACCORD_WEB_ACCESS_LOG", "-")  # stdout
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
# Graceful reload: `kill -HUP <master>` starts new workers with new code and stops the old
# ones after their requests; preload off so that a reload re-imports the app.
preload_app = False
forwarded_allow_ips = _env("ACCORD_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")
