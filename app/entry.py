"""The `accord` executable: `accord evaluate|lint|test ...` run their command directly;
anything else goes to the Flask CLI group (app/cli.py).

The three commands need no database and no Flask: importing Flask's CLI for them cost
~0.06 s of CPU per run, a tenth of what is left of `accord evaluate`'s start-up
(docs/decisions.md, "Evaluate speed (issue 14)"). The command is run as the group would
run it (`accord evaluate` in its usage and error lines, the same exit codes); an option
of the group before the command name (`accord --app x evaluate`) takes the group's path.
"""

from __future__ import annotations

import importlib
import sys

LIGHT = ("evaluate", "lint", "test")


def main() -> object:
    argv = sys.argv[1:]
    if argv and argv[0] in LIGHT:
        command = importlib.import_module(f"rules.commands.{argv[0]}").command
        return command.main(args=argv[1:], prog_name=f"accord {argv[0]}")
    from app.cli import main as group

    return group()
