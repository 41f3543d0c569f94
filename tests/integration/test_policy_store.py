"""The policy store on both databases: drafts, the lifecycle, permissions and exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from governance import audit
from governance.auditing import exports as audit_exports
from governance.errors import (
    Conflict,
    DocumentRejected,
    InvalidTransition,
    NotAllowed,
    NotFound,
    StaleEdit,
)
from governance.plans import gates, lifecycle
from governance.plans import lookup as plans
from governance.plans.tally import voted_hash
from governance.plans.votes import cast_plan_vote
from models import AuditRecord, PlanVersion, PolicyPlan
from rules.document import load_plan
from rules.problems import Problem


def plan_text(key: str = "ae-plan", rate: str = "0.06", title: str = "AE plan") -> str:
    return f"""\
# written by hand: this comment is kept in the stored document
policy: {key}
title: {title}
currency: USD
period: quarter
credit:
  - id: owner
    to: owner
    share: 1
rates:
  - id: new-business
    when: deal.type == "new"
    rate: {rate}
  - id: default
    rate: 0.02
"""


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("comp_admin"),
        "approver": make_user("committee", functions=["finance"]),
        # The default approval rules want three members including finance and sales.
        "sales": make_user("committee", functions=["sales"]),
        "member": make_user("committee", functions=["hr"]),
        "rep": make_user("rep"),
        "auditor": make_user("auditor"),
    }


def _actions(db) -> list[str]:
    # The plan versions' records, not the role grants of the users the fixtures create.
    stmt = select(AuditRecord.action).where(AuditRecord.object_type == plans.OBJECT_TYPE)
    return list(db.scalars(stmt.order_by(AuditRecord.id)))


def _approve(db, people, key: str, number: int) -> None:
    """Committee approval by vote under the default rules; the approver's vote decides."""
    content_hash = voted_hash(db, plans.get_version(db, key, number))
    for who in ("sales", "member", "approver"):
        cast_plan_vote(db, people[who], key, number, decision="approve", content_hash=content_hash)


def _activate(db, people, number: int, effective: date, key: str = "ae-plan") -> PlanVersion:
    lifecycle.submit(db, people["author"], key, number, effective_from=effective)
    _approve(db, people, key, number)
    return lifecycle.activate(db, people["author"], key, number)


def test_create_draft_stores_text_canonical_json_and_hash(db, people):
    text = plan_text()
    version = lifecycle.create_draft(db, people["author"], text, note="first cut")
    db.commit()
    assert (version.plan_key, version.number, version.state) == ("ae-plan", 1, "draft")
    assert version.document == text  # as written, comments included
    assert version.content_hash == load_plan(text).version
    assert '"rate":0.06' in version.canonical_json
    assert version.created_by_id == people["author"].id
    plan = db.get(PolicyPlan, "ae-plan")
    assert (plan.title, plan.latest_number, plan.draft_number, plan.active_number) == (
        "AE plan",
        1,
        1,
        None,
    )
    assert [(t.from_state, t.to_state, t.note) for t in version.transitions] == [
        (None, "draft", "first cut")
    ]
    assert _actions(db) == ["plan_version.created"]
    entry = db.scalar(select(AuditRecord).where(AuditRecord.object_type == plans.OBJECT_TYPE))
    assert (entry.object_id, entry.after_hash, entry.actor_id) == (
        "ae-plan/1",
        version.content_hash,
        people["author"].id,
    )


def test_an_invalid_document_is_rejected_with_every_problem_and_nothing_written(db, people):
    audit_before = db.scalar(select(func.count()).select_from(AuditRecord))  # users' roles
    with pytest.raises(DocumentRejected) as caught:
        lifecycle.create_draft(db, people["author"], "policy: Bad Key\ntitle: x\nrates: 3\n")
    paths = {p.path for p in caught.value.problems}
    assert {"$.policy", "$.rates"} <= paths
    assert db.scalar(select(func.count()).select_from(PolicyPlan)) == 0
    assert db.scalar(select(func.count()).select_from(AuditRecord)) == audit_before


def test_one_open_draft_per_plan(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    with pytest.raises(Conflict):
        lifecycle.create_draft(db, people["author"], plan_text(rate="0.07"))


def test_update_draft_checks_the_expected_revision(db, people):
    version = lifecycle.create_draft(db, people["author"], plan_text())
    db.commit()
    plan = db.get(PolicyPlan, "ae-plan")
    revision = plan.revision
    old_hash = version.content_hash
    lifecycle.update_draft(
        db, people["author"], "ae-plan", 1, plan_text(rate="0.07"), expected_revision=revision
    )
    db.commit()
    assert version.content_hash != old_hash
    assert plan.revision == revision + 1
    with pytest.raises(StaleEdit):
        lifecycle.update_draft(
            db, people["author"], "ae-plan", 1, plan_text(rate="0.08"), expected_revision=revision
        )
    with pytest.raises(DocumentRejected) as caught:
        lifecycle.update_draft(
            db,
            people["author"],
            "ae-plan",
            1,
            plan_text(key="other"),
            expected_revision=plan.revision,
        )
    assert caught.value.problems[0].path == "$.policy"
    updated = db.scalars(select(AuditRecord).where(AuditRecord.action.like("%updated"))).one()
    assert (updated.before_hash, updated.after_hash) == (old_hash, version.content_hash)


def test_only_a_draft_is_editable(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    lifecycle.submit(db, people["author"], "ae-plan", 1, effective_from=date(2026, 1, 1))
    with pytest.raises(InvalidTransition, match="only draft"):
        lifecycle.update_draft(
            db, people["author"], "ae-plan", 1, plan_text(rate="0.09"), expected_revision=None
        )


def test_the_lifecycle_supersedes_the_active_version_and_audits_every_step(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    v1 = _activate(db, people, 1, date(2026, 1, 1))
    lifecycle.create_draft(db, people["author"], plan_text(rate="0.07", title="AE plan v2"))
    v2 = _activate(db, people, 2, date(2026, 7, 1))
    db.commit()
    assert (v1.state, v2.state) == ("superseded", "active")
    plan = db.get(PolicyPlan, "ae-plan")
    assert (plan.active_number, plan.draft_number, plan.latest_number, plan.title) == (
        2,
        None,
        2,
        "AE plan v2",
    )
    assert [t.to_state for t in v2.transitions] == ["draft", "submitted", "approved", "active"]
    assert v2.transitions[2].actor_id == people["approver"].id
    votes_ = ["plan_version.vote"] * 3
    assert _actions(db) == [
        "plan_version.created",
        "plan_version.submitted",
        *votes_,
        "plan_version.approved",
        "plan_version.active",
        "plan_version.created",
        "plan_version.submitted",
        *votes_,
        "plan_version.approved",
        "plan_version.superseded",
        "plan_version.active",
    ]
    assert tuple(audit.verify(db)) == (True, None, None)


def test_permissions_and_separation_of_duties(db, people, make_user):
    with pytest.raises(NotAllowed):
        lifecycle.create_draft(db, people["rep"], plan_text())
    lifecycle.create_draft(db, people["author"], plan_text())
    with pytest.raises(NotAllowed):
        lifecycle.submit(db, people["auditor"], "ae-plan", 1)
    lifecycle.submit(db, people["author"], "ae-plan", 1, effective_from=date(2026, 1, 1))
    with pytest.raises(NotAllowed, match="permission"):
        lifecycle.approve(db, people["author"], "ae-plan", 1)  # comp_admin cannot approve
    admin = make_user("admin")  # holds every permission, but not over their own change
    lifecycle.create_draft(db, admin, plan_text(key="own-plan"))
    lifecycle.submit(db, admin, "own-plan", 1, effective_from=date(2026, 1, 1))
    with pytest.raises(NotAllowed, match="own"):
        lifecycle.approve(db, admin, "own-plan", 1)
    with pytest.raises(Conflict, match="committee vote"):
        lifecycle.approve(db, people["approver"], "ae-plan", 1)  # one member is not a quorum
    _approve(db, people, "ae-plan", 1)
    with pytest.raises(NotAllowed):
        lifecycle.activate(db, people["approver"], "ae-plan", 1)  # committee cannot activate
    assert lifecycle.activate(db, people["author"], "ae-plan", 1).state == "active"


def test_transitions_from_the_wrong_state_are_refused(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    with pytest.raises(InvalidTransition):
        lifecycle.activate(db, people["author"], "ae-plan", 1)
    with pytest.raises(InvalidTransition):
        lifecycle.approve(db, people["approver"], "ae-plan", 1)
    with pytest.raises(DocumentRejected, match="reason"):
        lifecycle.reject(db, people["approver"], "ae-plan", 1, note="  ")
    with pytest.raises(InvalidTransition):
        lifecycle.reject(db, people["approver"], "ae-plan", 1, note="no")
    with pytest.raises(DocumentRejected, match="cannot be submitted") as undated:
        lifecycle.submit(db, people["author"], "ae-plan", 1)  # the date is voted on: required
    assert [p.path for p in undated.value.problems] == ["effective_from"]
    lifecycle.submit(db, people["author"], "ae-plan", 1, effective_from=date(2026, 1, 1))
    with pytest.raises(DocumentRejected, match="voted on"):
        lifecycle.approve(db, None, "ae-plan", 1, effective_from=date(2026, 2, 1))
    version = lifecycle.reject(db, people["approver"], "ae-plan", 1, note="too generous")
    assert version.state == "rejected"
    with pytest.raises(InvalidTransition):
        lifecycle.withdraw(db, people["author"], "ae-plan", 1)
    with pytest.raises(NotFound):
        lifecycle.submit(db, people["author"], "ae-plan", 9)
    with pytest.raises(NotFound):
        lifecycle.submit(db, people["author"], "no-plan", 1)


def test_withdrawing_a_draft_reopens_drafting(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    lifecycle.withdraw(db, people["author"], "ae-plan", 1, note="wrong start")
    version = lifecycle.create_draft(db, people["author"], plan_text(rate="0.05"))
    assert version.number == 2
    assert plans.get_version(db, "ae-plan", 1).state == "withdrawn"


def test_submission_runs_every_check_and_reports_their_problems(db, people, monkeypatch):
    lifecycle.create_draft(db, people["author"], plan_text())

    def failing_check(session, version, plan):
        return [Problem(path="$.tests[0]", message="expected payable 10, got 0", rule=None)]

    # submit() reads the list from governance.policy_checks at call time.
    monkeypatch.setattr(gates, "SUBMISSION_CHECKS", [*gates.SUBMISSION_CHECKS, failing_check])
    with pytest.raises(DocumentRejected) as caught:
        lifecycle.submit(db, people["author"], "ae-plan", 1)
    assert [p.path for p in caught.value.problems] == ["$.tests[0]", "effective_from"]
    assert plans.get_version(db, "ae-plan", 1).state == "draft"


def test_export_is_byte_stable_and_imports_as_a_new_draft(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    v1 = _activate(db, people, 1, date(2026, 1, 1))
    exported = plans.export_yaml(v1)
    assert exported == plans.export_yaml(plans.get_version(db, "ae-plan", 1))
    assert "# written by hand" not in exported  # the canonical form, not the text as written
    assert load_plan(exported).version == v1.content_hash
    imported = lifecycle.create_draft(db, people["author"], exported)
    assert (imported.number, imported.content_hash) == (2, v1.content_hash)


def test_version_governing_keeps_effective_and_record_time_apart(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    v1 = _activate(db, people, 1, date(2026, 1, 1))
    db.commit()
    before_v2 = v1.recorded_at
    lifecycle.create_draft(db, people["author"], plan_text(rate="0.07"))
    # Recorded now, effective from April: a later record about an earlier date.
    v2 = _activate(db, people, 2, date(2026, 4, 1))
    db.commit()
    assert v2.recorded_at > before_v2

    def governing(on, as_of=None):
        found = plans.version_governing(db, "ae-plan", on, as_of)
        return found.number if found else None

    assert governing(date(2025, 12, 31)) is None
    assert governing(date(2026, 2, 1)) == 1
    assert governing(date(2026, 5, 1)) == 2
    # What the store knew before v2 was recorded: v1 still governed May.
    assert governing(date(2026, 5, 1), as_of=before_v2) == 1
    assert governing(date(2026, 5, 1), as_of=v2.recorded_at) == 2

    # A correction recorded later still, effective from February (before v2's April):
    lifecycle.create_draft(db, people["author"], plan_text(rate="0.065"))
    v3 = _activate(db, people, 3, date(2026, 2, 1))
    db.commit()
    assert governing(date(2026, 1, 15)) == 1  # dates before it keep what they had
    assert governing(date(2026, 3, 1)) == 3
    assert governing(date(2026, 5, 1)) == 3  # it ends v2's range where it begins
    assert governing(date(2026, 5, 1), as_of=v2.recorded_at) == 2
    assert governing(date(2026, 3, 1), as_of=v3.recorded_at) == 3
    assert plans.get_version(db, "ae-plan", 2).state == "superseded"


def test_auditor_exports_of_versions_and_decisions(db, people):
    lifecycle.create_draft(db, people["author"], plan_text())
    _activate(db, people, 1, date(2026, 1, 1))
    lifecycle.create_draft(db, people["author"], plan_text(rate="0.07"))
    db.commit()
    versions = json.loads(audit_exports.export_plan_versions(db, "json"))
    assert [(v["number"], v["state"], v["effective_from"]) for v in versions] == [
        (1, "active", "2026-01-01"),
        (2, "draft", None),
    ]
    assert versions[0]["recorded_at"].endswith("Z")
    rows = list(csv.DictReader(io.StringIO(audit_exports.export_plan_transitions(db, "csv"))))
    assert [(r["number"], r["to_state"]) for r in rows] == [
        ("1", "draft"),
        ("1", "submitted"),
        ("1", "approved"),
        ("1", "active"),
        ("2", "draft"),
    ]
    approval = rows[2]
    assert approval["actor_id"] == str(people["approver"].id)
    assert approval["content_hash"] == versions[0]["content_hash"]
