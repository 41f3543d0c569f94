"""`accord payouts vote|lock|tally`: the close of a payout run at the shell.

    accord payouts tally 7                       # the content hash to vote on, the tally
    accord payouts vote 7 --as fin@x.test --approve --hash sha256:...
    accord payouts vote 7 --as ops@x.test --reject --hash sha256:... --comment "Q3 FX"
    accord payouts lock 7 --as admin@x.test

A vote is a person's: `--as` is required (the system never votes), and so is the lock.
These commands join the `payouts` group of the payout-runs commands (`attach`, called
from app/cli.py); refusals exit 2 with every problem listed.
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.commands.plans import _actor, _refuse
from app.database import db_session
from governance.errors import GovernanceError
from governance.payouts import close as payout_close


@click.command("tally")
@click.argument("run_id", type=int)
@with_appcontext
def tally(run_id: int) -> None:
    """Print a run's state, content hash, approval rule, tally and votes (JSON)."""
    session = db_session()
    try:
        run = payout_close.get_run(session, run_id)
    except GovernanceError as exc:
        _refuse(exc)
    click.echo(json.dumps(payout_close.tally_dict(session, run), indent=2, sort_keys=True))


@click.command("vote")
@click.argument("run_id", type=int)
@click.option("--as", "as_email", required=True, help="the committee member voting")
@click.option("--approve/--reject", "approve", required=True)
@click.option("--hash", "content_hash", required=True, help="the run's content hash (tally)")
@click.option("--comment", default=None, help="required to reject")
@with_appcontext
def vote(run_id: int, as_email: str, approve: bool, content_hash: str, comment: str | None) -> None:
    """Approve or reject a draft run; the vote that meets the quorum approves it."""
    session = db_session()
    try:
        _vote, result = payout_close.cast_run_vote(
            session,
            _actor(session, as_email),
            run_id,
            decision="approve" if approve else "reject",
            content_hash=content_hash,
            comment=comment,
        )
    except GovernanceError as exc:
        session.rollback()
        _refuse(exc)
    session.commit()
    run = payout_close.get_run(session, run_id)
    click.echo(f"{run.label}: {result.outcome} ({result.summary()}); state {run.state}")


@click.command("lock")
@click.argument("run_id", type=int)
@click.option("--as", "as_email", required=True, help="a holder of payouts.run")
@click.option("--note", default=None)
@with_appcontext
def lock(run_id: int, as_email: str, note: str | None) -> None:
    """Lock an approved run: its period never changes again."""
    session = db_session()
    try:
        run = payout_close.lock_run(session, _actor(session, as_email), run_id, note=note)
    except GovernanceError as exc:
        session.rollback()
        _refuse(exc)
    session.commit()
    click.echo(f"{run.label}: locked at {run.locked_at.isoformat()}")


COMMANDS = (tally, vote, lock)


def attach(main: click.Group) -> None:
    """Add the close commands to `accord payouts` (creating the group if the payout-runs
    commands are not registered)."""
    group = main.commands.get("payouts")
    if not isinstance(group, click.Group):
        group = click.Group("payouts", help="Payout runs and their close.")
        main.add_command(group)
    for command in COMMANDS:
        group.add_command(command)
