"""gunicorn's settings for `accord serve` (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be overridden from the environment (ACCORD_WEB_*) or on the command
line. Sizing and why: docs/deployment.md, "The web process".
"""

import multiprocessing
import os
import tempfile

_env = os.environ.get
# Logs: json in production unless ACCORD_LOG_FORMAT says otherwise (app/logs.py).
_default_format = "json" if _env("ACCORD_ENV") == "production" else "text"
_json_logs = (_env("ACCORD_LOG_FORMAT") or _default_format).strip().lower() == "json"

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
# Text logs: gunicorn's access log on stdout. JSON logs: the app writes one JSON access
# line per request (with its request id), so gunicorn's own is off unless asked for.
accesslog = _env("ACCORD_WEB_ACCESS_LOG", None if _json_logs else "-")
# Access lines with a password-reset link's token cut out of the request line and path.
logger_class = "app.logs.GunicornLogger"
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
if _json_logs:  # gunicorn's own messages (booting, worker timeouts) as JSON lines too
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "{levelname}{name}{message}",
                "style": "{",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "WARNING", "handlers": []},  # the app adds its own (app/logs.py)
        "loggers": {
            "gunicorn.error": {
                "handlers": ["stderr"],
                "level": loglevel.upper(),
                "propagate": False,
            },
            "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
# Graceful reload: `kill -HUP <master>` starts new workers with new code and stops the old
# ones after their requests; preload off so that a reload re-imports the app.
preload_app = False
forwarded_allow_ips = _env("ACCORD_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus metrics across workers (app/metrics.py): each worker writes its request
# latencies to files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them all up. The
# folder is cleared of its metric files when the server starts (old workers' files would
# count twice); one is made when none is given. Set before any worker imports the client.
if not _env("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="accord-metrics-")


def on_starting(server):
    """Only prometheus_client's own files (*.db) are removed from the folder."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    """A worker gone (recycled, killed): its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Move the objects of start-up (the app, its modules, durable-rules, SQLAlchemy's
    mappers: ~200,000) into the permanent generation: a full collection during a request
    then no longer walks them (docs/deployment.md, "The web process")."""
    import gc

    gc.freeze()
