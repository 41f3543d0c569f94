"""The approval rules: configuration that is itself versioned and approved by the committee.

A rules document says who must agree before a change takes effect: `plan_change` (plan
versions; with `activate_on_approval` the deciding vote also activates), `approval_rules`
(a new version of these rules), `exception` (how payout exceptions are routed), `impact`
(the reach of a plan change's impact simulation) and the optional `payout_run`
(`DEFAULT_PAYOUT_RUN` when absent). Here: validating a document,
the one active rule set, proposals and their ballot (`RuleSetBallot`, decided under the
rules in force when proposed). Version 1 is seeded by migration 0003 (`DEFAULT_RULES`).

The document and the principles: docs/governance.md, "Change requests, committee votes
and the approval rules"; the `payout_run` section: docs/payout-close.md, "Who approves".
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import audit
from governance.committee.ballots import Ballot, cast, rejection_note
from governance.committee.quorum import QuorumRule, Tally, tally, undecided
from governance.errors import Conflict, DocumentRejected, NotAllowed, NotFound
from governance.permissions import Actor, has_permission
from governance.workflow import Workflow, transition
from models.approvals import RULE_SET_TRANSITIONS, ApprovalRuleSet, Vote
from models.identity import FUNCTIONS, ROLES, User
from rules.problems import Problem

OBJECT_TYPE = "approval_rules"


def _stamp(rule_set: ApprovalRuleSet, to_state: str, actor: Actor, note, now: datetime) -> None:
    if to_state in ("active", "rejected", "withdrawn"):
        rule_set.decided_at = now


RULE_SETS = Workflow.of(OBJECT_TYPE, RULE_SET_TRANSITIONS, stamp=_stamp)

_QUORUM = {
    "min_approvals": 3,
    "required_functions": ["finance", "sales"],
    "required_roles": [],
    "any_rejection_rejects": True,
}
DEFAULT_RULES: dict[str, Any] = {
    "plan_change": dict(_QUORUM),
    "approval_rules": dict(_QUORUM),
    "exception": {
        "committee_above": "10000",
        "below": {
            "min_approvals": 2,
            "required_functions": ["finance"],
            "required_roles": ["deal_desk"],
            "any_rejection_rejects": True,
        },
    },
    "impact": {"periods": 4, "top": 10},
}
# Not in DEFAULT_RULES: that is the document migration 0003 seeded, byte for byte.
DEFAULT_PAYOUT_RUN: dict[str, Any] = {
    "min_approvals": 2,
    "required_functions": ["finance", "revops"],
    "required_roles": [],
    "any_rejection_rejects": True,
}
SECTIONS = ("plan_change", "approval_rules", "exception", "impact", "payout_run")
OPTIONAL_SECTIONS = ("payout_run",)
QUORUM_KEYS = ("min_approvals", "required_functions", "required_roles", "any_rejection_rejects")
MAX_IMPACT_PERIODS = 12
# Optional in `plan_change`: the deciding vote also puts the version in force (from its
# voted effective date); absent or false, a holder of `plans.activate` does.
ACTIVATE_ON_APPROVAL = "activate_on_approval"


# --------------------------------------------------------------------------- documents


def canonical(document: dict[str, Any]) -> tuple[str, str]:
    """(canonical JSON text, "sha256:<hex>") of a rules document."""
    text = audit.canonical_text(document)
    return text, audit.sha256_text(text)


def _check_keys(value: Any, path: str, keys: tuple[str, ...], optional=()) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem(path, "expected an object")]
    problems = [Problem(f"{path}.{k}", "unknown key") for k in value if k not in keys]
    problems += [
        Problem(f"{path}.{k}", "required") for k in keys if k not in value and k not in optional
    ]
    return problems


def _check_names(value: Any, path: str, known: tuple[str, ...]) -> list[Problem]:
    if not isinstance(value, list):
        return [Problem(path, "expected a list")]
    problems = [
        Problem(f"{path}[{i}]", f"expected one of {', '.join(known)}, got {v!r}")
        for i, v in enumerate(value)
        if v not in known
    ]
    if len(set(map(str, value))) != len(value):
        problems.append(Problem(path, "a name appears more than once"))
    return problems


def _check_quorum(value: Any, path: str, extra: tuple[str, ...] = ()) -> list[Problem]:
    """A quorum section; `extra`: optional true/false keys this section also takes."""
    keys = (*QUORUM_KEYS, *extra)
    problems = _check_keys(value, path, keys, optional=("required_roles", *extra))
    if not isinstance(value, dict):
        return problems
    problems += [
        Problem(f"{path}.{k}", "expected true or false")
        for k in extra
        if k in value and not isinstance(value[k], bool)
    ]
    count = value.get("min_approvals")
    if "min_approvals" in value and (
        isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 50
    ):
        problems.append(Problem(f"{path}.min_approvals", "expected a whole number from 1 to 50"))
    if "required_functions" in value:
        problems += _check_names(
            value["required_functions"], f"{path}.required_functions", FUNCTIONS
        )
    problems += _check_names(value.get("required_roles", []), f"{path}.required_roles", ROLES)
    if "any_rejection_rejects" in value and not isinstance(value["any_rejection_rejects"], bool):
        problems.append(Problem(f"{path}.any_rejection_rejects", "expected true or false"))
    if not problems:
        slots = len(value["required_functions"]) + len(value.get("required_roles", []))
        if slots > count:
            problems.append(
                Problem(
                    f"{path}.min_approvals",
                    f"{count} approvals cannot fill {slots} required functions and roles:"
                    " one person fills at most one",
                )
            )
    return problems


def validate_rules(document: Any) -> list[Problem]:
    """Every problem of a rules document, each with its JSON path; [] when it is valid."""
    problems = _check_keys(document, "$", SECTIONS, optional=OPTIONAL_SECTIONS)
    if not isinstance(document, dict) or any(
        s not in document for s in SECTIONS if s not in OPTIONAL_SECTIONS
    ):
        return problems
    problems += _check_quorum(
        document["plan_change"], "$.plan_change", extra=(ACTIVATE_ON_APPROVAL,)
    )
    problems += _check_quorum(document["approval_rules"], "$.approval_rules")
    exception = document["exception"]
    problems += _check_keys(exception, "$.exception", ("committee_above", "below"))
    if isinstance(exception, dict) and "below" in exception:
        problems += _check_quorum(exception["below"], "$.exception.below")
    if isinstance(exception, dict) and "committee_above" in exception:
        # Money as text ("10000"), never a float.
        threshold = exception["committee_above"]
        try:
            ok = isinstance(threshold, str) and Decimal(threshold) >= 0
        except InvalidOperation:
            ok = False
        if not ok:
            problems.append(
                Problem("$.exception.committee_above", 'expected an amount as text, e.g. "10000"')
            )
    if "payout_run" in document:
        problems += _check_quorum(document["payout_run"], "$.payout_run")
    impact = document["impact"]
    problems += _check_keys(impact, "$.impact", ("periods", "top"))
    if isinstance(impact, dict):
        for key, top in (("periods", MAX_IMPACT_PERIODS), ("top", 100)):
            value = impact.get(key)
            if key in impact and (
                isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top
            ):
                problems.append(Problem(f"$.impact.{key}", f"expected a whole number 1 to {top}"))
    return problems


# --------------------------------------------------------------------------- reading


def document_of(rule_set: ApprovalRuleSet) -> dict[str, Any]:
    return json.loads(rule_set.document)


def document_of_default() -> dict[str, Any]:
    """A fresh (deep) copy of the default rules, to edit into a proposal."""
    return json.loads(canonical(DEFAULT_RULES)[0])


def active_rule_set(session: Session, *, lock: bool = False) -> ApprovalRuleSet:
    stmt = select(ApprovalRuleSet).where(ApprovalRuleSet.state == "active")
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound("No approval rules are in force: is the database migrated (0003)?")
    return found


def get_rule_set(session: Session, number: int, *, lock: bool = False) -> ApprovalRuleSet:
    stmt = select(ApprovalRuleSet).where(ApprovalRuleSet.number == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"No approval rules version {number}.")
    return found


def list_rule_sets(session: Session) -> list[ApprovalRuleSet]:
    return list(session.scalars(select(ApprovalRuleSet).order_by(ApprovalRuleSet.number)))


def plan_change_rule(rule_set: ApprovalRuleSet) -> QuorumRule:
    return QuorumRule.of(document_of(rule_set)["plan_change"])


def activates_on_approval(rule_set: ApprovalRuleSet) -> bool:
    """Whether a plan version these rules approve is put in force by the same vote."""
    return bool(document_of(rule_set)["plan_change"].get(ACTIVATE_ON_APPROVAL, False))


def rules_change_rule(rule_set: ApprovalRuleSet) -> QuorumRule:
    return QuorumRule.of(document_of(rule_set)["approval_rules"])


def payout_run_rule(rule_set: ApprovalRuleSet) -> QuorumRule:
    """Who approves a draft payout run: the set's `payout_run` section, or the default
    (`DEFAULT_PAYOUT_RUN`) when the set has none."""
    return QuorumRule.of(document_of(rule_set).get("payout_run", DEFAULT_PAYOUT_RUN))


def exception_rule(rule_set: ApprovalRuleSet, estimated_impact: Decimal) -> QuorumRule:
    """Who decides a payout exception: the `below` rule up to `committee_above` (absolute
    estimated impact, plan currency), the committee's `plan_change` rule above it."""
    document = document_of(rule_set)
    threshold = Decimal(document["exception"]["committee_above"])
    if abs(estimated_impact) > threshold:
        return QuorumRule.of(document["plan_change"])
    return QuorumRule.of(document["exception"]["below"])


def impact_settings(rule_set: ApprovalRuleSet) -> tuple[int, int]:
    """(number of completed periods, top N participants) for impact simulations."""
    impact = document_of(rule_set)["impact"]
    return int(impact["periods"]), int(impact["top"])


# --------------------------------------------------------------------------- changes


def propose(
    session: Session, actor: Actor, document: Any, *, note: str | None = None
) -> ApprovalRuleSet:
    """A new version of the rules, submitted for the committee's vote (one open at a time)."""
    if actor is not None and not has_permission(actor, "plans.edit"):
        raise NotAllowed("Proposing approval rules needs the permission 'plans.edit'.")
    problems = validate_rules(document)
    if problems:
        raise DocumentRejected("The approval rules are not valid.", problems)
    # Locking the active set serialises proposals (and decisions) on PostgreSQL.
    current = active_rule_set(session, lock=True)
    pending = session.scalar(
        select(ApprovalRuleSet.number).where(ApprovalRuleSet.state == "submitted")
    )
    if pending is not None:
        raise Conflict(f"Approval rules version {pending} is already up for a vote.")
    text, content_hash = canonical(document)
    if content_hash == current.content_hash:
        raise DocumentRejected(
            "These are the rules in force already.",
            [Problem("$", f"identical to version {current.number}")],
        )
    number = (session.scalar(select(func.max(ApprovalRuleSet.number))) or 0) + 1
    rule_set = ApprovalRuleSet(
        number=number,
        state="submitted",
        document=text,
        content_hash=content_hash,
        decided_under=current.number,
        created_by_id=getattr(actor, "id", None),
        note=note,
    )
    session.add(rule_set)
    session.flush()
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.submitted",
        OBJECT_TYPE,
        rule_set.label,
        before=current.content_hash,
        after=content_hash,
        payload={"decided_under": current.number, "note": note},
    )
    return rule_set


def withdraw(
    session: Session, actor: Actor, number: int, *, note: str | None = None
) -> ApprovalRuleSet:
    """The proposer (or another holder of the permission) takes a proposal back."""
    if actor is not None and not has_permission(actor, "plans.edit"):
        raise NotAllowed("Withdrawing approval rules needs the permission 'plans.edit'.")
    rule_set = get_rule_set(session, number, lock=True)
    transition(session, actor, RULE_SETS, rule_set, "withdrawn", note=note)
    return rule_set


def decide(
    session: Session, actor: Actor, rule_set: ApprovalRuleSet, outcome: str, note: str
) -> None:
    """Put an approved proposal in force (superseding the active set), or reject it.

    Called by `RuleSetBallot.decide` once the votes decide, with the rule set locked."""
    if outcome == "active":
        current = active_rule_set(session, lock=True)
        # (flushed: the one-active index must see the old set leave first)
        note_old = f"superseded by version {rule_set.number}"
        transition(session, actor, RULE_SETS, current, "superseded", note=note_old)
    transition(session, actor, RULE_SETS, rule_set, outcome, note=note)


def rule_set_votes(session: Session, rule_set: ApprovalRuleSet) -> list[Vote]:
    return list(
        session.scalars(select(Vote).where(Vote.rule_set_id == rule_set.id).order_by(Vote.id))
    )


def rule_set_tally(
    session: Session,
    rule_set: ApprovalRuleSet,
    *,
    votes: list[Vote] | None = None,
    members: dict[int, set[str]] | None = None,
) -> Tally:
    """A proposal's tally under the rules in force when it was proposed (`votes`: its
    votes, if read; `members`: the committee, if read once for many proposals)."""
    under = get_rule_set(session, rule_set.decided_under or rule_set.number)
    yet_to_vote = undecided(session, (rule_set.created_by_id,), members)
    if votes is None:
        votes = rule_set_votes(session, rule_set)
    return tally(votes, rules_change_rule(under), undecided=yet_to_vote)


class RuleSetBallot(Ballot):
    object_type = OBJECT_TYPE
    column = "rule_set_id"
    open_state = "submitted"
    open_text = "proposals"
    noun = "proposal"
    own_text = "You proposed these rules: nobody votes on their own proposal."

    @classmethod
    def lock(cls, session: Session, key: int) -> RuleSetBallot:
        # The active set first, then the proposal: the order `propose` and `decide` lock in.
        active_rule_set(session, lock=True)
        return cls(get_rule_set(session, key, lock=True))

    def authors(self) -> tuple[int | None, ...]:
        return (self.row.created_by_id,)

    def tally(self, session: Session, *, members: dict[int, set[str]] | None = None) -> Tally:
        return rule_set_tally(session, self.row, votes=self.votes(session), members=members)

    def decide(self, session: Session, actor: Actor, tally: Tally, comment: str | None) -> None:
        if tally.rejected:
            decide(session, actor, self.row, "rejected", rejection_note(tally, comment))
        elif tally.approved:
            decide(session, actor, self.row, "active", f"committee vote: {tally.summary()}")


def cast_rules_vote(
    session: Session, actor: User | None, number: int, **ballot: Any
) -> tuple[Vote, Tally]:
    """Vote on a rules proposal; in force or rejected when the tally (under the rules in
    force when it was proposed) decides.
    `ballot`: `decision`, `content_hash`, `comment` (`ballots.cast`)."""
    return cast(session, actor, RuleSetBallot, number, **ballot)
