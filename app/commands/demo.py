"""`accord demo [--if-empty] [--seed N] [--deals N]`: load the demo organisation.

Generates the demo company's participants, quotas, deals and events (app.demo), writes
them, the demo users and a year of governance history (plan versions and change
requests, exceptions, payout runs, disputes) in ONE transaction, and prints the logins.
With `--if-empty` (what `make run` uses) a database that already holds participants is
left alone and only the logins are printed. See docs/demo.md.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.commands.common import fail, unit_of_work
from app.demo import DEMO_TODAY
from app.demo.loader import DemoError, load_demo, participant_count
from app.demo.users import DEMO_PASSWORD, DEMO_USERS


def logins_table() -> str:
    """The demo logins, one line per user: role, e-mail, password, what to look at."""
    rows = [("role", "e-mail", "password", "look at first")]
    rows += [(u.label, u.email, DEMO_PASSWORD, u.look_at) for u in DEMO_USERS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in [*widths, len(row[3])]))
    return "\n".join(lines)


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (but print the logins) when the database already holds participants.",
)
@click.option("--seed", default=2026, show_default=True, help="Seed of the generated data.")
@click.option(
    "--deals",
    "deal_count",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 200_000),
    help="How many deals to generate.",
)
@with_appcontext
def command(if_empty: bool, seed: int, deal_count: int) -> None:
    """Load the demo organisation and its users (demo only: one shared password)."""
    with unit_of_work() as session:
        existing = participant_count(session)
        if existing and not if_empty:
            fail(
                f"the database already holds {existing} participants; the demo loads "
                "into an empty database (--if-empty skips quietly)"
            )
        if not existing:
            try:
                summary = load_demo(session, seed=seed, deals=deal_count)
            except DemoError as exc:
                fail(str(exc))
    if existing:
        click.echo(f"The database already holds {existing} participants: demo not loaded.")
    else:
        click.echo(summary.line())
    click.echo(
        f'\nDemo logins (password "{DEMO_PASSWORD}" for everyone; demo only). '
        f"Today is pinned to {DEMO_TODAY.isoformat()}:\n"
    )
    click.echo(logins_table())
