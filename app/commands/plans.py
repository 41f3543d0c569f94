"""`accord plans import|submit|export|list`: plan versions from and to YAML files at the
shell, and a draft's submission with the effective date the committee votes on.

The operator at the shell acts as the system (audited with no user) unless `--as EMAIL`
names an account, whose permissions then apply as they would over the API.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.commands.common import actor, refusals, unit_of_work
from app.database import db_session
from governance.plans import lifecycle, lookup
from governance.plans.tally import voted_hash


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
    with unit_of_work() as session:
        version = lifecycle.create_draft(
            session,
            actor(session, as_email),
            file.read_text(encoding="utf-8"),
            source=str(file),
            base_dir=file.resolve().parent,  # embedded tests may name data files beside it
            note=note,
        )
    click.echo(f"created draft {version.label} {version.content_hash}")


@plans.command("submit")
@click.argument("key")
@click.argument("number", type=int)
@click.option(
    "--effective-from",
    "effective_from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="YYYY-MM-DD: the first day it governs, voted on with the plan",
)
@click.option("--retroactive", is_flag=True, help="may take effect inside a locked period")
@click.option("--as", "as_email", default=None, help="act as this user (default: the system)")
@click.option("--note", default=None, help="why this change")
@with_appcontext
def submit(
    key: str, number: int, effective_from, retroactive: bool, as_email: str | None, note
) -> None:
    """Submit a draft to the committee, with its effective date."""
    with unit_of_work() as session:
        version = lifecycle.submit(
            session,
            actor(session, as_email),
            key,
            number,
            effective_from=effective_from.date(),
            retroactive=retroactive,
            note=note,
        )
        done = f"submitted {version.label} effective {version.effective_from}"
        done += f" {voted_hash(session, version)}"
    click.echo(done)


@plans.command("export")
@click.argument("key")
@click.option("--version", "number", type=int, default=None, help="default: the active one")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export(key: str, number: int | None, output: Path | None) -> None:
    """Print a version as canonical YAML (the active version, else the latest)."""
    session = db_session()
    with refusals():
        plan = lookup.get_plan(session, key)
        version = lookup.get_version(
            session, key, number or plan.active_number or plan.latest_number
        )
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
