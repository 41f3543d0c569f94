"""`accord import FILE [FILE...]`: load participants, deals, events, quotas and FX rates.

All files are validated together and written in one transaction: one bad row anywhere
and nothing is written, every problem is printed on stderr and the exit status is 2.
A progress bar goes to stderr when it is a terminal (or with `--progress`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from app.commands.common import fail, unit_of_work
from governance.imports.csv_formats import KINDS
from governance.imports.mapping import load_mapping
from governance.imports.service import import_batch
from governance.imports.sources import Batch, read_source
from rules.problems import InvalidData


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default=None,
    help="what the CSV files hold (default: recognised from each header)",
)
@click.option("--dry-run", is_flag=True, help="validate and count, then roll back")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="show a progress bar on stderr (default: when stderr is a terminal)",
)
@click.option(
    "--ignore-unknown-columns",
    is_flag=True,
    help="skip CSV columns Accord does not know instead of rejecting the file",
)
@click.option(
    "--mapping",
    "mapping_name",
    default=None,
    metavar="NAME|FILE",
    help="read CSV files as a CRM export: a built-in mapping (salesforce) or a mapping file",
)
@click.option(
    "--correction",
    is_flag=True,
    help="allow FX rates that change the rate of a locked period (audited; later runs "
    "carry prior-period adjustments naming the FX change)",
)
@with_appcontext
def command(
    files, kind, dry_run, progress, ignore_unknown_columns, mapping_name, correction
) -> None:
    """Import section-3 JSON and CSV files (see docs/imports.md)."""
    mapping = None
    if mapping_name is not None:
        try:
            mapping = load_mapping(mapping_name)
        except InvalidData as exc:
            _refused(exc)
    batch = Batch()
    for name in files:
        path = Path(name)
        try:
            content = path.read_bytes()
        except OSError as exc:
            fail(f"{name}: {exc.strerror}")
        read_source(
            batch,
            content,
            name=path.name,
            kind=kind,
            ignore_unknown_columns=ignore_unknown_columns,
            mapping=mapping,
        )
    show = sys.stderr.isatty() if progress is None else progress
    with unit_of_work(dry_run=dry_run) as session:
        bar = tqdm(
            total=batch.total, unit="rec", file=sys.stderr, disable=not show, desc="importing"
        )
        try:
            with bar:
                report = import_batch(session, batch, progress=bar.update, correction=correction)
        except InvalidData as exc:
            _refused(exc)
        for warning in report.warnings:
            click.echo(f"warning: {warning.path}: {warning.message}", err=True)
    for line in report.summary_lines():
        click.echo(line)
    for change in report.fx_changes:
        reached = ", ".join(change["locked_periods"])
        click.echo(
            f"fx {change['pair']} {change['rate']} from {change['from'] or 'the beginning'} "
            f"(was {change['was']})" + (f": corrects locked period(s) {reached}" if reached else "")
        )
    if dry_run:
        click.echo("dry run: nothing was written")


def _refused(exc: InvalidData) -> None:
    for problem in exc.problems:
        click.echo(f"error: {problem.path}: {problem.message}", err=True)
    click.echo(f"{len(exc.problems)} problem(s); nothing was imported", err=True)
    sys.exit(2)
