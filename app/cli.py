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


def _create_app():
    from app import create_app
    from app.database import EXTENSION

    app = create_app()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # Close pooled connections when the command ends, not when the GC gets to them.
        ctx.find_root().call_on_close(app.extensions[EXTENSION].engine.dispose)
    return app


class _AccordGroup(FlaskGroup):
    """Flask's group whose database, server and workflow commands are imported on first
    use: `accord evaluate|lint|test` need none of them, and importing them (Flask app,
    SQLAlchemy models, Alembic, Celery) cost 0.8 s of CPU per run (docs/decisions.md,
    "Evaluate speed (issue 14)"). Any other use of `commands` loads them all first."""

    def __init__(self, *args, **kwargs) -> None:
        self._light: set[str] = set()
        self._app_commands_added = True  # Flask's defaults are added while constructing
        super().__init__(*args, **kwargs)
        self._app_commands_added = False

    @property
    def commands(self) -> dict[str, click.Command]:
        if not self._app_commands_added:
            self._app_commands_added = True
            _add_app_commands(self)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def add_light_command(self, command: click.Command) -> None:
        """A command that needs no database: found without loading the others."""
        self._light.add(command.name)
        self._commands[command.name] = command

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._light:
            return self._commands[cmd_name]
        return super().get_command(ctx, cmd_name)


@click.group(cls=_AccordGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Accord: incentive-compensation rules, governance and payouts."""


def _add_app_commands(group: click.Group) -> None:
    from app.commands.db import db
    from app.commands.runtime import run, serve, worker
    from app.commands.users import tokens, users

    for command in (db, users, tokens, run, worker, serve):
        group.add_command(command)
    for module in _APP_COMMAND_MODULES:
        try:
            group.add_command(importlib.import_module(module).command)
        except ModuleNotFoundError as exc:  # pragma: no cover - while the module is being built
            if exc.name != module:
                raise


_APP_COMMAND_MODULES = (
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
)

for _name in ("evaluate", "lint", "test"):
    try:
        main.add_light_command(importlib.import_module(f"rules.commands.{_name}").command)
    except ModuleNotFoundError as exc:  # pragma: no cover - while the module is being built
        if exc.name != f"rules.commands.{_name}":
            raise
