"""The `accord` command: Flask's CLI group bound to the app, plus Accord's own commands.

`accord routes`, `accord shell` come from Flask; `accord run` is Flask's with a worker
beside it, `accord worker` and `accord serve` the production processes; `accord db ...`,
`accord import`, `accord demo`, `accord users ...`, `accord jobs ...` work on the database; `accord
evaluate|lint|test` come from `rules.commands` and need no database at all.
"""

from __future__ import annotations

import importlib

import click
from flask.cli import FlaskGroup

from app.commands.db import db
from app.commands.runtime import run, serve, worker
from app.commands.users import tokens, users


def _create_app():
    from app import create_app
    from app.database import EXTENSION

    app = create_app()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # Close pooled connections when the command ends, not when the GC gets to them.
        ctx.find_root().call_on_close(app.extensions[EXTENSION].engine.dispose)
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Accord: incentive-compensation rules, governance and payouts."""


for _command in (db, users, tokens, run, worker, serve):
    main.add_command(_command)

for _module in (
    "app.commands.imports",
    "app.commands.demo",
    "app.commands.plans",
    "app.commands.audit",
    "app.commands.approval_rules",
    "app.commands.exceptions",
    "app.commands.disputes",
    "app.commands.statements",
    "app.commands.payouts",
    "app.commands.jobs",
):
    try:
        main.add_command(importlib.import_module(_module).command)
    except ModuleNotFoundError as exc:  # pragma: no cover - while the module is being built
        if exc.name != _module:
            raise

for _name in ("evaluate", "lint", "test"):
    try:
        main.add_command(importlib.import_module(f"rules.commands.{_name}").command)
    except ModuleNotFoundError as exc:  # pragma: no cover - while the module is being built
        if exc.name != f"rules.commands.{_name}":
            raise
