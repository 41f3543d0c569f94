"""The database itself refuses changes to frozen plan versions and to history (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from governance.plans import lifecycle
from governance.plans import lookup as plans
from tests.integration.test_policy_store import plan_text
from tests.support.database import refused


@pytest.fixture
def versions(db, make_user):
    """ae-plan: 1 active, 2 submitted, 3 draft."""
    author = make_user("comp_admin")
    lifecycle.create_draft(db, author, plan_text())
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2026, 1, 1))
    lifecycle.approve(
        db, None, "ae-plan", 1
    )  # the committee's votes: tests/integration/test_votes.py
    lifecycle.activate(db, author, "ae-plan", 1)
    lifecycle.create_draft(db, author, plan_text(rate="0.07"))
    lifecycle.submit(db, author, "ae-plan", 2, effective_from=date(2026, 4, 1))
    lifecycle.create_draft(db, author, plan_text(rate="0.08"))
    db.commit()
    return {n: plans.get_version(db, "ae-plan", n).id for n in (1, 2, 3)}


def _accepted(db, sql: str, **params) -> int:
    with db.begin_nested():
        return db.execute(text(sql), params).rowcount


@pytest.mark.parametrize("column", ["document", "canonical_json", "content_hash"])
def test_frozen_columns_of_submitted_and_active_versions(db, versions, column):
    for number in (1, 2):
        refused(db, f"UPDATE plan_versions SET {column} = 'x' WHERE id = :id", id=versions[number])
    # A draft is still editable, in the database as in the code.
    assert _accepted(db, f"UPDATE plan_versions SET {column} = 'x' WHERE id = :id", id=versions[3])


def test_a_frozen_version_cannot_be_sent_back_to_draft_or_deleted(db, versions):
    refused(db, "UPDATE plan_versions SET state = 'draft' WHERE id = :id", id=versions[2])
    refused(db, "UPDATE plan_versions SET state = 'active' WHERE id = :id", id=versions[2])
    refused(db, "DELETE FROM plan_versions WHERE id = :id", id=versions[2])
    refused(db, "UPDATE plan_versions SET number = 7 WHERE id = :id", id=versions[1])


def test_the_effective_history_of_an_activated_version_is_fixed(db, versions):
    refused(
        db,
        "UPDATE plan_versions SET effective_from = :d WHERE id = :id",
        d=date(2025, 1, 1),
        id=versions[1],
    )
    refused(db, "UPDATE plan_versions SET recorded_at = NULL WHERE id = :id", id=versions[1])


def test_one_active_version_per_plan(db, versions):
    # submitted -> approved is a lifecycle step; a second active row is not allowed.
    assert _accepted(
        db,
        "UPDATE plan_versions SET state = 'approved', effective_from = :d WHERE id = :id",
        d=date(2026, 4, 1),
        id=versions[2],
    )
    refused(
        db,
        "UPDATE plan_versions SET state = 'active', recorded_at = :t WHERE id = :id",
        t=date(2026, 4, 1),
        id=versions[2],
    )


def test_transitions_are_append_only(db, versions):
    refused(db, "UPDATE plan_transitions SET note = 'rewritten'")
    refused(db, "DELETE FROM plan_transitions")
