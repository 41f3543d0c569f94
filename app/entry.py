"""The `accord` executable: `accord evaluate|lint|test ...` run their command directly;
anything else goes to the Flask CLI group (app/cli.py).

The three commands need no database and no Flask: importing Flask's CLI for them cost
~0.06 s of CPU per run, a tenth of what is left of `accord evaluate`'s start-up
(docs/decisions.md, "Evaluate speed (issue 14)"). The command is run as the group would
run it (`accord evaluate` in its usage and error lines, the same exit codes); an option
of the group before the command name (`accord --app x evaluate`) takes the group's path.
After a successful `accord evaluate` the process ends without freeing the data and the
output (`keep_until_exit` in rules/commands/evaluate.py).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

LIGHT = ("evaluate", "lint", "test")


def main() -> object:
    argv = sys.argv[1:]
    if argv and argv[0] in LIGHT:
        module = importlib.import_module(f"rules.commands.{argv[0]}")
        if hasattr(module, "keep_until_exit"):
            module.keep_until_exit = []
            gc.disable()  # nor collected: the process ends with the command (gcpause.py)
        try:
            return module.command.main(args=argv[1:], prog_name=f"accord {argv[0]}")
        except SystemExit as done:
            if done.code in (0, None) and getattr(module, "keep_until_exit", None):
                _exit_without_freeing()
            raise
    from app.cli import main as group

    return group()


def _exit_without_freeing() -> None:
    """Exit 0 now: what the command kept is not freed object by object at exit (the OS
    takes the memory back). Only once stdout and stderr are flushed; if that fails (a
    closed pipe), the caller exits the ordinary way and reports it as Python does."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # the ordinary exit path reports it
        return
    os._exit(0)
