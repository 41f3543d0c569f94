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
from collections.abc import Mapping
from datetime import date
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
# Team and touchpoints absent, null or empty are read as the checked path reads them;
# products only when absent or null (an empty list of products is `()`, not None).
_NONE_OR_EMPTY = (None, [])


def _text(value: Any) -> str | None:
    """Plain ASCII text, not blank (no surrogates: `characters` is the identity on it)."""
    if value.__class__ is str and value.isascii() and value.strip():
        return value
    return None


# Values that recur across records (dates, margins, discounts, split entries), read once:
# they are immutable, so records share them. Bounded: past _KNOWN entries, nothing is added.
_KNOWN = 4096
_dates: dict[str, date | None] = {}
_decimals: dict[str, Decimal | None] = {}
_entries: dict[tuple[str, str], SplitEntry | None] = {}


def _remembered(known: dict, read: Any, *values: Any) -> Any:
    """`read(*values)`, remembered in `known` when the values are text (hashable, and the
    same text always reads the same)."""
    for value in values:
        if value.__class__ is not str:
            return read(*values)
    key = values[0] if len(values) == 1 else values
    result = known.get(key, known)
    if result is known:
        result = read(*values)
        if len(known) < _KNOWN:
            known[key] = result
    return result


def _date(value: Any) -> date | None:
    return _remembered(_dates, read_date, value)


def _decimal(value: Any) -> Decimal | None:
    """For fields whose values recur (margins, discounts), not amounts."""
    return _remembered(_decimals, read_decimal, value)


def _entry(participant: Any, share: Any) -> SplitEntry | None:
    """A split entry naming a participant with a share in (0, 1], else None."""
    return _remembered(_entries, _read_entry, participant, share)


def _read_entry(participant: Any, share: Any) -> SplitEntry | None:
    name, number = _text(participant), read_decimal(share)
    if name is None or number is None or not 0 < number <= 1:
        return None
    return SplitEntry(participant=name, share=number)


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
        split = _entry(entry["participant"], entry["share"])
        if split is None:
            return None
        out.append(split)
        total += split.share
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
    get = item.get
    if (
        get("products") is not None
        or get("team") not in _NONE_OR_EMPTY  # a list: the checked path reads it
        or get("touchpoints") not in _NONE_OR_EMPTY
    ):
        return None
    attributes = get("attributes")
    if attributes is not None and (attributes.__class__ is not dict or attributes):
        return None
    ident = _text(item["id"])
    owner = _text(item["owner"])
    currency = item["currency"]
    amount = read_decimal(item["amount"])
    close = _date(item["close_date"])
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
    # Optional fields: absent or null is None; anything unreadable is the checked path's.
    account = get("account")
    if account is not None and _text(account) is None:
        return None
    kind = get("type")
    if kind is not None and _text(kind) is None:
        return None
    region = get("region")
    if region is not None and _text(region) is None:
        return None
    margin = get("gross_margin")
    if margin is not None and (margin := _decimal(margin)) is None:
        return None
    discount = get("discount")
    if discount is not None and (discount := _decimal(discount)) is None:
        return None
    term = get("term_months")
    if term is not None and not (term.__class__ is int and 0 <= term < _BIG):
        return None
    cash = get("cash_collected_date")
    if cash is not None and (cash := _date(cash)) is None:
        return None
    refs = [owner]
    splits = get("splits")
    if splits is not None and (splits := _splits(splits, refs)) is None:
        return None
    # Positional, in the field order of `Deal` (rules/model.py): a fifth faster than by
    # keyword for this 17-field frozen dataclass (tests/unit/test_data_fast.py compares).
    deal = Deal(
        ident,
        amount,
        currency,
        close,
        owner,
        account,
        kind,
        margin,
        discount,
        term,
        region,
        None,  # products
        splits,
        (),  # team
        (),  # touchpoints
        cash,
        {},  # attributes
    )
    return deal, refs
