"""What changed since the run's previous build, line by line (issue 16): a re-run keeps
the statements it replaces with their lines (`build_diff.keep_replaced`) and marks the
ones it adds, for its latest build only; `statement_changes(..., "previous-build")`
compares them with the statement now. The fan-out path keeps the same rows:
tests/integration/test_payout_fanout.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from governance.imports.service import import_data
from governance.payouts import build_diff
from governance.payouts.runs import start_run
from governance.statements.compare import statement_changes
from models import PayoutBuildChange, ReplacedLine, ReplacedStatement, Statement
from tests.integration.payout_support import activate_plan, close_people, organisation

PERIOD = "2026-Q3"


@pytest.fixture
def people(db, make_user):
    return close_people(db, make_user)


def _statement(db, run, participant: str) -> Statement:
    return db.scalars(
        select(Statement).where(Statement.run_id == run.id, Statement.participant_id == participant)
    ).one()


def _changes(db, people, run, participant: str) -> dict:
    st = _statement(db, run, participant)
    return statement_changes(db, people["admin"], st.id, against="previous-build")


def _add_up(body: dict) -> None:
    """The statement's delta is the sum of its lines' deltas, and the charted causes'."""
    (total,) = body["totals"]
    deltas = sum((c["delta"] for c in body["changes"]), Decimal(0))
    assert total["delta"] == deltas == total["after"] - total["before"]
    assert sum((c["delta"] for c in body["by_cause"]), Decimal(0)) == deltas


def test_a_plan_change_is_explained_line_by_line_against_the_previous_build(db, people):
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    activate_plan(db, rate="0.03", effective=date(2026, 7, 1))
    db.commit()
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    body = _changes(db, people, run, "ana")
    assert body["line_level"] is True and body["note"] is None
    assert body["compared_with"]["build"] == 1 and body["compared_with"]["label"] == "build 1"
    assert body["compared_with"]["plan_versions"] == ["pay-plan/1", "pay-plan/2"]
    _add_up(body)
    # What the build recorded for ana's payable is what her lines add up to.
    build = build_diff.build_of(db, run)
    moved = db.scalars(
        select(PayoutBuildChange).where(
            PayoutBuildChange.build_id == build.id, PayoutBuildChange.participant_id == "ana"
        )
    ).one()
    (total,) = body["totals"]
    assert (total["before"], total["after"]) == (moved.before, moved.after)
    # Each new-business line halved, with the rule and field named (D-3 is new business).
    rate = [c for c in body["changes"] if c["causes"][0].get("field") == "rates.new-business.rate"]
    assert "D-3" in {c["deal"] for c in rate} and all(c["delta"] < 0 for c in rate)
    d3 = next(c for c in rate if c["deal"] == "D-3")
    assert (d3["change"], d3["amount_before"], d3["amount_after"]) == (
        "changed",
        Decimal("180.03"),
        Decimal("90.02"),
    )
    assert d3["causes"][0]["text"] == (
        "Plan pay-plan/1 -> pay-plan/2: rate rule new-business rate was 0.06, now 0.03."
    )
    assert any(c["kind"] == "plan" for c in body["causes"])  # the build's recorded change


def test_an_imported_deal_change_names_the_deal_and_leaves_the_others_unchanged(db, people):
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    deal = next(d for d in organisation()["deals"] if d["id"] == "D-3")  # ana's, Q3
    deal["amount"] = "99999.00"
    import_data(db, {"deals": [deal]}, source="fix.json", actor=people["admin"])
    db.commit()
    run = start_run(db, people["admin"], PERIOD)
    db.commit()

    body = _changes(db, people, run, "ana")
    _add_up(body)
    on_d3 = [c for c in body["changes"] if c["deal"] == "D-3"]
    assert on_d3 and all(c["change"] == "changed" and c["delta"] > 0 for c in on_d3)
    assert on_d3[0]["causes"][0]["kind"] == "deal"
    assert {c["deal"] for c in body["changes"]} == {"D-3"}
    assert body["unchanged_lines"] == _statement(db, run, "ana").line_count - len(on_d3)

    bo = _changes(db, people, run, "bo")  # not in the change journal's reach
    assert bo["line_level"] is True and bo["changes"] == [] and bo["causes"] == []
    assert bo["note"] == f"Build 2 of {run.label} did not change this statement."
    assert bo["unchanged_lines"] == _statement(db, run, "bo").line_count


def test_only_the_latest_build_keeps_what_it_replaced(db, people):
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    deals = {d["id"]: d for d in organisation()["deals"]}
    for number, deal_id in ((2, "D-3"), (3, "D-13")):  # ana's, then bo's
        import_data(
            db, {"deals": [dict(deals[deal_id], amount="77777.00")]}, source=f"{deal_id}.json"
        )
        db.commit()
        run = start_run(db, people["admin"], PERIOD)
        db.commit()
        build = build_diff.build_of(db, run)
        assert build.number == number and build.kept_replaced
        kept = db.scalars(select(ReplacedStatement).where(ReplacedStatement.run_id == run.id))
        kept = list(kept)
        assert kept and {k.build_id for k in kept} == {build.id}
        changed = "ana" if deal_id == "D-3" else "bo"
        assert changed in {k.participant_id for k in kept}
        lines = db.scalar(
            select(func.count())
            .select_from(ReplacedLine)
            .join(ReplacedStatement, ReplacedStatement.id == ReplacedLine.statement_id)
            .where(ReplacedStatement.participant_id == changed, ReplacedStatement.run_id == run.id)
        )
        assert lines > 0
    assert db.scalar(select(func.count()).select_from(ReplacedLine)) == db.scalar(
        select(func.count())
        .select_from(ReplacedLine)
        .join(ReplacedStatement, ReplacedStatement.id == ReplacedLine.statement_id)
        .where(ReplacedStatement.build_id == build.id)
    )
    assert _changes(db, people, run, "ana")["changes"] == []  # build 3 left ana alone
    assert {c["deal"] for c in _changes(db, people, run, "bo")["changes"]} == {"D-13"}


def test_a_statement_the_re_run_added_has_every_line_new(db, people):
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    data = organisation()
    ed = dict(data["participants"][0], id="ed", name="Ed")
    quota = dict(data["quotas"][0], participant="ed", period=PERIOD)
    deal = dict(data["deals"][2], id="D-50", owner="ed", close_date="2026-08-20")
    deal.pop("splits", None)
    import_data(db, {"participants": [ed], "quotas": [quota], "deals": [deal]}, source="ed.json")
    db.commit()
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    body = _changes(db, people, run, "ed")
    assert body["note"] == "This statement is new in build 2: every line is new."
    assert body["changes"] and all(c["change"] == "added" for c in body["changes"])
    (total,) = body["totals"]
    assert total["before"] == 0 and total["after"] == _statement(db, run, "ed").payable
    _add_up(body)


def test_an_identical_re_run_compares_line_by_line_with_nothing_changed(db, people):
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    body = _changes(db, people, run, "ana")
    assert body["line_level"] is True and body["changes"] == []
    assert body["note"] == "Build 2 found the same inputs and results as build 1."
    assert db.scalar(select(func.count()).select_from(ReplacedStatement)) == 0
