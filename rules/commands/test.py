"""`accord test PLAN...`: run each plan's embedded tests (spec section 7).

Prints `PASS plan: name` or `FAIL plan: name` per case, and under each failure every
difference (`ana payable: expected 0.00, got 4200.00`). Exit 0 when all pass, 1 when any
fails, 2 when a plan or a case's data is invalid (problems on stderr).
"""

from __future__ import annotations

from pathlib import Path

import click

from rules.commands.evaluate import read_plans
from rules.evaluation.embedded import run_plan_tests


@click.command("test")
@click.argument("plans", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(["durable", "python"]), default="durable")
def command(plans, engine: str) -> None:
    """Run the embedded tests of PLAN files."""
    loaded, errors = read_plans(plans)
    for line in errors:
        click.echo(line, err=True)
    invalid, failed = bool(errors), False
    for plan in loaded:
        if not plan.tests:
            click.echo(f"{plan.policy}: no embedded tests")
        for result in run_plan_tests(plan, engine=engine):
            if result.passed:
                click.echo(f"PASS {result.plan}: {result.name}")
                continue
            click.echo(f"FAIL {result.plan}: {result.name}")
            for difference in result.differences:
                click.echo(f"  {difference}")
            if result.invalid:
                invalid = True
                for difference in result.differences:
                    click.echo(f"{result.plan}: {result.name}: {difference}", err=True)
            else:
                failed = True
    if invalid:
        raise SystemExit(2)
    if failed:
        raise SystemExit(1)
