"""`accord ...` at the shell, in process: `run("payouts", "list")` invokes `app.cli.main`
with click's CliRunner and returns its `Result` (exit_code, output, stdout, stderr).

Arguments may be paths or numbers (each is passed as `str`). Refusals are exit codes
(the commands `sys.exit(n)`, click's usage errors are 2); any other exception is raised
with its traceback, never passed off as exit code 1. The database is the one
`DATABASE_URL` names (see `cli_env` in tests/integration/conftest.py).
"""

from __future__ import annotations

from click.testing import CliRunner, Result

from app.cli import main


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
