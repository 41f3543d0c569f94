"""Section-5 output: statements as JSON-ready dicts, the canonical JSON text, and a
readable per-participant statement table for people.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from rules.evaluation.ledger import Line, Statement
from rules.evaluation.numbers import fixed, money, plain


def line_dict(line: Line) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "deal": line.deal,
        "rule": line.rule,
        "share": plain(line.share),
        "credit": money(line.credit),
        "rate": plain(line.rate),
        "amount": money(line.amount),
        "status": line.status,
        "trace": line.trace,
    }


def statement_dict(st: Statement, plan: str, currency: str) -> dict[str, Any]:
    return {
        "participant": st.participant,
        "plan": plan,
        "currency": currency,
        "quota": money(st.quota),
        "credited": money(st.credited),
        "attainment": fixed(st.attainment, 4),
        "payable": money(st.payable),
        "held": money(st.held),
        "draw_balance": money(st.draw_balance),
        "lines": [line_dict(line) for line in st.lines],
    }


def to_json(output: dict[str, Any]) -> str:
    """The one serialisation: same input, byte-identical text."""
    return json.dumps(output, sort_keys=False, ensure_ascii=False, indent=2)


def write_json(output: dict[str, Any], stream: TextIO) -> None:
    """`to_json(output)` written piece by piece (a large output is never one string)."""
    json.dump(output, stream, sort_keys=False, ensure_ascii=False, indent=2)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def to_table(output: dict[str, Any]) -> str:
    """A plain-text statement per participant and plan, for reading in a terminal."""
    out = [f"Period {output['period']}"]
    for plan in output["plans"]:
        out.append(f"  plan {plan['policy']} {plan['version']}")
    for st in output["statements"]:
        out.append("")
        out.append(f"{st['participant']} - {st['plan']} ({st['currency']})")
        out.append(
            f"  quota {_cell(st['quota'])}  credited {st['credited']}  attainment "
            f"{_cell(st['attainment'])}  payable {st['payable']}  held {st['held']}  "
            f"draw balance {st['draw_balance']}"
        )
        header = ("kind", "deal", "rule", "share", "credit", "rate", "amount", "status")
        rows = [header] + [tuple(_cell(line[key]) for key in header) for line in st["lines"]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        right = {"share", "credit", "rate", "amount"}
        for row in rows:
            cells = [
                cell.rjust(w) if name in right else cell.ljust(w)
                for cell, w, name in zip(row, widths, header, strict=True)
            ]
            out.append("  " + "  ".join(cells).rstrip())
        if not st["lines"]:
            out.append("  (no lines)")
    if output["warnings"]:
        out.append("")
        out.append("Warnings")
        out.extend(f"  - {w}" for w in output["warnings"])
    return "\n".join(out) + "\n"
