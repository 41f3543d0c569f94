"""Clawback windows and recovery fractions.

`within_days: D`: an event `days` after the close (0 <= days <= D) recovers all (`full`)
or (D - days) / D (`prorated`). `within_months: N`: the window ends N calendar months
after the close, inclusive: the same day of the month, or the last day of a shorter month
(Jan 31 + 1 month = Feb 28/29, Jan 30 + 1 = Feb 28/29), never moved to the end of a longer
one (Jun 30 + 2 = Aug 30, not Aug 31). `prorated` recovers (N - m) / N where m is the
number of whole months from close to event.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from rules.evaluation.numbers import ONE, div
from rules.model import Clawback


def add_months(day: date, months: int) -> date:
    """`day` plus whole calendar months. Spec section 4: "a month-end close counts whole
    months to the last day of shorter months", so only a shorter month moves the day."""
    year, month = divmod(day.year * 12 + (day.month - 1) + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def whole_months(start: date, end: date) -> int:
    """The number of whole months from `start` to `end` (end >= start)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def recovery_fraction(rule: Clawback, close: date, event: date) -> tuple[Decimal | None, str]:
    """The share of what was paid that `rule` recovers for an event on `event`, or None
    when the event falls outside the window; with the arithmetic for the trace."""
    days = (event - close).days
    if days < 0:
        return None, f"event {event} before the close {close}"
    if rule.within_days is not None:
        window = rule.within_days
        if days > window:
            return None, f"{days} days after the close, outside {window} days"
        if rule.recover == "full":
            return ONE, f"{days} days after the close, within {window}: full"
        return (
            div(window - days, window) if window else ONE,
            f"{days} days after the close, within {window}: ({window} - {days}) / {window}",
        )
    n = rule.within_months or 0
    end = add_months(close, n)
    if event > end:
        return None, f"event {event} after the window end {end} ({n} months)"
    if rule.recover == "full":
        return ONE, f"within {n} months (to {end}): full"
    m = whole_months(close, event)
    return (
        div(n - m, n) if n else ONE,
        f"{m} whole months after the close, within {n} (to {end}): ({n} - {m}) / {n}",
    )
