"""`accord lint PLAN...`: validate plan files and print every problem, one per line, on stderr.

Each line reads `FILE: error: $.rates[2].when (rule new-business) at column 11: message`.
Exit status: 2 if any file has an error, 1 with `--strict` if there are only warnings,
0 otherwise. A clean file prints `FILE: ok sha256:...` (its version hash) on stdout.
"""

from __future__ import annotations

from pathlib import Path

import click

from rules.document import load_plan
from rules.lint import plan_warnings
from rules.problems import InvalidPlan, Problem


def _lint_file(path: Path) -> tuple[list[Problem], str | None]:
    try:
        text = path.read_bytes()
    except OSError as exc:
        return [Problem(path="$", message=f"cannot read the file: {exc.strerror}")], None
    try:
        plan = load_plan(text, source=path.name, base_dir=path.parent)
    except InvalidPlan as exc:
        return list(exc.problems), None
    return plan_warnings(plan), plan.version


def lint(plans: tuple[Path, ...], strict: bool) -> None:
    """Check PLAN files (YAML or JSON): errors exit 2, warnings are printed and exit 0."""
    errors = warnings = 0
    for path in plans:
        problems, version = _lint_file(path)
        for problem in problems:
            click.echo(f"{path}: {problem}", err=True)
            if problem.severity == "error":
                errors += 1
            else:
                warnings += 1
        if version is not None:
            click.echo(f"{path}: ok {version}")
    if errors:
        raise SystemExit(2)
    if strict and warnings:
        raise SystemExit(1)


command = click.command("lint")(
    click.argument(
        "plans", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
    )(
        click.option(
            "--strict", is_flag=True, help="Exit 1 when there are warnings (and no errors)."
        )(lint)
    )
)
