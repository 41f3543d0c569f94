"""The approval rules as the committee's page shows them: in force, history, proposals."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from governance.accounts import names
from governance.committee import approval_rules
from governance.committee.approval_rules import rule_set_tally, rule_set_votes
from governance.committee.quorum import eligible_voters
from governance.permissions import has_permission


def rules_vote_refusal(session: Session, viewer: Any, rule_set: Any) -> str | None:
    """Why `viewer` cannot vote on a rules proposal now (None: they can); mirrors
    `cast_rules_vote`, which still decides when a vote is cast."""
    if not has_permission(viewer, "changes.vote"):
        return "Voting needs the permission 'changes.vote'."
    if rule_set.state != "submitted":
        return f"{rule_set.label} is {rule_set.state}: votes are taken on proposals only."
    if viewer.id == rule_set.created_by_id:
        return "You proposed these rules: nobody votes on their own proposal."
    for vote in rule_set_votes(session, rule_set):
        if vote.voter_id == viewer.id:
            return f"You have voted ({vote.decision}) on this proposal; a vote is never changed."
    return None


def rules_overview(session: Session, viewer: Any = None) -> dict[str, Any]:
    """The rules in force, every version (newest first) and the open proposals with tallies
    (and, for a `viewer`, why they cannot vote on each, if they cannot)."""
    active = approval_rules.active_rule_set(session)
    history = sorted(approval_rules.list_rule_sets(session), key=lambda r: -r.number)
    people = names(session, [r.created_by_id for r in history])
    members = eligible_voters(session, excluding=())  # once, not per proposal
    rows = []
    for rule_set in history:
        open_ = rule_set.state == "submitted"
        rows.append(
            {
                "rule_set": rule_set,
                "author": people.get(rule_set.created_by_id, "system"),
                "document": approval_rules.document_of(rule_set),
                "tally": rule_set_tally(session, rule_set, members=members).as_dict()
                if open_
                else None,
                "refusal": rules_vote_refusal(session, viewer, rule_set)
                if open_ and viewer is not None
                else None,
            }
        )
    return {
        "active": active,
        "active_document": approval_rules.document_of(active),
        "versions": rows,
        "proposals": [r for r in rows if r["rule_set"].state == "submitted"],
    }
