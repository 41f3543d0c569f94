"""`accord plans import|export|list`: plan versions from and to YAML files at the shell.

The operator at the shell acts as the system (audited with no user) unless `--as EMAIL`
names an account, whose permissions then apply as they would over the API.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.database import db_session
from governance.errors import GovernanceError
from governance.plans import lifecycle, lookup
from models import User


def _actor(session, email: str | None):
    if email is None:
        return None
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        click.echo(f"error: no user {email}", err=True)
        sys.exit(2)
    return user


def _refuse(exc: GovernanceError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(2)


@click.group()
def plans() -> None:
    """Plan versions in the policy store."""


@plans.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_email", default=None, help="act as this user (default: the system)")
@click.option("--note", default=None, help="why this draft exists")
@with_appcontext
def import_(file: Path, as_email: str | None, note: str | None) -> None:
    """Create a draft version from a plan YAML (or JSON) file."""
    session = db_session()
    try:
        version = lifecycle.create_draft(
            session,
            _actor(session, as_email),
            file.read_text(encoding="utf-8"),
            source=str(file),
            base_dir=file.resolve().parent,  # embedded tests may name data files beside it
            note=note,
        )
    except GovernanceError as exc:
        session.rollback()
        _refuse(exc)
    session.commit()
    click.echo(f"created draft {version.label} {version.content_hash}")


@plans.command("export")
@click.argument("key")
@click.option("--version", "number", type=int, default=None, help="default: the active one")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export(key: str, number: int | None, output: Path | None) -> None:
    """Print a version as canonical YAML (the active version, else the latest)."""
    session = db_session()
    try:
        plan = lookup.get_plan(session, key)
        version = lookup.get_version(
            session, key, number or plan.active_number or plan.latest_number
        )
    except GovernanceError as exc:
        _refuse(exc)
    text = lookup.export_yaml(version)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {version.label} to {output}", err=True)


@plans.command("list")
@with_appcontext
def list_() -> None:
    """Every plan with its latest, active and draft version numbers."""
    for plan in lookup.list_plans(db_session()):
        click.echo(
            f"{plan.key}\tlatest {plan.latest_number}\tactive {plan.active_number or '-'}"
            f"\tdraft {plan.draft_number or '-'}\t{plan.title}"
        )


command = plans
