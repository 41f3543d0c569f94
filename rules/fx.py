"""Dated FX rates (spec section 3, v1.1): read, looked up by close date, written back.

`fx` is either the map form `{"EUR/USD": "1.08"}` (one rate per pair, in force from the
beginning of time) or a list of dated rates `[{"pair", "rate", "from"}]`. A deal converts
at the entry of its pair with the latest `from` on or before its close date; an entry
whose `from` is null or absent is in force from the beginning. Two entries with the same
pair and `from` are an error. `fx_to_json` writes the map form while no rate has a date,
so data without dated rates reads and hashes exactly as before v1.1.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from rules.model import FxRate
from rules.validation import Checker, child

FX_KEY = re.compile(r"^([A-Z]{3})/([A-Z]{3})$")
ENTRY_KEYS = ("pair", "rate", "from")


class FxTable:
    """The rates of one evaluation, by pair and date; `rate_on` is the spec's lookup."""

    def __init__(self, rates: Iterable[FxRate]):
        by_pair: dict[str, list[FxRate]] = {}
        for rate in sorted(rates, key=lambda r: r.key):
            by_pair.setdefault(rate.pair, []).append(rate)
        self._rates = by_pair
        self._starts = {pair: [r.key[1] for r in rs] for pair, rs in by_pair.items()}

    def rate_on(self, pair: str, day: date) -> FxRate | None:
        """The entry of `pair` with the latest `from` on or before `day`, if any."""
        starts = self._starts.get(pair)
        if not starts:
            return None
        i = bisect.bisect_right(starts, day)
        return self._rates[pair][i - 1] if i else None

    def first(self, pair: str) -> FxRate | None:
        """The earliest entry of `pair` (to say why a deal that closed before it has none)."""
        rates = self._rates.get(pair)
        return rates[0] if rates else None


def read_fx(check: Checker, value: Any) -> tuple[FxRate, ...]:
    """The `fx` section in either form, sorted by (pair, from); problems go to `check`
    with their JSON paths."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return tuple(sorted(_from_map(check, value), key=lambda r: r.key))
    if isinstance(value, (list, tuple)):
        return tuple(sorted(_from_list(check, value), key=lambda r: r.key))
    check.mapping(
        value,
        "$.fx",
        'a mapping such as {"EUR/USD": "1.08"} or a list of dated rates such as '
        '[{"pair": "EUR/USD", "rate": "1.08", "from": "2026-01-01"}]',
    )
    return ()


def _pair(check: Checker, key: Any, path: str) -> str | None:
    match = FX_KEY.match(key) if isinstance(key, str) else None
    if match is None:
        check.error(path, f"{key!r} is not a currency pair such as EUR/USD")
        return None
    if match[1] == match[2]:
        check.error(path, f"{key} converts a currency into itself")
        return None
    return key


def _from_map(check: Checker, value: Mapping) -> list[FxRate]:
    out = []
    for key in value:
        if _pair(check, key, child("$.fx", str(key))) is None:
            continue
        rate = check.decimal(value, key, "$.fx", above=0)
        if rate is not None:
            out.append(FxRate(key, rate))
    return out


def _from_list(check: Checker, value: list | tuple) -> list[FxRate]:
    out: list[FxRate] = []
    seen: dict[tuple[str, date], int] = {}
    for i, item in enumerate(value):
        path = f"$.fx[{i}]"
        if check.mapping(item, path, 'a dated rate such as {"pair": "EUR/USD", ...}') is None:
            continue
        check.keys(item, path, ("pair", "rate"), ("from",))
        pair = _pair(check, item["pair"], child(path, "pair")) if "pair" in item else None
        rate = check.decimal(item, "rate", path, above=0)
        start = check.date(item, "from", path, nullable=True)
        if pair is None or rate is None or (start is None and item.get("from") is not None):
            continue
        entry = FxRate(pair, rate, start)
        if entry.key in seen:
            check.error(
                path,
                f"{pair} {entry.since} is given twice (also $.fx[{seen[entry.key]}]): "
                "one rate per pair and date",
            )
            continue
        seen[entry.key] = i
        out.append(entry)
    return out


def fx_to_json(rates: Iterable[FxRate]) -> dict[str, Any] | list[dict[str, Any]]:
    """The `fx` section: the map form while no rate has a date, else the list form sorted
    by (pair, from); `read_fx` reads either back to the same rates."""
    ordered = sorted(rates, key=lambda r: r.key)
    if all(r.start is None for r in ordered):
        return {r.pair: _num(r.rate) for r in ordered}
    return [
        {"pair": r.pair, "rate": _num(r.rate), "from": r.start.isoformat() if r.start else None}
        for r in ordered
    ]


def _num(value: Decimal) -> str:
    return format(value, "f")
