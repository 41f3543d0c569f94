"""The field catalogue: every field a `when` may name, with its type.

Types: "decimal" and "integer" (numbers), "string", "date", "list" (a list of strings,
only `contains` applies) and "any" for `attributes.NAME`, whose type is only known at run
time (a comparison of mismatched types is then false).
"""

from __future__ import annotations

import difflib

FIELDS: dict[str, str] = {
    "deal.id": "string",
    "deal.account": "string",
    "deal.type": "string",
    "deal.amount": "decimal",
    "deal.currency": "string",
    "deal.close_date": "date",
    "deal.gross_margin": "decimal",
    "deal.discount": "decimal",
    "deal.term_months": "integer",
    "deal.region": "string",
    "deal.products": "list",
    "deal.cash_collected_date": "date",
    "participant.id": "string",
    "participant.region": "string",
    "participant.hire_date": "date",
    "participant.tenure_days": "integer",
    "assignment.role": "string",
    "assignment.team": "string",
    "assignment.start": "date",
    "assignment.end": "date",
    "credit.rule": "string",
    "credit.share": "decimal",
}

# Roots whose records carry free-form `attributes.NAME` (spec section 2).
ATTRIBUTE_ROOTS = frozenset({"deal", "participant"})

# Fields whose values are never negative (the data loader rejects negative amounts;
# months and shares are counts and fractions), used by `never_matches`.
NON_NEGATIVE = frozenset({"deal.amount", "deal.term_months", "credit.share"})

TYPE_NAMES = {
    "decimal": "a decimal",
    "integer": "an integer",
    "string": "a string",
    "date": "a date",
    "list": "a list of strings",
    "any": "an attribute of any type",
}


def is_attribute(path: str) -> bool:
    parts = path.split(".")
    return len(parts) == 3 and parts[0] in ATTRIBUTE_ROOTS and parts[1] == "attributes"


def field_type(path: str) -> str | None:
    """The type of `path`, or None when no such field exists."""
    if path in FIELDS:
        return FIELDS[path]
    if is_attribute(path):
        return "any"
    return None


def suggest(path: str, roots: frozenset[str]) -> str | None:
    """The closest known field to a misspelt `path`, for "did you mean ...?"."""
    candidates = [f for f in FIELDS if f.split(".")[0] in roots]
    found = difflib.get_close_matches(path, candidates, n=1, cutoff=0.75)
    if found:
        return found[0]
    parts = path.split(".")
    if len(parts) == 3 and parts[0] in roots & ATTRIBUTE_ROOTS:
        close = difflib.get_close_matches(parts[1], ["attributes"], n=1, cutoff=0.7)
        if close:
            return f"{parts[0]}.attributes.{parts[2]}"
    return None
