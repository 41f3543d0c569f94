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


@pytest.mark.parametrize("period", ["0000-Q1", "0000-01", "0000"])
def test_year_zero_period_exits_2_naming_the_period(period):
    """Issue 17 item 4: `date()` has no year 0; the period parser said so with a traceback.
    Spec section 6: bad input exits 2 with the problem on stderr."""
    result = run(
        "evaluate", "--policy", EXAMPLES / "ae-plan.yaml", "--data", DEMO, "--period", period
    )
    assert result.exit_code == 2
    expected = f"error: period: {period!r} is not a period: years run from 0001 to 9999\n"
    assert result.stderr == expected


@pytest.mark.parametrize("period", ["２０２６-Q3", "2026-Q3\n", "2026-Q٣"])
def test_period_digits_are_ascii_only(period):
    """`\\d` matched any Unicode digit: full-width `２０２６-Q3` was read as 2026-Q3."""
    result = run(
        "evaluate", "--policy", EXAMPLES / "ae-plan.yaml", "--data", DEMO, "--period", period
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: period: ") and "is not a period" in result.stderr


@pytest.mark.parametrize("char", ["\x07", "\x00"])
def test_control_character_in_a_plan_exits_2_with_line_and_column(tmp_path, char):
    """PyYAML's ReaderError (raised before parsing starts) escaped as a traceback; a YAML
    syntax error was already located, and now so is an unacceptable character."""
    plan = tmp_path / "ctl.yaml"
    plan.write_text(f"policy: ae-plan\ntitle: A{char}E\n", encoding="utf-8")  # column 9
    result = run("evaluate", "--policy", plan, "--data", DEMO, "--period", "2026-Q3")
    assert result.exit_code == 2 and "Traceback" not in result.output
    code = f"{ord(char):04X}"
    assert result.stderr == (
        f"{plan}: error: line 2, column 9: character U+{code} is not allowed in YAML "
        f'text: remove it (or write it as the escape "\\u{code}" inside double quotes)\n'
    )


def test_year_zero_in_data_is_a_located_data_error(tmp_path):
    """The same parser reads quota periods: `0000-Q1` there raised ValueError uncaught."""
    data = json.loads(DEMO.read_text())
    data["quotas"][0]["period"] = "0000-Q1"
    path = tmp_path / "q0.json"
    path.write_text(json.dumps(data))
    result = run(
        "evaluate", "--policy", EXAMPLES / "ae-plan.yaml", "--data", path, "--period", "2026-Q3"
    )
    assert result.exit_code == 2
    assert f"{path}: error: $.quotas[0].period: '0000-Q1' is not a period" in result.stderr


SMILE_PLAN_JSON = (
    '{"policy": "smile", "title": "S", "currency": "USD", "period": "quarter",'
    ' "credit": [{"id": "owner", "to": "owner"}],'
    ' "rates": [{"id": "smile", "when": "deal.account == \\"\\\\ud83d\\\\ude42 Corp\\"",'
    ' "rate": 0.1}, {"id": "other", "rate": 0.01}]}'
)
# YAML decodes the escapes itself (into two surrogates) before the condition is read.
SMILE_PLAN_YAML = """policy: smile
title: S
currency: USD
period: quarter
credit: [{id: owner, to: owner}]
rates:
  - {id: smile, when: "deal.account == '\\ud83d\\ude42 Corp'", rate: 0.1}
  - {id: other, rate: 0.01}
""".replace("'", '\\"')


@pytest.mark.parametrize(
    ("name", "text"), [("p.json", SMILE_PLAN_JSON), ("p.yaml", SMILE_PLAN_YAML)]
)
def test_string_literals_mean_the_same_to_both_engines(tmp_path, name, text):
    """Issue 17 item 6: "🙂 Corp" written as a surrogate-pair escape matched the deal when
    durable-rules decided and not with --engine python (10.00 instead of 100.00). Both
    engines now see the one character: 1,000 x 0.10 = 100.00, byte-identical output."""
    plan = tmp_path / name
    plan.write_text(text)
    data = tmp_path / "d.json"
    data.write_text(
        json.dumps(
            {
                "participants": [
                    {"id": "ana", "assignments": [{"plan": "smile", "start": "2026-01-01"}]}
                ],
                "deals": [
                    {
                        "id": "D1",
                        "account": "🙂 Corp",
                        "amount": "1000",
                        "currency": "USD",
                        "close_date": "2026-07-01",
                        "owner": "ana",
                    }
                ],
            }
        )
    )
    runs = [
        run("evaluate", "--policy", plan, "--data", data, "--period", "2026-Q3", "--engine", engine)
        for engine in ("durable", "python")
    ]
    assert [r.exit_code for r in runs] == [0, 0], runs[0].output
    assert runs[0].stdout == runs[1].stdout
    (line,) = json.loads(runs[0].stdout)["statements"][0]["lines"]
    assert (line["rule"], line["amount"]) == ("owner", "100.00")
    assert line["trace"][1]["rule"] == "smile"


def test_lone_surrogates_in_a_plan_or_data_exit_2_naming_where(tmp_path):
    """A lone `\\ud83d` is not a character: it cannot be hashed (UTF-8) or printed, and
    `accord lint` died with UnicodeEncodeError. Now a located error, in plans and data."""
    plan = tmp_path / "p.json"
    plan.write_text(SMILE_PLAN_JSON.replace('"title": "S"', '"title": "S\\ud83d"'))
    data = tmp_path / "d.json"
    data.write_text('{"participants": [{"id": "ana", "name": "A\\ude42"}]}')
    result = run("evaluate", "--policy", plan, "--data", data, "--period", "2026-Q3")
    assert result.exit_code == 2 and "Traceback" not in result.output
    lone = "contains a lone UTF-16 surrogate (an escape such as \\ud83d without its pair)"
    assert result.stderr.splitlines() == [
        f"{plan}: error: $.title: the text {lone}, which is not a character",
        f"{data}: error: $.participants[0].name: the text {lone}, which is not a character",
    ]


def test_overlapping_assignments_warn_on_stderr_and_still_exit_0(tmp_path):
    data = json.loads(DEMO.read_text())
    ana = next(p for p in data["participants"] if p["id"] == "ana")
    first = next(a for a in ana["assignments"] if a["plan"] == "ae-plan")
    ana["assignments"].append({**first, "role": "SE", "start": "2026-08-01", "end": None})
    path = tmp_path / "overlap.json"
    path.write_text(json.dumps(data))
    result = run(
        "evaluate", "--policy", EXAMPLES / "ae-plan.yaml", "--data", path, "--period", "2026-Q3"
    )
    assert result.exit_code == 0 and json.loads(result.stdout)["statements"]
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{path}: warning: $.participants[")
    assert "[overlapping-assignments] participant ana: assignments to plan ae-plan" in line
