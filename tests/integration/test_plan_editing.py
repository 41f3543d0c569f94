"""The browser's plan workflow in the domain (governance.plans.editing, .acknowledgements):
a draft from the current version, a check with lines, and acknowledgements that are
recorded once and audited once. Both databases."""

from __future__ import annotations

from datetime import date

import pytest

from governance.errors import Conflict, InvalidTransition, NotAllowed
from governance.plans import acknowledgements, editing, lifecycle
from governance.plans.lookup import get_version
from models import AuditRecord, PlanAcknowledgement
from tests.integration.committee import EMBEDDED_TEST, import_history, plan_text
from tests.support.database import count_rows


@pytest.fixture
def active(db, make_user):
    """ae-plan 1 active (6%, with a passing embedded test); ana and bo are assigned."""
    import_history(db)
    author = make_user("comp_admin")
    lifecycle.create_draft(
        db, author, plan_text("0.06", tests=EMBEDDED_TEST.format(payable="600.00"))
    )
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2025, 1, 1))
    lifecycle.approve(db, None, "ae-plan", 1)
    lifecycle.activate(db, author, "ae-plan", 1)
    db.commit()
    return author


def test_a_draft_starts_as_the_active_text_and_a_second_is_refused(db, active):
    draft = editing.draft_from_current(db, active, "ae-plan")
    assert (draft.number, draft.state) == (2, "draft")
    assert draft.content_hash == get_version(db, "ae-plan", 1).content_hash
    assert "drafted in the browser from version 1" in draft.transitions[0].note
    with pytest.raises(Conflict, match="already has an open draft"):
        editing.draft_from_current(db, active, "ae-plan")


def test_the_check_places_each_problem_at_its_line(db, active):
    draft = editing.draft_from_current(db, active, "ae-plan")
    assert editing.check(db, draft, draft.document) == []

    bad = draft.document.replace("rate: 0.06", "rate: six")
    [problem] = editing.check(db, draft, bad)
    assert (problem.line, problem.problem.path, problem.problem.rule) == (
        12,
        "$.rates[0].rate",
        "new-business",
    )
    # Valid, but the embedded test now fails: submission's own check, at the test's line.
    failing = editing.check(db, draft, draft.document.replace("rate: 0.06", "rate: 0.07"))
    assert [(p.line, p.problem.path) for p in failing] == [(16, "tests[0]")]
    assert editing.blocking(failing)
    other = editing.check(db, draft, draft.document.replace("policy: ae-plan", "policy: other"))
    assert [(p.line, p.problem.path) for p in other][0] == (1, "$.policy")


def test_an_acknowledgement_is_recorded_once_and_audited_once(db, active, make_user):
    rep = make_user("rep", participant_id="ana")
    [entry] = acknowledgements.own_plans(db, rep, date.today())
    version = entry["version"]
    assert (entry["key"], version.number, entry["acknowledgement"]) == ("ae-plan", 1, None)
    assert entry["words"][0].title == "How you earn"

    first, new = acknowledgements.acknowledge(db, rep, "ae-plan", 1, version.content_hash)
    again, repeated = acknowledgements.acknowledge(db, rep, "ae-plan", 1, version.content_hash)
    assert (new, repeated, again.id) == (True, False, first.id)
    assert (first.participant_id, first.content_hash) == ("ana", version.content_hash)
    assert count_rows(db, PlanAcknowledgement) == 1
    assert count_rows(db, AuditRecord, action="plan_version.acknowledged") == 1
    assert acknowledgements.counts(db, "ae-plan") == {1: 1}
    assert [row["ack"].id for row in acknowledgements.of_version(db, version)] == [first.id]
    assert acknowledgements.own_plans(db, rep, date.today())[0]["acknowledgement"] == first


def test_acknowledging_is_refused_off_plan_off_state_and_with_another_hash(db, active, make_user):
    version = get_version(db, "ae-plan", 1)
    with pytest.raises(NotAllowed):
        acknowledgements.acknowledge(db, make_user("rep"), "ae-plan", 1, version.content_hash)
    rep = make_user("rep", participant_id="bo")
    with pytest.raises(Conflict, match="read it again"):
        acknowledgements.acknowledge(db, rep, "ae-plan", 1, "sha256:" + "0" * 64)
    draft = editing.draft_from_current(db, active, "ae-plan")
    with pytest.raises(InvalidTransition, match="only a version in force"):
        acknowledgements.acknowledge(db, rep, "ae-plan", draft.number, draft.content_hash)
    assert count_rows(db, PlanAcknowledgement) == 0
    assert acknowledgements.own_plans(db, make_user("rep"), date.today()) == []
