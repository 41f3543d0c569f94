"""Section-5 output: statements as JSON-ready dicts, the canonical JSON text, and a
readable per-participant statement table for people.
"""

from __future__ import annotations

from typing import Any, BinaryIO, TextIO

import orjson

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


# orjson's 2-space indent writes exactly what `json.dumps(indent=2, ensure_ascii=False)`
# wrote before it (same separators, same escapes, key order kept): docs/decisions.md,
# "Evaluate speed (issue 14)". Anything that is not JSON (a Decimal, a date) is refused, as
# `json` refused it: every number of the output is already text (`money`, `plain`).
_INDENT = orjson.OPT_INDENT_2


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_refuse, option=_INDENT)


# An element of a top-level list is encoded inside `{"": [element]}`: orjson indents it to
# its depth in the whole output by itself, and a view past the wrapper is yielded. That
# costs what encoding the element alone does; re-indenting its text with `bytes.replace`
# cost a quarter more (docs/decisions.md, "Commission step speed (issue 14)").
_WRAP_HEAD = len(b'{\n  "": [\n    ')
_WRAP_TAIL = len(b"\n  ]\n}")


def _element(item: Any) -> memoryview:
    return memoryview(_dumps({"": [item]}))[_WRAP_HEAD:-_WRAP_TAIL]


def to_json(output: dict[str, Any]) -> str:
    """The one serialisation: same input, byte-identical text."""
    return b"".join(iter_json(output)).decode("utf-8")


def iter_json(output: dict[str, Any]) -> Any:
    """The UTF-8 text of `to_json(output)` in bytes-like pieces (bytes, memoryview): each
    element of a top-level list is encoded on its own (a large output is never one
    string), at its depth."""
    if not output:
        yield b"{}"
        return
    yield b"{"
    for n, (key, value) in enumerate(output.items()):
        yield b"\n  " if n == 0 else b",\n  "
        yield orjson.dumps(key)
        yield b": "
        if isinstance(value, list) and value:
            yield b"["
            for i, item in enumerate(value):
                yield b"\n    " if i == 0 else b",\n    "
                yield _element(item)
            yield b"\n  ]"
        else:
            yield _dumps(value).replace(b"\n", b"\n  ")
    yield b"\n}"


def write_json(output: dict[str, Any], stream: TextIO | BinaryIO) -> None:
    """`to_json(output)` written piece by piece, as bytes when the stream has a buffer."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        stream.flush()
        for piece in iter_json(output):
            binary.write(piece)
        binary.flush()
    else:
        for piece in iter_json(output):
            stream.write(str(piece, "utf-8"))


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
