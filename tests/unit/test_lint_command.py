"""`accord lint`: one problem per line on stderr, exit 2 on errors, `--strict` for warnings."""

from __future__ import annotations

from tests.support.cli import run
from tests.unit.plandocs import SPEC_PLAN


def test_clean_plan_exits_0_and_prints_its_version(tmp_path):
    plan = tmp_path / "ae.yaml"
    plan.write_text(SPEC_PLAN)
    result = run("lint", str(plan))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{plan}: ok sha256:")
    assert result.stderr == ""


def test_errors_exit_2_with_one_line_each(tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text(
        SPEC_PLAN.replace('deal.type == "new"', 'deal.typo == "new"').replace(
            "recover: prorated", "recover: prorated\n    extra: 1"
        )
    )
    result = run("lint", str(plan))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f"{plan}: error: $.rates[0].when (rule new-business) at column 1: unknown field "
        'deal.typo (did you mean deal.type?): deal.typo == "new"',
        f"{plan}: error: $.clawbacks[0].extra (rule early-churn): unknown key 'extra' "
        "(allowed: id, triggers, recover, within_days, within_months)",
    ]
    assert result.stdout == ""


def test_warnings_exit_0_unless_strict(tmp_path):
    plan = tmp_path / "warn.yaml"
    plan.write_text(SPEC_PLAN.replace("  - id: default\n    rate: 0.02\n", ""))
    result = run("lint", str(plan))
    assert result.exit_code == 0
    assert result.stderr == (
        f"{plan}: warning: $.rates: [no-default-rate] no rule without when: "
        "a deal that matches no rate rule earns rate 0\n"
    )
    assert run("lint", "--strict", str(plan)).exit_code == 1


def test_several_files_and_a_missing_one(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(SPEC_PLAN)
    result = run("lint", str(good), str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "good.yaml: ok" in result.stdout
    assert "missing.yaml: error: $: cannot read the file" in result.stderr


def test_yaml_syntax_error_is_located(tmp_path):
    plan = tmp_path / "broken.yaml"
    plan.write_text("policy: x\ncredit: [\n")
    result = run("lint", str(plan))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{plan}: error: line 3, column 1: ")


def test_test_data_paths_resolve_next_to_the_plan(tmp_path):
    (tmp_path / "q3.json").write_text('{"participants": [{"id": "ana"}]}')
    plan = tmp_path / "ae.yaml"
    plan.write_text(
        SPEC_PLAN + "tests:\n  - name: t\n    period: 2026-Q3\n    data: q3.json\n"
        "    expect: [{participant: ana, payable: 0}]\n"
    )
    result = run("lint", str(plan))
    assert result.exit_code == 0, result.stderr


def test_needs_a_plan():
    result = run("lint")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr
