"""Accord's delivery layer: HTTP API, web pages, CLI and identity.

`create_app` only wires configuration, extensions and blueprints: no tables are created,
no migrations run and nothing touches the network or the database here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config import Config


def create_app(config: type[Config] | None = None, overrides: Mapping[str, Any] | None = None):
    # Imported here, not at module level: `accord evaluate` (app/entry.py) imports this
    # package but needs neither Flask nor the configuration.
    from flask import Flask

    from app import database, errors, headers, health, limits, logs, metrics, tasks
    from app.api import register_api
    from app.auth import identity, throttle
    from app.auth.views import bp as auth_bp
    from app.extensions import Api
    from app.pages import audit as audit_pages
    from app.pages import committee, my_plan, plan_editor
    from app.pages import desk as desk_pages
    from app.pages import disputes as dispute_pages
    from app.pages import exceptions as exception_pages
    from app.pages import finance as finance_pages
    from app.pages import imports as import_pages
    from app.pages import inbox as inbox_pages
    from app.pages import payout_runs as payout_run_pages
    from app.pages import plans as plan_pages
    from app.pages import statements as statement_pages
    from app.pages import users as user_pages
    from app.pages import webhooks as webhook_pages
    from app.pages.views import bp as pages_bp
    from config import load_config

    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping((config or load_config()).finalize())
    if overrides:
        app.config.from_mapping(overrides)
    logs.init_app(app)
    metrics.init_app(app)

    limits.init_app(app)
    headers.init_app(app)
    database.init_app(app)
    tasks.init_app(app)
    identity.init_app(app)
    throttle.init_app(app)
    errors.register(app)
    api = Api(app)  # one per app: the spec is built per application
    app.extensions["accord.api"] = api
    register_api(api)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(pages_bp)
    for pages in (committee, plan_pages, audit_pages, statement_pages, dispute_pages):
        app.register_blueprint(pages.bp)
    app.register_blueprint(exception_pages.bp)
    app.register_blueprint(payout_run_pages.bp)
    app.register_blueprint(finance_pages.bp)
    app.register_blueprint(inbox_pages.bp)
    app.register_blueprint(user_pages.bp)
    app.register_blueprint(webhook_pages.bp)
    app.register_blueprint(import_pages.bp)
    app.register_blueprint(desk_pages.bp)
    app.register_blueprint(plan_editor.bp)
    app.register_blueprint(my_plan.bp)
    return app
