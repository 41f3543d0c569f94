"""The `accord` executable (app/entry.py) runs `evaluate|lint|test` without the Flask group,
and must print, write to stderr and exit exactly as the group does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PLAN = EXAMPLES / "ae-plan.yaml"
DEMO = EXAMPLES / "data" / "demo.json"


def _run(module: str, *args: object) -> subprocess.CompletedProcess:
    code = f"import sys; sys.argv[0] = 'accord'; from {module} import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, cwd=ROOT, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ("evaluate", "--policy", PLAN, "--data", DEMO, "--period", "2026-Q3"),
        ("evaluate", "--policy", PLAN, "--data", DEMO, "--period", "2026-Q3", "--format", "table"),
        ("evaluate", "--policy", PLAN, "--data", DEMO, "--period", "2026-Q9"),
        ("evaluate", "--policy", PLAN, "--data", "missing.json", "--period", "2026-Q3"),
        ("evaluate", "--policy", PLAN),
        ("evaluate", "--help"),
        ("lint", PLAN),
        ("test", PLAN, "--data", DEMO),
        ("test", "--help"),
        ("--help",),
    ],
)
def test_entry_behaves_as_the_group(args):
    light, group = _run("app.entry", *args), _run("app.cli", *args)
    assert (light.returncode, light.stdout, light.stderr) == (
        group.returncode,
        group.stdout,
        group.stderr,
    )


def test_evaluate_does_not_import_flask():
    code = (
        "import sys; sys.argv[:] = ['accord', 'evaluate', '--help']\n"
        "from app.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'flask' not in sys.modules, 'flask imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr


def test_in_process_the_command_keeps_nothing_for_exit():
    """Only the executable ends the process without freeing; in process (CliRunner, the
    web app's callers) the command keeps no reference to its data or output."""
    import rules.commands.evaluate as evaluate_command
    from tests.support.cli import run

    result = run("evaluate", "--policy", PLAN, "--data", DEMO, "--period", "2026-Q3")
    assert result.exit_code == 0
    assert evaluate_command.keep_until_exit is None


def test_what_evaluate_keeps_for_exit_changes_nothing_it_returns():
    """`evaluate(keep=...)` (the executable's list) receives the index, every evaluated
    period's statements, the context and the ledger; the output is the same."""
    from rules.data import load_data
    from rules.document import load_plan
    from rules.evaluate import evaluate
    from rules.evaluation.context import DataIndex, PlanContext
    from rules.evaluation.ledger import Ledger

    plan = load_plan(PLAN.read_bytes(), source=PLAN.name, base_dir=PLAN.parent)
    data = load_data(DEMO.read_bytes())
    kept: list = []
    assert evaluate([plan], data, "2026-Q3", keep=kept) == evaluate([plan], data, "2026-Q3")
    kinds = [type(k) for k in kept]
    assert kinds[0] is DataIndex and kinds[-2:] == [PlanContext, Ledger]
    assert kinds[1:-2] and all(k is dict for k in kinds[1:-2])  # one per period, to Q3
