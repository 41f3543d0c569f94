"""`accord evaluate --policy PLAN [--policy ...] --data DATA.json --period P`.

Prints the section-5 JSON (or, with `--format table`, a statement per participant) on
stdout and exits 0; warnings about the data (`rules.lint.data_warnings`) go to stderr.
Invalid plans or data, and evaluation errors (a missing quota or FX rate, shares over
1...), print every problem on stderr, one per line, and exit 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate, to_table
from rules.evaluation.output import write_json
from rules.gcpause import paused_gc
from rules.lint import data_warnings
from rules.problems import EvaluationError, InvalidData, InvalidPlan, Problem


def read_plans(paths: tuple[Path, ...]) -> tuple[list, list[str]]:
    """Load every plan file; (plans, problem lines) with every problem of every file."""
    plans, errors = [], []
    for path in paths:
        try:
            plan = load_plan(path.read_bytes(), source=path.name, base_dir=path.parent)
        except OSError as exc:
            errors.append(f"{path}: {Problem('$', f'cannot read the file: {exc.strerror}')}")
        except InvalidPlan as exc:
            errors.extend(f"{path}: {p}" for p in exc.problems)
        else:
            plans.append(plan)
    return plans, errors


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(2)


# Set to a list by the `accord` executable (app/entry.py), which then ends the process
# without freeing what the command kept here: freeing the data and output object by object
# cost ~0.1 s of CPU at 50,000 deals, for memory the OS takes back anyway. None in-process.
keep_until_exit: list | None = None


@click.command("evaluate")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A plan document (YAML or JSON); repeat for several plans.",
)
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The evaluation data (section-3 JSON).",
)
@click.option("--period", required=True, help="2026-07, 2026-Q3 or 2026.")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json")
@click.option("--engine", type=click.Choice(["durable", "python"]), default="durable")
def command(policies, data_path: Path, period: str, fmt: str, engine: str) -> None:
    """Evaluate PLANs over DATA for one PERIOD and print the statements."""
    # One pause for the whole command, not one for loading and one for evaluating: each
    # restart of the collector made its next collection walk every object built while it
    # was paused (the data, then the output), for no cycle (rules/gcpause.py).
    with paused_gc():
        _command(policies, data_path, period, fmt, engine)


def _command(policies, data_path: Path, period: str, fmt: str, engine: str) -> None:
    plans, errors = read_plans(policies)
    data = None
    try:
        data = load_data(data_path.read_bytes())
    except OSError as exc:
        errors.append(f"{data_path}: {Problem('$', f'cannot read the file: {exc.strerror}')}")
    except InvalidData as exc:
        errors.extend(f"{data_path}: {p}" for p in exc.problems)
    if errors:
        _fail(errors)
    for warning in data_warnings(data):  # e.g. overlapping assignments: exit code unchanged
        click.echo(f"{data_path}: {warning}", err=True)
    try:
        output = evaluate(plans, data, period, engine=engine, keep=keep_until_exit)
    except EvaluationError as exc:
        _fail([str(p) for p in exc.problems])
    if fmt == "json":
        # Streamed: a large output is never built as one string.
        write_json(output, sys.stdout)
        sys.stdout.write("\n")
    else:
        click.echo(to_table(output), nl=False)
    if keep_until_exit is not None:
        keep_until_exit.append((data, output))
