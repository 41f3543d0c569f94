"""Committee approval: the versioned approval rules, change requests and votes.

- `ApprovalRuleSet`: one numbered version of the approval rules; exactly one is active,
  and a proposal is decided under the rules in force when it was proposed (`decided_under`).
- `ChangeRequest`: what a plan version carried when it was submitted (test results,
  impact simulation, the rules that decide it); one per submitted version, never changed.
- `Vote`: one person's decision on one subject, bound to the content hash they saw.

The rules, and what migration 0003 guarantees in the database: docs/governance.md,
"Change requests, committee votes and the approval rules".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Json, sql_list, utcnow

RULE_SET_STATES = ("submitted", "active", "superseded", "rejected", "withdrawn")
RULE_SET_TRANSITIONS = (
    ("submitted", "active"),
    ("submitted", "rejected"),
    ("submitted", "withdrawn"),
    ("active", "superseded"),
)
DECISIONS = ("approve", "reject")
# The subjects a vote can be on: exactly one is set (CHECK ck_votes_one_subject).
VOTE_SUBJECTS = ("plan_version_id", "rule_set_id", "exception_id", "payout_run_id")
ONE_SUBJECT = (
    " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in VOTE_SUBJECTS) + " = 1"
)


class ApprovalRuleSet(Base):
    __tablename__ = "approval_rule_sets"
    __table_args__ = (
        UniqueConstraint("number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint(f"state IN ({sql_list(RULE_SET_STATES)})", name="state_known"),
        Index(
            "uq_approval_rule_sets_one_active",
            "state",
            unique=True,
            postgresql_where=text("state = 'active'"),
            sqlite_where=text("state = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    # Canonical JSON of the rules (sorted keys, compact); content_hash = sha256 of it.
    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(71))
    # The number of the rule set in force when this one was proposed: it decides this one.
    # NULL for the seeded default, which nobody voted on.
    decided_under: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    @property
    def label(self) -> str:
        return f"approval-rules/{self.number}"


class ChangeRequest(Base):
    """The review material of a submitted plan version, frozen at submission."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), unique=True)
    # The approval rules in force at submission decide this request.
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("approval_rule_sets.id"))
    # Impact simulation and embedded test results, JSON with Decimals as text.
    impact: Mapped[dict[str, Any]] = mapped_column(Json)
    tests: Mapped[list[Any]] = mapped_column(Json)
    as_of: Mapped[date]  # the submission date the impact's periods are counted back from
    # Set at submission: the version may take effect inside a locked payout period (0007).
    retroactive: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set at submission (0013): the date the committee votes on, and the hash a vote names
    # (the plan's content hash, this date and `retroactive`). NULL on requests submitted
    # before 0013, whose votes name the plan's content hash alone.
    effective_from: Mapped[date | None]
    content_hash: Mapped[str | None] = mapped_column(String(71))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rule_set: Mapped[ApprovalRuleSet] = relationship()


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("plan_version_id", "voter_id"),
        UniqueConstraint("rule_set_id", "voter_id"),
        UniqueConstraint("exception_id", "voter_id"),
        # Runs: one vote per voter per run content (a re-run draft is voted on again).
        UniqueConstraint("payout_run_id", "voter_id", "content_hash"),
        CheckConstraint(f"decision IN ({sql_list(DECISIONS)})", name="decision_known"),
        # Exactly one subject (0004 added exception_id).
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("approval_rule_sets.id"), index=True)
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("payout_exceptions.id"), index=True)
    payout_run_id: Mapped[int | None] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    # The content hash the voter approved or rejected: always the subject's own.
    content_hash: Mapped[str] = mapped_column(String(71))
    # The voter's committee functions when they voted (a later change of roles does not
    # rewrite how a past decision was reached).
    functions: Mapped[list[str]] = mapped_column(Json, default=list)
    roles: Mapped[list[str]] = mapped_column(Json, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
