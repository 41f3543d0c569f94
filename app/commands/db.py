"""`accord db upgrade|downgrade|current|revision`: Alembic on DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command as alembic
from flask import current_app
from flask.cli import with_appcontext

from models import schema


def _url() -> str:
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        # The embedded database's folder (instance/) is created on first migration.
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


@click.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command()
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    schema.upgrade(_url(), revision)
    click.echo(f"database at {schema.current_revision(_url())}")


@db.command()
@click.argument("revision", default="-1")
@with_appcontext
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step; 'base' for empty)."""
    schema.downgrade(_url(), revision)
    click.echo(f"database at {schema.current_revision(_url())}")


@db.command()
@with_appcontext
def current() -> None:
    """Print the database's revision and the code's head."""
    click.echo(f"database: {schema.current_revision(_url())}  head: {schema.head_revision()}")


@db.command()
@click.option("-m", "--message", required=True)
@with_appcontext
def revision(message: str) -> None:
    """Autogenerate a draft revision from the models (review it by hand)."""
    alembic.revision(schema.alembic_config(_url()), message=message, autogenerate=True)
