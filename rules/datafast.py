"""The fast path of `rules.data` for the common deal record: plain text, numbers and dates.

`plain_deal(item)` builds the `Deal` that the checked path (`_DataReader._deal`) would
build, or returns None when the record is anything but plain: then the checked path
reads it and reports every problem. It never reports anything itself, so a record it
accepts is one the checked path accepts without a problem and reads to the same value
(tests/unit/test_data_fast.py compares both on generated records). Half the time of
loading a large data file was the checked path's generic per-field bookkeeping
(docs/decisions.md, "Evaluate speed (issue 14)").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from rules.model import Deal, SplitEntry
from rules.validation import read_date, read_decimal

DEAL_REQUIRED = ("id", "amount", "currency", "close_date", "owner")
DEAL_OPTIONAL = (
    "account",
    "type",
    "gross_margin",
    "discount",
    "term_months",
    "region",
    "products",
    "splits",
    "team",
    "touchpoints",
    "cash_collected_date",
    "attributes",
)
_REQUIRED = frozenset(DEAL_REQUIRED)
_ALLOWED = _REQUIRED | set(DEAL_OPTIONAL)
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_BIG = 10**40  # ints below this are read by the checked path as they are
# Absent, null or empty: read as the checked path reads them (products: only null, as
# an empty list of products is `()`, not None).
_NOTHING = {"products": (None,), "team": (None, []), "touchpoints": (None, [])}


def _text(value: Any) -> str | None:
    """Plain ASCII text, not blank (no surrogates: `characters` is the identity on it)."""
    if value.__class__ is str and value.isascii() and value.strip():
        return value
    return None


def _optional(item: Mapping, key: str, read: Callable[[Any], Any]) -> tuple[bool, Any]:
    """(whether the value is absent, null or readable, the value read or None)."""
    value = item.get(key)
    if value is None:
        return True, None
    result = read(value)
    return result is not None, result


def _splits(value: Any, refs: list[str]) -> tuple[SplitEntry, ...] | None:
    """Split entries that each name a participant and a share in (0, 1], once each, summing
    to exactly 1; else None."""
    if value.__class__ is not list or not value:
        return None
    out = []
    total = Decimal(0)
    for entry in value:
        if entry.__class__ is not dict or entry.keys() != {"participant", "share"}:
            return None
        participant = _text(entry["participant"])
        share = read_decimal(entry["share"])
        if participant is None or share is None or not 0 < share <= 1:
            return None
        out.append(SplitEntry(participant=participant, share=share))
        total += share
    names = [s.participant for s in out]
    if total != 1 or len(set(names)) != len(names):
        return None
    refs.extend(names)
    return tuple(out)


def plain_deal(item: Mapping) -> tuple[Deal, list[str]] | None:
    """(the deal, the participants it references) for a plain record, else None."""
    keys = item.keys()
    if not (keys <= _ALLOWED and keys >= _REQUIRED):
        return None
    for key, nothing in _NOTHING.items():
        if item.get(key) not in nothing:  # a list: the checked path reads it
            return None
    attributes = item.get("attributes")
    if attributes is not None and (attributes.__class__ is not dict or attributes):
        return None
    ident = _text(item["id"])
    owner = _text(item["owner"])
    currency = item["currency"]
    amount = read_decimal(item["amount"])
    close = read_date(item["close_date"])
    if (
        ident is None
        or owner is None
        or currency.__class__ is not str
        or not _CURRENCY.match(currency)
        or amount is None
        or amount < 0
        or close is None
    ):
        return None
    ok_account, account = _optional(item, "account", _text)
    ok_type, kind = _optional(item, "type", _text)
    ok_region, region = _optional(item, "region", _text)
    ok_margin, margin = _optional(item, "gross_margin", read_decimal)
    ok_discount, discount = _optional(item, "discount", read_decimal)
    if not (ok_account and ok_type and ok_region and ok_margin and ok_discount):
        return None
    term = item.get("term_months")
    if term is not None and not (term.__class__ is int and 0 <= term < _BIG):
        return None
    cash = item.get("cash_collected_date")
    if cash is not None:
        cash = read_date(cash)
        if cash is None:
            return None
    refs = [owner]
    splits = None
    if item.get("splits") is not None:
        splits = _splits(item["splits"], refs)
        if splits is None:
            return None
    deal = Deal(
        id=ident,
        amount=amount,
        currency=currency,
        close_date=close,
        owner=owner,
        account=account,
        type=kind,
        gross_margin=margin,
        discount=discount,
        term_months=term,
        region=region,
        products=None,
        splits=splits,
        team=(),
        touchpoints=(),
        cash_collected_date=cash,
        attributes={},
    )
    return deal, refs
