"""`accord audit verify|export`: check the hash chain; export the log, plan versions,
every decision on them, the diffs between consecutive versions and every committee vote
with its subject's tally, for auditors."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.database import db_session
from governance import audit as audit_log
from governance.auditing.exports import EXPORTS


@click.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command()
@with_appcontext
def verify() -> None:
    """Check every record's hash and link; exit 1 naming the first broken record."""
    result = audit_log.verify(db_session())
    if result.ok:
        click.echo(f"audit chain ok: {result.checked} records")
        return
    click.echo(f"audit chain broken at record {result.first_broken_id}: {result.reason}", err=True)
    sys.exit(1)


@audit.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="json")
@click.option("--what", type=click.Choice(sorted(EXPORTS)), default="log", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export(fmt: str, what: str, output: Path | None) -> None:
    """Write the log (oldest first, every hashed field), the plan versions, their decisions,
    the diffs between consecutive versions (plan-diffs) or the votes (approvals)."""
    text = EXPORTS[what](db_session(), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


command = audit
