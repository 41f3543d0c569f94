"""Test data for the rep home and the estimator: the examples' demo data imported and
examples/ae-plan.yaml active from 2026-01-01 (tiers, gates, a draw), today pinned to
2026-09-30; the estimator's answer recomputed by `accord evaluate` over files."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from governance.engine_input import database_json
from governance.plans import lifecycle
from governance.plans.lookup import export_yaml, version_governing
from governance.reps.estimate import HypotheticalDeal
from rules.commands.evaluate import command as evaluate_command
from rules.period import Period
from tests.support.statements import EXAMPLES, import_demo

TODAY = date(2026, 9, 30)


def ae_plan_active(db, author, *, data: bool = True) -> None:
    """examples/ae-plan.yaml (its embedded tests left out) active from 2026-01-01, and
    the demo data imported first unless `data` is false (already there)."""
    if data:
        import_demo(db)
    text = (EXAMPLES / "ae-plan.yaml").read_text().split("\ntests:")[0] + "\n"
    lifecycle.create_draft(db, author, text)
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2026, 1, 1))
    lifecycle.approve(db, None, "ae-plan", 1)
    lifecycle.activate(db, author, "ae-plan", 1)
    db.flush()


def cli_payable(
    db, tmp: Path, participant: str, deal: HypotheticalDeal, *, with_deal: bool
) -> Decimal:
    """`accord evaluate` of the plan version governing the deal's date over the whole
    database (up to its period's end), with or without the deal: the participant's
    payable."""
    day = deal.close_date
    version = version_governing(db, "ae-plan", day)
    period = Period.containing(day, "quarter")
    data = database_json(db, up_to=period.end)
    if with_deal:
        data["deals"].append(deal.section3(participant, "USD"))
    (tmp / "plan.yaml").write_text(export_yaml(version))
    (tmp / "data.json").write_text(json.dumps(data))
    args = ["--policy", str(tmp / "plan.yaml"), "--data", str(tmp / "data.json")]
    result = CliRunner().invoke(evaluate_command, [*args, "--period", period.name])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    return sum(
        (Decimal(s["payable"]) for s in output["statements"] if s["participant"] == participant),
        Decimal("0.00"),
    )
