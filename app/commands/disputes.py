"""`accord disputes list|escalate`: disputes at the shell.

`escalate` runs by hand what beat runs daily (app/tasks/disputes.py): every unresolved
dispute past its due day is marked escalated once (with a history entry and an audit
record), so running it twice, or catching up after a missed day, changes nothing more.
`list` prints every dispute (or those in the given states) with its due day and whether
it is overdue or escalated.
Both act as the system (trusted operator at the shell); `--as EMAIL` names an account.
"""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import with_appcontext

from app.commands.common import actor, fail, unit_of_work
from app.database import db_session
from governance.disputes import rules as dispute_rules
from governance.disputes import workflow as disputes
from models.base import utcnow
from models.disputes import DISPUTE_STATES


def _day(value: str | None) -> date:
    if value is None:
        return utcnow().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--today {value!r}: expected a date such as 2026-11-24")


@click.group("disputes")
def disputes_group() -> None:
    """Reps' disputes of their statement lines."""


@disputes_group.command("list")
@click.option(
    "--state", "states", multiple=True, type=click.Choice(DISPUTE_STATES), help="repeatable"
)
@click.option("--today", default=None, help="the day 'overdue' is judged on (default: today)")
@click.option("--json", "as_json", is_flag=True, help="one JSON array")
@click.option("--as", "as_email", default=None, help="see what this user sees")
@with_appcontext
def list_disputes(states, today: str | None, as_json: bool, as_email: str | None) -> None:
    """Every dispute (newest first): id, state, participant, period, line, due day."""
    session = db_session()
    day = _day(today)
    viewer = actor(session, as_email)
    rows = []
    for d in session.scalars(dispute_rules.visible(session, viewer, states=states or None)):
        rows.append(
            {
                "id": d.id,
                "state": d.state,
                "participant": d.participant_id,
                "period": d.period,
                "line": d.payout_line_id,
                "due_on": d.due_on.isoformat(),
                "overdue": dispute_rules.is_overdue(d, day),
                "escalated": d.escalated_at is not None,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        flags = " ".join(f for f in ("overdue", "escalated") if r[f])
        click.echo(
            f"{r['id']:>6}  {r['state']:<18} {r['participant']:<16} {r['period']:<8}"
            f" line {r['line']:<8} due {r['due_on']} {flags}".rstrip()
        )
    click.echo(f"{len(rows)} dispute(s)", err=True)


@disputes_group.command("escalate")
@click.option("--today", default=None, help="judge overdue as of this day (default: today, UTC)")
@with_appcontext
def escalate(today: str | None) -> None:
    """Mark unresolved disputes past their due day escalated (idempotent; run daily)."""
    day = _day(today)
    with unit_of_work() as session:
        escalated = disputes.escalate_overdue(session, day)
    for d in escalated:
        click.echo(f"escalated dispute {d.id} ({d.participant_id}, due {d.due_on.isoformat()})")
    click.echo(f"{len(escalated)} dispute(s) escalated", err=True)


command = disputes_group
