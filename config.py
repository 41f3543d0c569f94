"""Configuration from environment variables.

`DATABASE_URL` (default: a SQLite file under `instance/`), `SECRET_KEY` (a per-process
dev key when unset; required in production), `LOG_LEVEL`, `ACCORD_ENV`
(`development`, `production`, `test`), `ACCORD_DISPUTE_DUE_BUSINESS_DAYS` (default: the
disputes' own, 10), `ACCORD_DISPUTE_ESCALATION_HOUR` (UTC hour of beat's daily dispute
escalation; default 0), `ACCORD_HSTS_MAX_AGE` (seconds; default one year in production, 0 =
no Strict-Transport-Security header, the default elsewhere), `ACCORD_AUDIT_ANCHOR_KEY`
(signs audit chain anchors; default: derived from `SECRET_KEY`), `ACCORD_RATELIMIT_STORAGE_URI`
(where sign-in attempts are counted; default `memory://`, production: `redis://...`),
`ACCORD_SIGNIN_LIMIT_PER_ACCOUNT` and `ACCORD_SIGNIN_LIMIT_PER_ADDRESS` (docs/security.md,
"Sign-in"), `ACCORD_ESTIMATE_LIMIT_PER_USER` (what-if estimates per user; default 30 per
minute), `ACCORD_BROKER_URL` (Celery's broker; default: a SQLite file under
`instance/`, see docs/deployment.md) and `ACCORD_BROKER_VISIBILITY_TIMEOUT` (seconds),
`ACCORD_LOG_FORMAT` (`json` or `text`; default json in production) and
`ACCORD_METRICS_TOKEN` (who may read /metrics: docs/security.md, "Metrics"),
`ACCORD_EXPORT_KEEP_DAYS` (days an export's file is kept; default 7),
`ACCORD_UPLOAD_KEEP_HOURS` (hours a browser upload waits for its confirmation; default 24).
`load_config()` picks the class; governance receives what it reads.
"""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("ACCORD_INSTANCE_DIR", ROOT / "instance"))


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'accord.db'}"


def _default_broker_url() -> str:
    # The embedded broker: kombu's SQLAlchemy transport on a SQLite file of its own (not
    # the app's database, whose only write lock a payout run holds while it builds).
    return f"sqla+sqlite:///{INSTANCE_DIR / 'broker.sqlite'}"


LOG_FORMATS = ("json", "text")
DUE_DAYS_ENV = "ACCORD_DISPUTE_DUE_BUSINESS_DAYS"
ESCALATION_HOUR_ENV = "ACCORD_DISPUTE_ESCALATION_HOUR"


def dispute_due_business_days(environ: Mapping[str, str]) -> int | None:
    """`ACCORD_DISPUTE_DUE_BUSINESS_DAYS`, checked; None when unset."""
    raw = environ.get(DUE_DAYS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"{DUE_DAYS_ENV}={raw!r}: expected a whole number of days, 1 or more")
    return int(raw)


HSTS_ENV = "ACCORD_HSTS_MAX_AGE"


def hsts_max_age(environ: Mapping[str, str]) -> int | None:
    """`ACCORD_HSTS_MAX_AGE`, checked; None when unset."""
    raw = environ.get(HSTS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise RuntimeError(f"{HSTS_ENV}={raw!r}: expected a whole number of seconds, 0 or more")
    return int(raw)


class Config:
    ENV_NAME = "base"
    # Read from the environment when the app is created (see finalize), not at import.
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "text"  # or "json" (app/logs.py); production's default is json
    # /metrics needs `Authorization: Bearer <this>` when set; unset: open, except in
    # production, where /metrics is then off (docs/security.md, "Metrics").
    METRICS_TOKEN: str | None = None
    TESTING = False

    # Sessions: HttpOnly, SameSite=Lax; Secure in production (see ProductionConfig).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # CSRF is checked explicitly (app/auth/identity.py) so that bearer-token API calls skip it
    # and cookie-authenticated ones do not.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None

    API_TITLE = "Accord"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "info": {
            "description": "Incentive-compensation rules, governance and payouts.",
            "license": {"name": "Apache-2.0"},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearer": []}, {"session": []}],
    }

    # The HMAC key of audit chain anchors (`ACCORD_AUDIT_ANCHOR_KEY`); None: derived from
    # SECRET_KEY (governance/auditing/anchors.py). EPHEMERAL: SECRET_KEY is a per-process one.
    AUDIT_ANCHOR_KEY: str | None = None
    SECRET_KEY_EPHEMERAL = False

    # Working days a reviewer has to resolve a dispute; None: governance's default (10).
    DISPUTE_DUE_BUSINESS_DAYS: int | None = None
    # The UTC hour at which beat escalates overdue disputes, daily (app/tasks/disputes.py).
    DISPUTE_ESCALATION_HOUR = 0

    # Strict-Transport-Security max-age (app/headers.py); 0: no header (plain-HTTP serving).
    HSTS_MAX_AGE = 0

    # Sign-in attempts (right or wrong) per account and per client address, and where they
    # are counted: memory is per process; production shares a Redis (docs/security.md).
    RATELIMIT_STORAGE_URI = "memory://"
    SIGNIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    SIGNIN_LIMIT_PER_ADDRESS = "30 per minute"
    # What-if estimates (the engine over the rep's data, nothing saved) per user.
    ESTIMATE_LIMIT_PER_USER = "30 per minute"

    # Largest import body accepted over HTTP.
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    # An import body of this many bytes or more is queued as a background job (202)
    # instead of being imported in the request (`ACCORD_IMPORT_ASYNC_BYTES`).
    IMPORT_ASYNC_BYTES = 1024 * 1024
    # A statement export's file is deleted this many days after its job finished (the
    # download then answers 410) by beat's hourly task (`ACCORD_EXPORT_KEEP_DAYS`).
    EXPORT_KEEP_DAYS = 7
    # A browser upload not confirmed this many hours after it was uploaded expires: it can
    # no longer be imported and the hourly task deletes its body (`ACCORD_UPLOAD_KEEP_HOURS`).
    UPLOAD_KEEP_HOURS = 24

    # Celery (app/tasks/): the broker, and how long a delivered task may run unacknowledged
    # before Redis hands it to another worker (longer than the longest payout run).
    BROKER_URL: str | None = None
    BROKER_VISIBILITY_TIMEOUT = 6 * 3600
    # Tasks run in the calling process, at once (only the API-contract tests; never the
    # browser's path in a deployment: the request would wait for the whole run).
    TASKS_EAGER = False
    # A queued payout run fans out: a planner, one task per participant batch, a
    # finalizer (app/fanout.py); False builds it in one task (`ACCORD_PAYOUT_RUN_FANOUT=0`).
    PAYOUT_RUN_FANOUT = True
    # Deals per participant batch of a fanned-out run (None: payouts.batches' default,
    # about 20,000): smaller batches spread a run over more workers.
    PAYOUT_DEALS_PER_BATCH: int | None = None
    # `POST /api/v1/payout-runs {"wait": true}` waits this long for the queued run's
    # worker, then answers 202 with the job (below gunicorn's 120 s worker timeout).
    RUN_WAIT_SECONDS = 100

    # Notifications (docs/notifications.md). E-mail is sent only when SMTP_HOST is set
    # (`ACCORD_SMTP_HOST`, `_PORT`, `_FROM`, `_USERNAME`, `_PASSWORD`, `_STARTTLS`);
    # links in messages start with BASE_URL (`ACCORD_BASE_URL`). A failed delivery is
    # tried NOTIFY_MAX_ATTEMPTS times in all, waiting NOTIFY_RETRY_SECONDS, then twice as
    # long each time; beat publishes new events every NOTIFY_SWEEP_SECONDS.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_FROM = "accord@localhost"
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    BASE_URL = "http://127.0.0.1:5000"
    NOTIFY_MAX_ATTEMPTS = 6
    NOTIFY_RETRY_SECONDS = 30
    NOTIFY_SWEEP_SECONDS = 10
    WEBHOOK_TIMEOUT_SECONDS = 10

    @classmethod
    def finalize(cls) -> dict:
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        env = os.environ
        values["SECRET_KEY"] = env.get("SECRET_KEY") or values["SECRET_KEY"]
        values["DATABASE_URL"] = (
            env.get("DATABASE_URL") or values["DATABASE_URL"] or _default_database_url()
        )
        values["LOG_LEVEL"] = env.get("LOG_LEVEL", values["LOG_LEVEL"]).upper()
        log_format = env.get("ACCORD_LOG_FORMAT", "").strip().lower() or values["LOG_FORMAT"]
        if log_format not in LOG_FORMATS:
            raise RuntimeError(f"ACCORD_LOG_FORMAT={log_format!r}: expected json or text")
        values["LOG_FORMAT"] = log_format
        values["METRICS_TOKEN"] = env.get("ACCORD_METRICS_TOKEN") or values["METRICS_TOKEN"]
        anchor_key = env.get("ACCORD_AUDIT_ANCHOR_KEY")
        values["AUDIT_ANCHOR_KEY"] = anchor_key or values["AUDIT_ANCHOR_KEY"]
        for key in (
            "RATELIMIT_STORAGE_URI",
            "SIGNIN_LIMIT_PER_ACCOUNT",
            "SIGNIN_LIMIT_PER_ADDRESS",
            "ESTIMATE_LIMIT_PER_USER",
        ):
            values[key] = env.get(f"ACCORD_{key}") or values[key]
        values["BROKER_URL"] = (
            env.get("ACCORD_BROKER_URL") or values["BROKER_URL"] or _default_broker_url()
        )
        fanout = env.get("ACCORD_PAYOUT_RUN_FANOUT", "").strip()
        if fanout:
            values["PAYOUT_RUN_FANOUT"] = fanout not in ("0", "false", "no")
        for key, unit, least in (
            ("BROKER_VISIBILITY_TIMEOUT", "seconds", 1),
            ("PAYOUT_DEALS_PER_BATCH", "deals", 1),
            ("IMPORT_ASYNC_BYTES", "bytes", 0),
            ("RUN_WAIT_SECONDS", "seconds", 0),
            ("EXPORT_KEEP_DAYS", "days", 0),
            ("UPLOAD_KEEP_HOURS", "hours", 1),
        ):
            number = _whole_number(env, f"ACCORD_{key}", unit, least)
            if number is not None:
                values[key] = number

        for key in ("SMTP_HOST", "SMTP_FROM", "SMTP_USERNAME", "SMTP_PASSWORD", "BASE_URL"):
            values[key] = env.get(f"ACCORD_{key}") or values[key]
        starttls = env.get("ACCORD_SMTP_STARTTLS", "").strip()
        if starttls:
            values["SMTP_STARTTLS"] = starttls not in ("0", "false", "no")
        for key, unit, least in (
            ("SMTP_PORT", "a port", 1),
            ("NOTIFY_MAX_ATTEMPTS", "tries", 1),
            ("NOTIFY_RETRY_SECONDS", "seconds", 0),
            ("NOTIFY_SWEEP_SECONDS", "seconds", 1),
        ):
            number = _whole_number(env, f"ACCORD_{key}", unit, least)
            if number is not None:
                values[key] = number

        hour = env.get(ESCALATION_HOUR_ENV, "").strip()
        if hour:
            if not hour.isdigit() or int(hour) > 23:
                raise RuntimeError(f"{ESCALATION_HOUR_ENV}={hour!r}: expected an hour, 0 to 23")
            values["DISPUTE_ESCALATION_HOUR"] = int(hour)
        days = dispute_due_business_days(env)
        if days is not None:
            values["DISPUTE_DUE_BUSINESS_DAYS"] = days
        hsts = hsts_max_age(env)
        if hsts is not None:
            values["HSTS_MAX_AGE"] = hsts
        if not values.get("SECRET_KEY"):
            # A dev key per process: sessions do not survive a restart, which is fine locally.
            values["SECRET_KEY"] = secrets.token_hex(32)
            values["SECRET_KEY_EPHEMERAL"] = True
        # apispec merges the generated spec into these options in place: each app gets its
        # own copy so one app's schemas never leak into another's openapi.json.
        values["API_SPEC_OPTIONS"] = copy.deepcopy(values["API_SPEC_OPTIONS"])
        return values


def _whole_number(env, name: str, unit: str, least: int) -> int | None:
    """The whole number `name` is set to (None when unset); a clear error when it is not
    one of at least `least`."""
    text = env.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < least:
        raise RuntimeError(f"{name}={text!r}: expected {unit}, {least} or more")
    return int(text)


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    DATABASE_URL = "sqlite://"
    WTF_CSRF_ENABLED = True
    # The API-contract tests run tasks in the request; tests of the queue start real
    # Redis servers and Celery workers and turn this off (tests/support/workers.py).
    TASKS_EAGER = True
    BROKER_URL = "memory://"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE = 365 * 24 * 3600  # production is served over HTTPS only
    LOG_FORMAT = "json"  # one object per line, for the log collector

    @classmethod
    def finalize(cls) -> dict:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production (ACCORD_ENV=production)")
        return super().finalize()


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestConfig, ProductionConfig)}


def load_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("ACCORD_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"ACCORD_ENV={name!r}: expected one of {sorted(CONFIGS)}") from None
