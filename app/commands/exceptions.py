"""`accord exceptions list|show|file`: deal-desk exceptions at the shell.

`list` prints one line per exception (optionally of one state, `expired` included);
`show` prints one with its impact estimate, votes and tally (`--json` for the API's
shape); `file` files one from a JSON file of the API's body. Votes are cast by people
(the API or the pages), never from the shell. `--as EMAIL` names the acting account;
without it the operator acts as the system. Refusals print every problem and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.commands.common import actor, fail, refusals, unit_of_work
from app.database import db_session
from governance.exceptions import workflow as exceptions


@click.group("exceptions")
def exceptions_group() -> None:
    """Payout exceptions filed by the deal desk."""


def _line(exc) -> str:
    target = exc.deal_id or exc.participant_id or ""
    return (
        f"{exc.label:<8} {exceptions.shown_state(exc):<10} {exc.kind:<15} {exc.plan_key:<16}"
        f" {target:<12} {exc.period:<8} {exc.estimated_impact:>14.2f} {exc.impact_currency}"
        f"  {exc.route}"
    )


@exceptions_group.command("list")
@click.option("--state", default=None, help="submitted, approved, rejected, withdrawn, expired")
@with_appcontext
def list_command(state: str | None) -> None:
    """One line per exception, newest first."""
    with refusals():
        found = exceptions.list_exceptions(db_session(), state=state)
    for exc in found:
        click.echo(_line(exc))


def _detail(session, exc) -> dict:
    from app.api.exceptions.routes import summary

    out = summary(exc)
    out.update(
        impact=exc.impact,
        tally=exceptions.exception_tally(session, exc).as_dict(),
        votes=[
            {"voter_id": v.voter_id, "decision": v.decision, "comment": v.comment}
            for v in exceptions.exception_votes(session, exc)
        ],
    )
    return out


@exceptions_group.command("show")
@click.argument("exception_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="the API's JSON shape")
@with_appcontext
def show(exception_id: int, as_json: bool) -> None:
    """One exception: what it asks, its estimated impact, votes and tally."""
    session = db_session()
    with refusals():
        exc = exceptions.get_exception(session, exception_id)
    detail = _detail(session, exc)
    if as_json:
        click.echo(json.dumps(detail, indent=2, sort_keys=True, default=str))
        return
    click.echo(_line(exc))
    click.echo(f"  justification: {exc.justification}")
    click.echo(f"  content hash:  {exc.content_hash}")
    click.echo(f"  expires on:    {exc.expires_on or 'never'}")
    click.echo(f"  impact ({exc.impact['period']}, moved {exc.impact['moved']}):")
    for row in exc.impact["participants"]:
        click.echo(
            f"    {row['participant']:<12} {row['before']:>12} -> {row['after']:>12}"
            f"  ({row['delta']})"
        )
    for problem in exc.impact.get("problems", []):
        click.echo(f"    not estimated: {problem['path']}: {problem['message']}")
    click.echo(f"  tally: {detail['tally']['summary']}")


@exceptions_group.command("file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_email", default=None, help="act as this user (default: the system)")
@with_appcontext
def file_command(file: Path, as_email: str | None) -> None:
    """File an exception from a JSON file shaped like the API's body."""
    try:
        fields = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        fail(f"{file} is not JSON: {error}")
    with unit_of_work() as session:
        exc = exceptions.file_exception(session, actor(session, as_email), fields)
    click.echo(
        f"filed {exc.label} {exc.content_hash}: estimated {exc.estimated_impact:.2f}"
        f" {exc.impact_currency} (moves {exc.impact['moved']}), decided by"
        f" {'the committee' if exc.route == 'committee' else 'the deal desk and finance'}"
    )


command = exceptions_group
