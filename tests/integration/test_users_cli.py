"""`accord users deactivate|reactivate|reset-link` against a migrated database (both
backends): refusals exit 2 with a message, nothing half written."""

from __future__ import annotations

from tests.support.cli import run

PASSWORD = "correct horse battery"


def _create(email: str, role: str) -> None:
    made = run("users", "create", "--email", email, "--name", email, "--role", role,
               "--password", PASSWORD)  # fmt: skip
    assert made.exit_code == 0, made.output


def test_deactivate_reactivate_and_reset_link(cli_env):
    _create("boss@example.test", "admin")
    _create("rep@example.test", "rep")
    done = run("users", "deactivate", "--email", "rep@example.test")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("deactivated: rep@example.test (0 sessions, 0 tokens")
    again = run("users", "deactivate", "--email", "rep@example.test")
    assert "already deactivated" in again.output

    refused = run("users", "reset-link", "--email", "rep@example.test")
    assert refused.exit_code == 2 and "reactivate them first" in refused.output
    last = run("users", "deactivate", "--email", "boss@example.test")
    assert last.exit_code == 2 and "last active admin" in last.output
    demoted = run("users", "roles", "--email", "boss@example.test", "--role", "auditor")
    assert demoted.exit_code == 2 and "last active admin" in demoted.output
    nobody = run("users", "deactivate", "--email", "nobody@example.test")
    assert nobody.exit_code == 2 and "no user nobody@example.test" in nobody.output

    back = run("users", "reactivate", "--email", "rep@example.test")
    assert back.exit_code == 0 and back.output.startswith("reactivated: rep@example.test")
    link = run("users", "reset-link", "--email", "rep@example.test", "--print-link")
    assert link.exit_code == 0, link.output
    assert "/password-reset/" in link.output.splitlines()[-1]
