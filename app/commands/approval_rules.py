"""`accord approval-rules show|propose`: the approval rules at the shell.

`show` prints the rules in force and every version (proposals included); `propose` puts
a new version up for the committee's vote (it is decided by votes, never from the
shell). The operator acts as the system unless `--as EMAIL` names an account.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.commands.common import actor, fail, refusals, unit_of_work
from app.database import db_session
from governance.committee import approval_rules


@click.group("approval-rules")
def approval_rules_group() -> None:
    """The approval rules: who must agree before a change takes effect."""


@approval_rules_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="the active rules document as JSON")
@with_appcontext
def show(as_json: bool) -> None:
    """Print the rules in force (and every version with its state)."""
    session = db_session()
    with refusals():
        active = approval_rules.active_rule_set(session)
    if as_json:
        document = approval_rules.document_of(active)
        click.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    for rule_set in approval_rules.list_rule_sets(session):
        click.echo(f"{rule_set.number:>4}  {rule_set.state:<10} {rule_set.content_hash}")
    click.echo(json.dumps(approval_rules.document_of(active), indent=2, sort_keys=True))


@approval_rules_group.command("propose")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_email", default=None, help="act as this user (default: the system)")
@click.option("--note", default=None, help="why the rules should change")
@with_appcontext
def propose(file: Path, as_email: str | None, note: str | None) -> None:
    """Propose a rules document (JSON) for the committee's vote."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{file} is not JSON: {exc}")
    with unit_of_work() as session:
        rule_set = approval_rules.propose(session, actor(session, as_email), document, note=note)
    click.echo(
        f"proposed {rule_set.label} {rule_set.content_hash}: "
        f"decided by vote under version {rule_set.decided_under}"
    )


command = approval_rules_group
