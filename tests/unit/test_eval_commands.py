"""`accord evaluate` and `accord test` through click's CliRunner, and the example plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANS = sorted(EXAMPLES.glob("*.yaml"))
DEMO = EXAMPLES / "data" / "demo.json"


def _policies():
    return [x for p in PLANS for x in ("--policy", p)]


def test_five_example_plans():
    assert [p.stem for p in PLANS] == [
        "ae-plan",
        "csm-renewals",
        "manager-rollup",
        "marketing-attribution",
        "se-overlay",
    ]


def test_evaluate_prints_section_5_json_byte_identical_on_both_engines():
    first = run("evaluate", *_policies(), "--data", DEMO, "--period", "2026-Q3")
    assert first.exit_code == 0, first.output
    again = run(
        "evaluate", *_policies(), "--data", DEMO, "--period", "2026-Q3", "--engine", "python"
    )
    assert first.stdout == again.stdout
    out = json.loads(first.stdout)
    assert [p["policy"] for p in out["plans"]] == [p.stem for p in PLANS]
    assert [(s["participant"], s["plan"]) for s in out["statements"]] == sorted(
        (s["participant"], s["plan"]) for s in out["statements"]
    )


def test_evaluate_table_format():
    result = run(
        "evaluate",
        "--policy",
        EXAMPLES / "ae-plan.yaml",
        "--data",
        DEMO,
        "--period",
        "2026-Q3",
        "--format",
        "table",
    )
    assert result.exit_code == 0
    assert "ana - ae-plan (USD)" in result.stdout and "draw_recovery" in result.stdout


def test_invalid_data_exits_2_with_every_problem_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"participants": [{"id": "ana", "extra": 1}], "deals": [{"id": "D1"}]})
    )
    result = run(
        "evaluate", "--policy", EXAMPLES / "ae-plan.yaml", "--data", bad, "--period", "2026-Q3"
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "extra" in result.stderr and "amount" in result.stderr


def test_invalid_plan_exits_2(tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text("policy: x\n")
    result = run("evaluate", "--policy", plan, "--data", DEMO, "--period", "2026-Q3")
    assert result.exit_code == 2 and "bad.yaml" in result.stderr


def test_evaluation_error_exits_2(tmp_path):
    data = json.loads(DEMO.read_text())
    data["fx"] = {}
    path = tmp_path / "nofx.json"
    path.write_text(json.dumps(data))
    result = run("evaluate", *_policies(), "--data", path, "--period", "2026-Q3")
    assert result.exit_code == 2
    assert "D-106" in result.stderr and result.stdout == ""
    wrong_kind = run("evaluate", *_policies(), "--data", DEMO, "--period", "2026-07")
    assert wrong_kind.exit_code == 2 and "quarter" in wrong_kind.stderr


def test_accord_test_passes_on_the_examples():
    result = run("test", *PLANS)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("PASS") == 10


@pytest.fixture
def failing_plan(tmp_path):
    text = (EXAMPLES / "manager-rollup.yaml").read_text()
    text = text.replace('payable: "2500.00"', 'payable: "2400.00"')
    text = text.replace("data: data/demo.json", f"data: {DEMO.name}")
    (tmp_path / DEMO.name).write_text(DEMO.read_text())
    path = tmp_path / "manager-rollup.yaml"
    path.write_text(text)
    return path


def test_accord_test_reports_differences_and_exits_1(failing_plan):
    result = run("test", failing_plan)
    assert result.exit_code == 1
    assert "FAIL manager-rollup: demo quarter reaches the period cap" in result.stdout
    assert "mia payable: expected 2400.00, got 2500.00" in result.stdout
    assert "PASS manager-rollup: a manager without reports' deals earns nothing" in result.stdout


def test_accord_test_invalid_plan_exits_2(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("policy: broken-plan\ntitle: x\n")
    result = run("test", path)
    assert result.exit_code == 2 and "broken.yaml" in result.stderr
