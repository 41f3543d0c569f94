"""Facts for conditions: the flat, dotted-path dictionaries `Condition.holds` and the
matcher read (`deal.amount`, `participant.tenure_days`, `credit.share`, ...).

Deal facts are built once per deal and plan (the amount is in plan currency); line facts
copy them once per credit line and add the participant, assignment and credit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rules.evaluation.numbers import as_decimal
from rules.model import Assignment, Deal, Participant


def deal_facts(deal: Deal, amount: Decimal) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "deal.id": deal.id,
        "deal.account": deal.account,
        "deal.type": deal.type,
        "deal.amount": deal.amount if amount == deal.amount else as_decimal(amount),
        "deal.currency": deal.currency,
        "deal.close_date": deal.close_date,
        "deal.gross_margin": deal.gross_margin,
        "deal.discount": deal.discount,
        "deal.term_months": deal.term_months,
        "deal.region": deal.region,
        "deal.products": tuple(deal.products),
        "deal.cash_collected_date": deal.cash_collected_date,
    }
    for name, value in deal.attributes.items():
        facts["deal.attributes." + name] = value
    return facts


def line_facts(
    deal: dict[str, Any],
    participant: Participant | None,
    assignment: Assignment | None,
    close_date: date,
    rule: str,
    share: Decimal,
) -> dict[str, Any]:
    facts = dict(deal)
    if participant is not None:
        facts["participant.id"] = participant.id
        facts["participant.region"] = participant.region
        facts["participant.hire_date"] = participant.hire_date
        facts["participant.tenure_days"] = (
            (close_date - participant.hire_date).days if participant.hire_date else None
        )
        for name, value in participant.attributes.items():
            facts["participant.attributes." + name] = value
    if assignment is not None:
        facts["assignment.role"] = assignment.role
        facts["assignment.team"] = assignment.team
        facts["assignment.start"] = assignment.start
        facts["assignment.end"] = assignment.end
    facts["credit.rule"] = rule
    facts["credit.share"] = share_fact(share)
    return facts


_SHARE_CACHE: dict[Decimal, Decimal] = {}


def share_fact(share: Decimal) -> Decimal:
    """Shares repeat (1, 0.5, 1/3): convert each once."""
    value = _SHARE_CACHE.get(share)
    if value is None:
        value = as_decimal(share)
        if len(_SHARE_CACHE) < 4096:
            _SHARE_CACHE[share] = value
    return value


def field_date(facts: dict[str, Any], path: str) -> tuple[date | None, bool]:
    """The date in `path` for a hold, and whether the value was usable. Text in ISO form
    (an attribute) is read as a date; anything else counts as no date yet."""
    value = facts.get(path)
    if value is None:
        return None, True
    if isinstance(value, date):
        return value, True
    if isinstance(value, str):
        try:
            return date.fromisoformat(value), True
        except ValueError:
            return None, False
    return None, False
