"""The change-request page's impact charts, drawn from the stored impact's breakdowns.

    charts = impact_charts(impact, people)   # name -> charts.Chart, for page_or_csv

Per window (`forward`: the open period; `backward`: the completed periods): the winners
and losers (the biggest each way, sorted from the biggest gain to the biggest loss, the
rest as one bar), the distribution of the change
(participants per delta band), the totals per team (manager) and per function, and the
full per-participant list (`<window>-participants`, offered as CSV). Every number is
read from the impact JSON the API returns (`plans.impact_breakdown`), never recomputed
here, so the page, its CSVs and the API agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.charts import Chart
from governance.plans.impact_breakdown import NO_TEAM

WINDOWS = ("forward", "backward")


def window_impact(impact: Mapping[str, Any], window: str) -> Mapping[str, Any] | None:
    """The forward part, or the backward impact itself; None when not computed (a
    result stored before forward impacts, or none yet)."""
    part = impact.get("forward") if window == "forward" else impact
    if not part or "breakdown" not in part:
        return None
    return part


def label(who: str | None, people: Mapping[str, str | None]) -> str:
    """A participant as a chart reads them: `Name (id)`, or the id alone."""
    name = people.get(who) if who else None
    return f"{name} ({who})" if name else str(who)


def _money(rows, key: str) -> list[Decimal]:
    return [Decimal(r[key]) for r in rows]


def _movers(name: str, title: str, part, people) -> Chart:
    """Sorted from the biggest gain to the biggest loss, the rest as a last bar."""
    b = part["breakdown"]
    rows = [*b["winners"], *reversed(b["losers"])]
    labels = [label(r["participant"], people) for r in rows]
    values = _money(rows, "delta")
    rest = b["rest"]
    others = rest["winners"] + rest["losers"]
    if others:
        labels.append(f"{others} other participant(s) who change")
        values.append(Decimal(rest["delta"]))
    return Chart(
        name=name,
        title=title,
        labels=labels,
        series=[("Change", values)],
        options={"x_label_rotation": _rotation(labels)},
        height=360,
    )


def _rotation(labels: list[str]) -> int:
    """Slant the category labels when they would not fit side by side (~7 px a letter
    across a 640 px chart's ~540 px of plot)."""
    return 30 if 7 * max(map(len, labels), default=0) * len(labels) > 540 else 0


def _count_ticks(counts: list[int]) -> list[int]:
    """Whole-number ticks for a count axis (pygal would draw 0.2, 0.4, ... as 0, 0)."""
    top = max(counts, default=0)
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step))


def _groups(name: str, title: str, rows, key: str, people) -> Chart:
    names = [label(r[key], people) if key == "team" and r[key] != NO_TEAM else r[key] for r in rows]
    return Chart(
        name=name,
        title=title,
        labels=names,
        series=[
            ("Before", _money(rows, "before")),
            ("After", _money(rows, "after")),
            ("Change", _money(rows, "delta")),
        ],
        options={"x_label_rotation": _rotation(names)},
        height=360,
    )


def _window_charts(window: str, part, people, span: str) -> list[Chart]:
    b = part["breakdown"]
    rows = part["participants"]
    counts = [h["count"] for h in b["histogram"]]
    return [
        _movers(f"{window}-movers", f"Winners and losers, {span}", part, people),
        Chart(
            name=f"{window}-distribution",
            title=f"Distribution of the change, {span}",
            labels=[f"{h['from']} to {h['to']}" for h in b["histogram"]],
            series=[("Participants", counts)],
            unit="count",
            options={"x_label_rotation": 30, "y_labels": _count_ticks(counts)},
            height=360,
        ),
        _groups(f"{window}-teams", f"Per team (manager), {span}", b["by_team"], "team", people),
        _groups(
            f"{window}-functions", f"Per function, {span}", b["by_function"], "function", people
        ),
        Chart(
            name=f"{window}-participants",
            title=f"Every participant, {span}",
            labels=[label(r["participant"], people) for r in rows],
            series=[
                ("Before", _money(rows, "before")),
                ("After", _money(rows, "after")),
                ("Change", _money(rows, "delta")),
            ],
        ),
    ]


def span(impact: Mapping[str, Any], window: str) -> str:
    """The period(s) a window covers, as its charts' titles say."""
    if window == "forward":
        return f"{impact['forward']['period']} (open)"
    periods = impact.get("periods") or []
    return f"{periods[0]} to {periods[-1]}" if len(periods) > 1 else "".join(periods)


def spans(impact: Mapping[str, Any]) -> dict[str, str]:
    """Each computed window's periods, as its heading says."""
    return {w: span(impact, w) for w in WINDOWS if window_impact(impact, w) is not None}


def impact_charts(
    impact: Mapping[str, Any], people: Mapping[str, str | None], *, done: bool
) -> dict[str, Chart]:
    """The charts of both windows of a computed impact (none while it is computed, or
    when its participants are hidden from the reader)."""
    if not done or impact.get("participants_hidden"):
        return {}
    out: dict[str, Chart] = {}
    for window in WINDOWS:
        part = window_impact(impact, window)
        if part is not None:
            for chart in _window_charts(window, part, people, span(impact, window)):
                out[chart.name] = chart
    return out


def participant_ids(impact: Mapping[str, Any]) -> list[str]:
    """Every participant and manager the impact's charts name (to look their names up)."""
    found: list[str] = []
    for window in WINDOWS:
        part = window_impact(impact, window)
        if part is not None:
            found += [r["participant"] for r in part["participants"]]
            found += [t["team"] for t in part["breakdown"]["by_team"]]
    return found
