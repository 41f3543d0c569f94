"""Why did my pay change? Two sets of one participant's lines compared, line by line.

    result = compare_lines(before, after, labels=("2026-Q3", "2026-Q4"))
    result = compare_lines(before, after, plan_diff=diff, versions=("ae-plan/2", "ae-plan/3"))

Lines are mappings in the statement-line shape (`kind`, `deal`, `rule`, `status`,
`amount`, `currency`, `trace`; optionally `plan`, `plan_version`, `adjusts_period`,
`reason`): a run's `PayoutLine`s as `statements.read` lists them, or the engine's lines.
They are matched by what they pay for: (plan, kind, deal, rule, adjusted period,
currency), the n-th of equal keys with the n-th, as a run's `line_key` does. A line's
*pay* is what it adds to the statement's payable: its amount when payable, else 0. Each
line added, removed or changed gets its causes, read from the two traces and, for a plan
change, the structural diff of the two plan versions (`governance.plans.diff`): which
rule and which field, the deal's amount or split, the FX rate, an exception, a clawback,
a hold or a release, the attainment. Only when none is found: "the amount changed", with both
traces. Pure: no database, no Flask. Money is Decimal throughout; the delta of each
currency's totals is the sum of its lines' deltas.

What counts as a cause: docs/decisions.md, "Why did my pay change?".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from governance.plans.diff import PlanDiff
from governance.statements.pay_causes import Cause, Context, causes_of, money, show

ZERO = Decimal("0.00")
Line = Mapping[str, Any]
Key = tuple[Any, ...]

# Cause kinds, in the order a chart lists them.
CAUSE_KINDS = (
    "plan",
    "deal",
    "fx",
    "exception",
    "clawback",
    "hold",
    "release",
    "attainment",
    "eligibility",
    "cap",
    "draw",
    "adjustment",
    "period",
    "amount",
)
CAUSE_NAMES = {
    "plan": "Plan version",
    "deal": "Deal",
    "fx": "FX rate",
    "exception": "Exception",
    "clawback": "Clawback",
    "hold": "Hold",
    "release": "Release",
    "attainment": "Attainment",
    "eligibility": "Eligibility",
    "cap": "Cap",
    "draw": "Draw",
    "adjustment": "Prior-period adjustment",
    "period": "Deals of the period",
    "amount": "Amount (no cause found)",
}


def pay(line: Line | None) -> Decimal:
    """What a line adds to the statement's payable."""
    if line is None or (line.get("status") or "payable") != "payable":
        return ZERO
    return money(line.get("amount"))


def signed(value: Decimal) -> str:
    return f"+{value:,.2f}" if value > 0 else f"{value:,.2f}"


@dataclass
class LineChange:
    change: str  # added, removed, changed
    kind: str
    deal: str | None
    rule: str | None
    currency: str
    before: Decimal  # pay before (0 when added)
    after: Decimal
    status_before: str | None
    status_after: str | None
    amount_before: Decimal | None
    amount_after: Decimal | None
    summary: str = ""
    causes: list[Cause] = field(default_factory=list)
    traces: tuple[list[Any], list[Any]] | None = None  # only when no cause was found

    @property
    def delta(self) -> Decimal:
        return self.after - self.before

    @property
    def cause(self) -> str:
        """The kind the delta is charted under: the first cause's."""
        return self.causes[0].kind if self.causes else "amount"

    def as_dict(self) -> dict[str, Any]:
        out = {
            "change": self.change,
            "kind": self.kind,
            "deal": self.deal,
            "rule": self.rule,
            "currency": self.currency,
            "before": self.before,
            "after": self.after,
            "delta": self.delta,
            "status_before": self.status_before,
            "status_after": self.status_after,
            "amount_before": self.amount_before,
            "amount_after": self.amount_after,
            "summary": self.summary,
            "causes": [c.as_dict() for c in self.causes],
        }
        if self.traces is not None:
            out["trace_before"], out["trace_after"] = self.traces
        return out


@dataclass
class PayChanges:
    changes: list[LineChange]
    before: dict[str, Decimal]  # currency -> payable over the lines
    after: dict[str, Decimal]
    unchanged: int = 0

    def totals(self) -> list[dict[str, Any]]:
        out = []
        for currency in sorted(set(self.before) | set(self.after)):
            b, a = self.before.get(currency, ZERO), self.after.get(currency, ZERO)
            out.append({"currency": currency, "before": b, "after": a, "delta": a - b})
        return out

    def by_cause(self) -> list[dict[str, Any]]:
        """The delta per (currency, first cause), in CAUSE_KINDS order."""
        sums: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for c in self.changes:
            sums[(c.currency, c.cause)] += c.delta
            counts[(c.currency, c.cause)] += 1
        order = {k: i for i, k in enumerate(CAUSE_KINDS)}
        return [
            {
                "currency": cur,
                "cause": kind,
                "name": CAUSE_NAMES.get(kind, kind),
                "lines": counts[(cur, kind)],
                "delta": sums[(cur, kind)],
            }
            for cur, kind in sorted(sums, key=lambda k: (k[0], order.get(k[1], 99)))
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.as_dict() for c in self.changes],
            "totals": self.totals(),
            "by_cause": self.by_cause(),
            "unchanged_lines": self.unchanged,
        }


# --------------------------------------------------------------------------- matching


def line_identity(line: Line) -> Key:
    """What a line pays for: plan, kind, deal, rule, the period it adjusts, currency."""
    return (
        line.get("plan"),
        line.get("kind"),
        line.get("deal"),
        line.get("rule"),
        line.get("adjusts_period"),
        _currency(line),  # a line in another currency is another line: totals by currency
    )


def _keyed(lines: Sequence[Line]) -> dict[Key, Line]:
    seen: dict[Key, int] = defaultdict(int)
    out: dict[Key, Line] = {}
    for line in lines:
        identity = line_identity(line)
        out[(*identity, seen[identity])] = line
        seen[identity] += 1
    return out


def compare_lines(
    before: Sequence[Line],
    after: Sequence[Line],
    *,
    labels: tuple[str, str] = ("before", "after"),
    versions: tuple[str | None, str | None] = (None, None),
    plan_diff: PlanDiff | None = None,
    same_period: bool = True,
) -> PayChanges:
    """Every line added, removed or changed from `before` to `after`, with its causes."""
    ctx = Context(labels, versions, plan_diff, same_period)
    old, new = _keyed(before), _keyed(after)
    changes: list[LineChange] = []
    unchanged = 0
    for key in [*old, *(k for k in new if k not in old)]:
        b, a = old.get(key), new.get(key)
        if b is not None and a is not None and not _differs(b, a):
            unchanged += 1
            continue
        changes.append(_change(b, a, ctx))
    totals_before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    totals_after: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in before:
        totals_before[_currency(line)] += pay(line)
    for line in after:
        totals_after[_currency(line)] += pay(line)
    changes.sort(key=lambda c: (-abs(c.delta), c.kind, c.deal or "", c.rule or ""))
    return PayChanges(changes, dict(totals_before), dict(totals_after), unchanged)


def _currency(line: Line) -> str:
    return str(line.get("currency") or "")


def _differs(b: Line, a: Line) -> bool:
    return money(b.get("amount")) != money(a.get("amount")) or (b.get("status") or "payable") != (
        a.get("status") or "payable"
    )


def _change(b: Line | None, a: Line | None, ctx: Context) -> LineChange:
    line = a if a is not None else b
    assert line is not None
    change = "added" if b is None else "removed" if a is None else "changed"
    out = LineChange(
        change=change,
        kind=str(line.get("kind") or ""),
        deal=line.get("deal"),
        rule=line.get("rule"),
        currency=_currency(line),
        before=pay(b),
        after=pay(a),
        status_before=None if b is None else (b.get("status") or "payable"),
        status_after=None if a is None else (a.get("status") or "payable"),
        amount_before=None if b is None else money(b.get("amount")),
        amount_after=None if a is None else money(a.get("amount")),
    )
    out.causes = causes_of(b, a, ctx)
    if not out.causes:
        out.causes = [Cause("amount", _fallback(out))]
        out.traces = (list((b or {}).get("trace") or []), list((a or {}).get("trace") or []))
    out.summary = summary(out, ctx)
    return out


def _fallback(c: LineChange) -> str:
    return (
        f"The amount changed from {show(c.amount_before or ZERO)} to "
        f"{show(c.amount_after or ZERO)} {c.currency}; no cause was found in the traces "
        "(both are shown)."
    )


def what(c: LineChange | Line) -> str:
    """'Commission on deal D-101 (credit rule owner)' and the like."""
    get = c.get if isinstance(c, Mapping) else lambda k: getattr(c, k)
    kind, deal, rule = get("kind"), get("deal"), get("rule")
    if kind == "commission":
        return f"Commission on deal {deal} (credit rule {rule})"
    if kind == "spif":
        return f"SPIF {rule} on deal {deal}"
    if kind in ("clawback", "forfeit"):
        return f"{kind.capitalize()} {rule} on deal {deal}"
    if kind == "release":
        return f"Release on deal {deal}"
    if kind == "adjustment":
        return f"Adjustment {rule}"
    name = str(kind).replace("_", " ").capitalize()
    return f"{name} {rule}" if rule else name


def _state(amount: Decimal | None, status: str | None, currency: str) -> str:
    if amount is None:
        return "no line"
    if status == "payable":
        return f"{show(amount)} {currency} payable"
    if status == "held":
        return f"{show(amount)} {currency} held"
    return f"{status} ({show(amount)} {currency}, pays nothing)"


def summary(c: LineChange, ctx: Context) -> str:
    b, a = ctx.labels
    head = what(c)
    if c.change == "added":
        text = f"{head}: new in {a}, {_state(c.amount_after, c.status_after, c.currency)}"
    elif c.change == "removed":
        text = f"{head}: in {b} only, was {_state(c.amount_before, c.status_before, c.currency)}"
    else:
        text = (
            f"{head}: {_state(c.amount_before, c.status_before, c.currency)} in {b}, "
            f"{_state(c.amount_after, c.status_after, c.currency)} in {a}"
        )
    return f"{text}; your pay {signed(c.delta)} {c.currency}."
