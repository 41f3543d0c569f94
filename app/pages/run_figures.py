"""The payout run page's charts, from `governance.payouts.figures.run_figures`: payable
by plan and by team, the statements per payable bucket, and the change by plan against
the previous period's run. A label carries its currency only when the run has several."""

from __future__ import annotations

from typing import Any

from app.charts import Chart

BY_PLAN, BY_TEAM, DISTRIBUTION, CHANGE = "by-plan", "by-team", "distribution", "change"


def _label(row: dict[str, Any], key: str, several: bool) -> str:
    return f"{row[key]} ({row['currency']})" if several else str(row[key])


def _several(rows: list[dict[str, Any]]) -> bool:
    return len({r["currency"] for r in rows}) > 1


def _payable(name: str, title: str, rows: list[dict[str, Any]], key: str, kind: str) -> Chart:
    """Payable per `key` (plan or team)."""
    several = _several(rows)
    return Chart(
        name=name,
        title=title,
        labels=[_label(r, key, several) for r in rows],
        series=[("Payable", [r["payable"] for r in rows])],
        kind=kind,
        category=key.capitalize(),
        height=max(240, 60 + 26 * len(rows)) if kind == "hbar" else 320,
    )


def run_charts(figures: dict[str, Any]) -> dict[str, Chart]:
    """The run page's charts by name (each answered as ?csv=name)."""
    period, previous = figures["period"], figures["previous"]
    dist = figures["distribution"]
    several = _several(dist)
    charts = [
        _payable(BY_PLAN, f"Payable by plan, {period}", figures["by_plan"], "plan", "bar"),
        _payable(BY_TEAM, f"Payable by team, {period}", figures["by_team"], "team", "hbar"),
        Chart(
            name=DISTRIBUTION,
            title=f"Statements by payable, {period}",
            labels=[_label(r, "bucket", several) for r in dist],
            series=[("Statements", [r["statements"] for r in dist])],
            unit="count",
            category="Payable",
        ),
    ]
    if previous:
        rows = figures["change_by_plan"]
        several = _several(rows)
        charts.append(
            Chart(
                name=CHANGE,
                title=f"Payable by plan, {previous['period']} and {period}",
                labels=[_label(r, "plan", several) for r in rows],
                series=[
                    (previous["period"], [r["previous"] for r in rows]),
                    (period, [r["payable"] for r in rows]),
                    ("Change", [r["change"] for r in rows]),
                ],
                category="Plan",
                options={"print_values": False},  # three series: the table has them
            )
        )
    return {c.name: c for c in charts}
