"""The approval rules as the committee's page shows them: in force, history, proposals."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from governance.accounts import names
from governance.committee import approval_rules
from governance.committee.approval_rules import RuleSetBallot
from governance.committee.ballots import refusal_text
from governance.committee.quorum import eligible_voters
from models.identity import User


def rules_overview(session: Session, viewer: User | None = None) -> dict[str, Any]:
    """The rules in force, every version (newest first) and the open proposals with tallies
    (and, for a `viewer`, why they cannot vote on each, if they cannot)."""
    active = approval_rules.active_rule_set(session)
    history = sorted(approval_rules.list_rule_sets(session), key=lambda r: -r.number)
    people = names(session, [r.created_by_id for r in history])
    members = eligible_voters(session, excluding=())  # once, not per proposal
    rows = []
    for rule_set in history:
        row = {
            "rule_set": rule_set,
            "author": people.get(rule_set.created_by_id, "system"),
            "document": approval_rules.document_of(rule_set),
            "tally": None,
            "refusal": None,
        }
        if rule_set.state == "submitted":
            ballot = RuleSetBallot(rule_set)
            row["tally"] = ballot.tally(session, members=members).as_dict()
            if viewer is not None:
                row["refusal"] = refusal_text(session, viewer, ballot)
        rows.append(row)
    return {
        "active": active,
        "active_document": approval_rules.document_of(active),
        "versions": rows,
        "proposals": [r for r in rows if r["rule_set"].state == "submitted"],
    }
