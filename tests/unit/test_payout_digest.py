"""The payout run's fast `digest` (orjson) hashes exactly as `audit.sha256_json`.

Statements, input slices and runs are hashed with `governance.payouts.build.digest`;
stored hashes (and votes bound to them) were made with `sha256_json`, so both must give
the same value on every document a run hashes (docs/decisions.md, "Batch speed").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from governance.audit import sha256_json
from governance.payouts.build import _hashed_line, digest
from rules.canonical import DecimalText
from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

ODD_TEXT = "".join(chr(i) for i in range(0x80)) + "é€😀\u2028\u2029\ufeff\x7f"


@pytest.mark.parametrize(
    "document",
    [
        {"b": [ODD_TEXT, DecimalText("1.50"), 3, None, True, False], "a": {"z": 1, "é": []}},
        [{"Z": 2, "a": -(2**63), "b": 2**63 - 1}, "", {}, []],
        {"key \n\t\"'\\": ODD_TEXT[::-1], "ключ": "значение", "鍵": "値"},
    ],
)
def test_same_as_sha256_json(document):
    assert digest(document) == sha256_json(document)


@pytest.mark.parametrize("document", [{1: "int key"}, [2**64]])
def test_what_orjson_refuses_is_hashed_by_sha256_json(document):
    assert digest(document) == sha256_json(document)


def test_a_lone_surrogate_is_refused_as_before():
    with pytest.raises(UnicodeEncodeError):
        sha256_json(["lone \ud800 surrogate"])
    with pytest.raises(UnicodeEncodeError):
        digest(["lone \ud800 surrogate"])


@pytest.mark.parametrize("period", ["2026-Q2", "2026-Q3", "2026-Q4"])
def test_same_on_every_statement_of_the_examples(period):
    """The result-hash document of every statement of the five example plans over the
    demo data (splits, teams, touchpoints, FX, exceptions, draws...), and every input
    slice."""
    plans = [
        load_plan(p.read_text(encoding="utf-8"), base_dir=EXAMPLES)
        for p in sorted(EXAMPLES.glob("*.yaml"))
    ]
    raw = json.loads((EXAMPLES / "data" / "demo.json").read_text(encoding="utf-8"))
    output = evaluate(plans, load_data(raw), period)
    assert output["statements"]
    for statement in output["statements"]:
        lines = [_hashed_line(ln | {"version": "sha256:v"}) for ln in statement["lines"]]
        document = lines + [statement["quota"], statement["credited"], statement["draw_balance"]]
        assert digest(document) == sha256_json(document)
        assert digest(statement) == sha256_json(statement)
    assert digest(raw) == sha256_json(raw)
