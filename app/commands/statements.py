"""`accord statements export|payroll`: statements and payroll files at the shell.

The operator at the shell acts as the system (reads every statement) unless `--as EMAIL`
names an account, whose visibility then applies as over the API (a rep exports only
their own statements). Refusals exit 2 with the reason on stderr: an unknown period,
run or user, a run that is not locked for payroll, a user without the permission.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.commands.common import actor, fail, refusals
from app.database import db_session
from governance.errors import NotFound
from governance.statements import exports as statement_exports
from governance.statements import read
from rules.period import Period, PeriodError


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


FORMAT = click.option("--format", "fmt", type=click.Choice(read.FORMATS), default="csv")
OUTPUT = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None
)
AS = click.option("--as", "as_email", default=None, help="act as this user (default: the system)")


@click.group()
def statements() -> None:
    """Rep statements and payroll exports of payout runs."""


@statements.command()
@click.option("--period", required=True, help="e.g. 2026-Q3: the run that holds the period")
@click.option("--participant", default=None, help="only this participant's statements")
@FORMAT
@OUTPUT
@AS
@with_appcontext
def export(period: str, participant: str | None, fmt: str, output, as_email) -> None:
    """Statements of a period with every line explained: CSV (a row per line) or JSON."""
    try:
        Period.parse(period)
    except PeriodError as exc:
        fail(f"--period: {exc}")
    session = db_session()
    with refusals():
        reader = actor(session, as_email)
        if read.holding_run(session, period) is None:
            raise NotFound(f"No payout run holds {period}.")
        text = statement_exports.export_statements(
            session, reader, fmt, period=period, participant=participant
        )
    _write(text, output)


@statements.command()
@click.option("--run", "run_id", type=int, default=None, help="a payout run id")
@click.option("--period", default=None, help="or the period of a locked run")
@FORMAT
@OUTPUT
@AS
@with_appcontext
def payroll(run_id: int | None, period: str | None, fmt: str, output, as_email) -> None:
    """Payroll file of a LOCKED run: participant, name, amount_payable, currency, period."""
    if (run_id is None) == (period is None):
        fail("give exactly one of --run and --period")
    session = db_session()
    with refusals():
        reader = actor(session, as_email)
        if run_id is None:
            run = read.holding_run(session, period)
            if run is None:
                raise NotFound(f"No payout run holds {period}.")
            run_id = run.id
        text = statement_exports.export_payroll(session, reader, run_id, fmt)
    _write(text, output)


command = statements
