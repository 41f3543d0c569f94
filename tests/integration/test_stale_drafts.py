"""Stale drafts and re-runs (issue 11): a draft whose inputs changed since its build says
what changed and takes no vote until re-run; a re-run that changes nothing keeps the
votes, one that changes anything voids them with an audit record naming the change, and
each build records how every participant's payable moved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance import audit
from governance.errors import Conflict
from governance.exceptions import workflow as exceptions
from governance.imports.service import import_data
from governance.payouts import build_diff, overview
from governance.payouts import close as payout_close
from governance.payouts.inputs import changed_people, period_inputs
from governance.payouts.runs import start_run
from governance.payouts.staleness import stale_changes
from models import AuditRecord, PayoutBuild
from rules.period import Period
from tests.integration.exception_setup import people as exception_people
from tests.integration.exception_setup import setup_plan_and_data, waive_gate
from tests.integration.payout_support import activate_plan, close_people, organisation

PERIOD = "2026-Q3"


@pytest.fixture
def people(db, make_user):
    return close_people(db, make_user)


def _vote(db, user, run):
    return payout_close.cast_run_vote(
        db, user, run.id, decision="approve", content_hash=payout_close.run_content_hash(run)
    )


def _records(db, run, action):
    stmt = select(AuditRecord).where(
        AuditRecord.object_id == run.label, AuditRecord.action == action
    )
    return list(db.scalars(stmt.order_by(AuditRecord.id)))


def test_stale_draft_after_a_plan_version_is_activated(db, people):
    """The 2026-Q4 demo story: a draft stayed open for votes on the old plan version."""
    run = start_run(db, people["admin"], PERIOD)
    _vote(db, people["finance"], run)
    db.commit()
    assert stale_changes(db, run) == []
    payable_before = overview.totals_by_currency(db, run)[0]["payable"]

    # A new version of pay-plan (a lower rate) governs Q3 from 2026-07-01.
    activate_plan(db, rate="0.03", effective=date(2026, 7, 1))
    db.commit()
    changes = stale_changes(db, run)
    assert [c["kind"] for c in changes] == ["plan_versions"]
    assert changes[0]["text"] == "pay-plan: was pay-plan/1, now pay-plan/2"

    # The run's page says so and names the versions it used by number.
    view = overview.run_overview(db, people["revops"], run.id)
    assert view["plan_version_labels"] == {"mgr-plan": ["mgr-plan/1"], "pay-plan": ["pay-plan/1"]}
    assert view["stale_changes"] == changes
    assert "is stale" in view["refusal"] and "pay-plan/2" in view["refusal"]

    # No vote until it is re-run.
    with pytest.raises(Conflict) as refused:
        _vote(db, people["revops"], run)
    assert refused.value.message == (
        f"{run.label} is stale: its inputs changed since it was built (pay-plan: was "
        f"pay-plan/1, now pay-plan/2). Re-run {PERIOD} before voting on it."
    )
    db.rollback()

    # The re-run: a new version, the finance approval voided, the change named.
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    assert run.version == 2 and run.state == "draft"
    assert stale_changes(db, run) == []
    assert payout_close.run_tally(db, run).approvals == []
    [voided] = _records(db, run, "payout_run.votes_voided")
    assert voided.payload["approvals_by"] == [people["finance"].id]
    assert voided.payload["changes"] == ["pay-plan: was pay-plan/1, now pay-plan/2"]
    [_first, built] = _records(db, run, "payout_run.built")
    assert built.payload["identical"] is False and built.payload["votes_voided"] == 1

    # The difference between the two builds, per participant.
    build = build_diff.build_of(db, run)
    assert (build.number, build.run_version, build.votes_voided) == (2, 2, 1)
    moved, total = build_diff.payable_changes(db, build)
    assert total == len(moved) > 0 and {m["participant"] for m in moved} <= {"ana", "bo", "cy"}
    assert all(m["change"] == m["after"] - m["before"] < 0 for m in moved)
    [totals] = build_diff.change_totals(db, build)
    payable_after = overview.totals_by_currency(db, run)[0]["payable"]
    assert totals["change"] == payable_after - payable_before < 0
    view = overview.run_overview(db, people["revops"], run.id)
    assert view["last_build"].changes[0]["text"] == "pay-plan: was pay-plan/1, now pay-plan/2"
    assert view["moved_totals"] == [totals] and view["refusal"] is None
    assert view["plan_version_labels"]["pay-plan"] == ["pay-plan/2"]

    # Now the committee can approve it.
    _vote(db, people["finance"], run)
    _vote_, tally = _vote(db, people["revops"], run)
    assert tally.approved and run.state == "approved"
    assert tuple(audit.verify(db)) == (True, None, None)


def test_an_identical_re_run_keeps_the_votes(db, people):
    run = start_run(db, people["admin"], PERIOD)
    _vote(db, people["finance"], run)
    db.commit()
    content = payout_close.run_content_hash(run)
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    assert (run.version, payout_close.run_content_hash(run)) == (1, content)
    assert [v.voter_id for v in payout_close.run_votes(db, run)] == [people["finance"].id]
    assert _records(db, run, "payout_run.votes_voided") == []
    build = build_diff.build_of(db, run)
    assert (build.number, build.identical, build.votes_kept, build.changes) == (2, True, 1, [])
    assert build_diff.payable_changes(db, build) == ([], 0)
    _vote_, tally = _vote(db, people["revops"], run)
    assert tally.approved and run.state == "approved"


def test_an_import_makes_the_draft_stale_and_the_re_run_names_the_participants(db, people):
    run = start_run(db, people["admin"], PERIOD)
    _vote(db, people["finance"], run)
    db.commit()
    data = organisation()
    deal = next(d for d in data["deals"] if d["id"] == "D-3")  # ana's, closes in Q3
    deal["amount"] = "99999.00"
    import_data(db, {"deals": [deal]}, source="fix.json", actor=people["admin"])
    db.commit()
    [change] = stale_changes(db, run)
    assert change["kind"] == "data" and change["text"].endswith("(fix.json): deals changed")
    with pytest.raises(Conflict, match="is stale: .*fix.json"):
        _vote(db, people["revops"], run)
    db.rollback()
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    build = db.scalars(
        select(PayoutBuild).where(PayoutBuild.run_id == run.id, PayoutBuild.number == 2)
    ).one()
    texts = [c["text"] for c in build.changes]
    assert texts[0].endswith("(fix.json): deals changed")
    assert texts[1] == "input data changed for 2 participants: ana, di"
    moved, _total = build_diff.payable_changes(db, build)
    assert [m["participant"] for m in moved][0] == "ana"
    assert moved[0]["change"] > Decimal(0)
    [voided] = _records(db, run, "payout_run.votes_voided")
    assert voided.payload["changes"] == texts


def test_an_import_that_changes_nothing_of_the_period_costs_one_identical_re_run(db, people):
    run = start_run(db, people["admin"], PERIOD)
    _vote(db, people["finance"], run)
    db.commit()
    # A deal of Q4: not an input of Q3 (a run reads the data up to its period's end).
    deal = dict(organisation()["deals"][0], id="D-99", close_date="2026-11-05")
    import_data(db, {"deals": [deal]}, source="q4.json", actor=people["admin"])
    db.commit()
    assert [c["kind"] for c in stale_changes(db, run)] == ["data"]
    # The journal dates D-99 after the period's end: nobody's batch is read again.
    assert changed_people(db, run, period_inputs(db, Period.parse(PERIOD))) == set()
    run = start_run(db, people["admin"], PERIOD)
    db.commit()
    assert stale_changes(db, run) == [] and run.version == 1 and run.recomputed_count == 0
    _vote_, tally = _vote(db, people["revops"], run)
    assert tally.approved


def test_an_approved_exception_makes_the_draft_stale(db):
    crew = exception_people(db)
    setup_plan_and_data(db, crew["author"])
    db.commit()
    run = start_run(db, crew["author"], PERIOD)
    db.commit()
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())  # pays ana's D-2: 3,000
    for member in (crew["lead"], crew["finance"]):
        exceptions.cast_exception_vote(
            db, member, exc.id, decision="approve", content_hash=exc.content_hash
        )
    db.commit()
    assert exc.state == "approved"
    [change] = stale_changes(db, run)
    assert change["text"] == f"exceptions now in force: {exc.label}"
    with pytest.raises(Conflict, match=f"is stale: .*exceptions now in force: {exc.label}"):
        _vote(db, crew["finance"], run)
    db.rollback()
    run = start_run(db, crew["author"], PERIOD)
    build = build_diff.build_of(db, run)
    assert [c["text"] for c in build.changes][0] == f"exceptions now in force: {exc.label}"
    moved, _total = build_diff.payable_changes(db, build)
    assert [(m["participant"], m["change"]) for m in moved] == [("ana", Decimal("3000.00"))]
