"""`accord evaluate` writes exactly what it wrote before issue 14's speed-ups (orjson output,
one assert per deal, the fast data path): byte for byte, on both engines, run after run.

The golden files were written by the code before the change (tests/golden/evaluate/README.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from tests.support.cli import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden" / "evaluate"
# The bench plan over bench/evaluate.py's make_data(400), period 2026-Q3, before the change.
BENCH_400_SHA256 = "fb9d79ecf303af32d5ece70afe80eaa6f98bca90e529ff8ddbf8881fd0688e3a"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _policies() -> list:
    return [x for p in sorted(EXAMPLES.glob("*.yaml")) for x in ("--policy", p)]


@pytest.mark.parametrize("engine", ["durable", "python"])
@pytest.mark.parametrize("period", ["2026-Q2", "2026-Q3", "2026-Q4"])
def test_demo_output_is_the_golden_file_byte_for_byte(period, engine):
    args = ("evaluate", *_policies(), "--data", EXAMPLES / "data" / "demo.json")
    result = run(*args, "--period", period, "--engine", engine)
    assert result.exit_code == 0, result.stderr
    golden = (GOLDEN / f"demo-{period}.json").read_bytes()
    assert result.stdout_bytes == golden
    assert run(*args, "--period", period, "--engine", engine).stdout_bytes == golden


@pytest.mark.parametrize("engine", ["durable", "python"])
def test_bench_output_hashes_as_before(tmp_path, engine):
    bench = _bench()
    plan, data = tmp_path / "plan.yaml", tmp_path / "data.json"
    plan.write_text(bench.PLAN, encoding="utf-8")
    data.write_text(json.dumps(bench.make_data(400)), encoding="utf-8")
    args = ("evaluate", "--policy", plan, "--data", data, "--period", "2026-Q3")
    result = run(*args, "--engine", engine)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    owners: dict[str, set[str]] = {}
    for statement in out["statements"]:
        for line in statement["lines"]:
            owners.setdefault(line["deal"], set()).add(statement["participant"])
    assert any(len(people) == 2 for people in owners.values())  # split deals: 2 lines each
    assert hashlib.sha256(result.stdout_bytes).hexdigest() == BENCH_400_SHA256
