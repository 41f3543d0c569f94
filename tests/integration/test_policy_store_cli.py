"""`accord plans import|export|list` against a real, migrated database (both backends)."""

from __future__ import annotations

from rules.document import load_plan
from tests.integration.test_policy_store import plan_text
from tests.support.cli import run


def test_import_export_and_list(cli_env, tmp_path):
    source = tmp_path / "ae-plan.yaml"
    source.write_text(plan_text(), encoding="utf-8")
    result = run("plans", "import", str(source), "--note", "from the shell")
    assert result.exit_code == 0, result.output
    assert f"created draft ae-plan/1 {load_plan(plan_text()).version}" in result.output

    exported = run("plans", "export", "ae-plan")
    assert exported.exit_code == 0
    assert load_plan(exported.output).version == load_plan(plan_text()).version
    assert run("plans", "export", "ae-plan", "--version", "1").output == exported.output

    target = tmp_path / "out.yaml"
    assert run("plans", "export", "ae-plan", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == exported.output

    listed = run("plans", "list")
    assert listed.output.startswith("ae-plan\tlatest 1\tactive -\tdraft 1\tAE plan")


def test_import_of_an_invalid_file_lists_every_problem_and_writes_nothing(cli_env, tmp_path):
    source = tmp_path / "bad.yaml"
    source.write_text(plan_text().replace("currency: USD", "currency: dollars"), encoding="utf-8")
    result = run("plans", "import", str(source))
    assert result.exit_code == 2
    assert "$.currency" in result.output
    assert run("plans", "list").output == ""


def test_export_of_an_unknown_plan_and_an_unknown_user(cli_env, tmp_path):
    result = run("plans", "export", "nope")
    assert result.exit_code == 2
    assert "No plan 'nope'" in result.output
    source = tmp_path / "ae-plan.yaml"
    source.write_text(plan_text(), encoding="utf-8")
    result = run("plans", "import", str(source), "--as", "x@example.test")
    assert result.exit_code == 2
    assert "no user" in result.output
