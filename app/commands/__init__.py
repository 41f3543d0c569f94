"""CLI commands that work on the database (each module defines a click command or group)."""
