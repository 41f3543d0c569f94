"""The manager's block of the home page: the team's attainment side by side, payable per
person, and the disputes open on the team's lines (governance.statements.team).

    block = team_block(session, user)       # None for someone who manages nobody
    block.charts                            # {name: Chart}, answered as ?csv=name on /
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.charts import Chart
from governance.statements.team import team_figures

ATTAINMENT, PAYABLE = "team-attainment", "team-payable"


@dataclass(frozen=True)
class TeamBlock:
    figures: dict[str, Any]
    charts: dict[str, Chart] = field(default_factory=dict)


def _labels(rows: list[dict[str, Any]]) -> list[str]:
    """A person's name; with the plan when they have more than one statement."""
    several = {
        r["participant"]
        for r in rows
        if sum(x["participant"] == r["participant"] for x in rows) > 1
    }
    return [
        f"{r['name']} ({r['plan']})" if r["participant"] in several else r["name"] for r in rows
    ]


def attainment_chart(figures: dict[str, Any]) -> Chart:
    rows, run = figures["attainment"], figures["run"]
    return Chart(
        name=ATTAINMENT,
        title=f"Team attainment, {run.period}" if run else "Team attainment",
        labels=_labels(rows),
        series=[("Attainment", [r["attainment"] for r in rows])],
        kind="hbar",
        unit="percent",
        category="Person",
        height=max(200, 40 + 28 * len(rows)),
    )


def payable_chart(figures: dict[str, Any]) -> Chart:
    """Payable per person; one series per currency (no sum across currencies)."""
    rows, run = figures["payable"], figures["run"]
    people = list(dict.fromkeys((r["participant"], r["name"]) for r in rows))
    currencies = sorted({r["currency"] for r in rows})
    amount = {(r["participant"], r["currency"]): r["payable"] for r in rows}
    return Chart(
        name=PAYABLE,
        title=f"Payable per person, {run.period}" if run else "Payable per person",
        labels=[name for _, name in people],
        series=[(f"Payable {c}", [amount.get((p, c)) for p, _ in people]) for c in currencies],
        kind="hbar",
        unit="money",
        category="Person",
        height=max(200, 40 + 28 * len(people)),
    )


def team_block(session: Session, user) -> TeamBlock | None:
    """The block and its charts, or None when `user` manages no one."""
    figures = team_figures(session, user)
    if figures is None:
        return None
    charts = {c.name: c for c in (attainment_chart(figures), payable_chart(figures))}
    return TeamBlock(figures, charts)
