"""Click commands that need no database: `accord evaluate`, `accord lint`, `accord test`.

Each module defines `command`; `app.cli` adds them to the `accord` group.
"""
