"""An impact's per-participant rows broken down for the committee's charts.

    breakdown(rows, data, plan_key, on=period_end, movers=10)

From the `before/after/delta` rows of one window (`plans.impact`): the biggest winners
and losers (`movers` each way) with the rest summarised, the distribution of the
change (a histogram of deltas in round-width bins), and totals per team (the
participant's manager) and per function (their role on the plan on `on`). Computed with
the impact and stored in its JSON, so the page's charts, their CSVs and the API show the
same numbers to every voter. Amounts are exact decimal text, as in the rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from rules.model import Data, Participant

ZERO = Decimal("0.00")
NO_TEAM = "(no manager)"
NO_FUNCTION = "(no role)"
MAX_BINS = 10


def _delta(row: dict[str, str]) -> Decimal:
    return Decimal(row["delta"])


def movers(rows: list[dict[str, str]], count: int) -> dict[str, Any]:
    """The `count` biggest winners (largest delta first) and losers (most negative
    first), ties by participant, and what the rest add up to."""
    ordered = sorted(rows, key=lambda r: (-_delta(r), r["participant"]))
    up = [r for r in ordered if _delta(r) > 0]
    down = sorted(
        (r for r in ordered if _delta(r) < 0), key=lambda r: (_delta(r), r["participant"])
    )
    rest = up[count:] + down[count:]
    return {
        "winners": up[:count],
        "losers": down[:count],
        "rest": {
            "winners": len(up[count:]),
            "losers": len(down[count:]),
            "unchanged": sum(1 for r in rows if _delta(r) == 0),
            "delta": str(sum((_delta(r) for r in rest), ZERO)),
        },
    }


def _step(span: Decimal) -> Decimal:
    """A round bin width (1, 2 or 5 times a power of ten) giving at most MAX_BINS bins."""
    if span <= 0:
        return Decimal(1)
    raw = span / MAX_BINS
    power = Decimal(1).scaleb(raw.adjusted())
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10  # pragma: no cover - 10 always reaches it


def histogram(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """How many participants' pay changes by how much: bins [from, to) of a round
    width spanning every delta (the last bin holds its upper edge). No rows: none."""
    if not rows:
        return []
    deltas = [_delta(r) for r in rows]
    low, high = min(deltas), max(deltas)
    width = _step(high - low)
    start = (low / width).to_integral_value(rounding=ROUND_FLOOR) * width
    edges = [start]
    while edges[-1] + width <= high:
        edges.append(edges[-1] + width)
    counts = [0] * len(edges)
    for d in deltas:
        counts[min(int((d - start) // width), len(edges) - 1)] += 1
    return [
        {"from": str(_cents(e)), "to": str(_cents(e + width)), "count": n}
        for e, n in zip(edges, counts, strict=True)
    ]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(ZERO)


def _assignment_role(person: Participant | None, plan_key: str, on: date) -> str | None:
    if person is None:
        return None
    current = [
        a
        for a in person.assignments
        if a.plan == plan_key and a.start <= on and (a.end is None or on <= a.end)
    ]
    chosen = max(current, key=lambda a: a.recency(), default=None)
    return chosen.role if chosen else None


def _grouped(rows: list[dict[str, str]], group_of, key: str) -> list[dict[str, Any]]:
    sums: dict[str, list] = defaultdict(lambda: [0, ZERO, ZERO])
    for row in rows:
        entry = sums[group_of(row["participant"])]
        entry[0] += 1
        entry[1] += Decimal(row["before"])
        entry[2] += Decimal(row["after"])
    return [
        {key: name, "participants": n, "before": str(b), "after": str(a), "delta": str(a - b)}
        for name, (n, b, a) in sorted(sums.items())
    ]


def breakdown(
    rows: list[dict[str, str]], data: Data | None, plan_key: str, *, on: date, count: int
) -> dict[str, Any]:
    """The rows' movers, histogram, and totals per team and per function (see above)."""
    people = {p.id: p for p in data.participants} if data is not None else {}

    def team(who: str) -> str:
        person = people.get(who)
        return (person.manager if person else None) or NO_TEAM

    def function(who: str) -> str:
        return _assignment_role(people.get(who), plan_key, on) or NO_FUNCTION

    return {
        **movers(rows, count),
        "histogram": histogram(rows),
        "by_team": _grouped(rows, team, "team"),
        "by_function": _grouped(rows, function, "function"),
    }


def empty() -> dict[str, Any]:
    """A breakdown of no rows (what a frame, or a hidden impact, carries)."""
    return {
        "winners": [],
        "losers": [],
        "rest": {"winners": 0, "losers": 0, "unchanged": 0, "delta": "0.00"},
        "histogram": [],
        "by_team": [],
        "by_function": [],
    }
