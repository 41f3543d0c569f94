"""Facts for conditions: the flat, dotted-path dictionaries `Condition.holds` and the
matcher read (`deal.amount`, `participant.tenure_days`, `credit.share`, ...).

Deal facts are built once per deal and plan (the amount is in plan currency); line facts
copy them once per credit line and add the participant, assignment and credit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rules.conditions.checker import parse_iso_date
from rules.model import Assignment, Deal, Participant


def deal_facts(deal: Deal, amount: Decimal) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "deal.id": deal.id,
        "deal.account": deal.account,
        "deal.type": deal.type,
        "deal.amount": amount,
        "deal.currency": deal.currency,
        "deal.close_date": deal.close_date,
        "deal.gross_margin": deal.gross_margin,
        "deal.discount": deal.discount,
        "deal.term_months": deal.term_months,
        "deal.region": deal.region,
        "deal.products": deal.products,  # None when absent or null: never read as []
        "deal.cash_collected_date": deal.cash_collected_date,
    }
    for name, value in deal.attributes.items():
        facts["deal.attributes." + name] = value
    return facts


def participant_facts(participant: Participant | None, assignment: Assignment | None) -> dict:
    """The participant and assignment facts that do not depend on the deal (cached by the
    caller per participant and assignment)."""
    facts: dict[str, Any] = {}
    if participant is not None:
        facts["participant.id"] = participant.id
        facts["participant.region"] = participant.region
        facts["participant.hire_date"] = participant.hire_date
        for name, value in participant.attributes.items():
            facts["participant.attributes." + name] = value
    if assignment is not None:
        facts["assignment.role"] = assignment.role
        facts["assignment.team"] = assignment.team
        facts["assignment.start"] = assignment.start
        facts["assignment.end"] = assignment.end
    return facts


def line_facts(
    deal: dict[str, Any],
    participant: Participant | None,
    assignment: Assignment | None,
    close_date: date,
    rule: str,
    share: Decimal,
    static: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Facts of one credit line: the deal's, the participant's and the credit's."""
    facts = dict(deal)
    facts.update(static if static is not None else participant_facts(participant, assignment))
    hired = participant.hire_date if participant is not None else None
    facts["participant.tenure_days"] = (close_date - hired).days if hired else None
    facts["credit.rule"] = rule
    facts["credit.share"] = share
    return facts


def field_date(facts: dict[str, Any], path: str) -> tuple[date | None, bool]:
    """The date in `path` for a hold, and whether the value was usable. Text in ISO form
    (an attribute) is read as a date, strictly `YYYY-MM-DD` as conditions read it (not
    Python 3.11's `20260714` or `2026-W28-2`); anything else counts as no date yet."""
    value = facts.get(path)
    if value is None:
        return None, True
    if isinstance(value, date):
        return value, True
    if isinstance(value, str):
        day = parse_iso_date(value)
        return day, day is not None
    return None, False
